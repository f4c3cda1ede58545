package dev.understudy.dist.node;

import dev.understudy.dist.ha.HaNode;
import dev.understudy.ha.failover.HaState;

/** Why a node refuses a write, and where to write instead: the message of its {@code NotActiveException}. */
final class WriteRefusal {

    private WriteRefusal() {
    }

    /** The refusal for a node whose HA runtime is {@code ha} (null before it starts); {@code m}: the master's HA address. */
    static String explain(HaNode ha, String m) {
        HaState st = ha == null ? null : ha.state();
        if (st == HaState.DEMOTING) {
            return "this node is handing over to its shadow (switch-roles); write to the new master in a moment";
        }
        if (st == HaState.STARTING) {
            return "this node restarted and is checking its peer before it serves; retry in a moment";
        }
        if (st == HaState.PROMOTING) {
            return "this node is taking over as master; retry in a moment";
        }
        String url = ha == null ? null : ha.masterAdminUrl();
        if (url != null) {
            return "this node is the shadow; write to the master: its admin URL is " + url + " (run the command with"
                    + " --home of the master's node on that machine, or use its console)";
        }
        return "this node is the shadow; write to the master" + (m == null ? " (unknown: not attached; run `understudy"
                + " attach` first)" : " at HA address " + m + " (run the command on the master's machine; `understudy"
                + " status` there shows its admin URL)");
    }
}
