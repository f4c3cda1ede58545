package dev.understudy.dist.ha;

import dev.understudy.common.home.NodeSettings;
import dev.understudy.common.home.Role;
import dev.understudy.ha.failover.FailoverEvent;
import dev.understudy.ha.failover.FailoverState;
import dev.understudy.ha.failover.HaState;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * The operator's pending {@code switch-roles}, on the failover loop: completed when the machine's steps show
 * the handover or the promotion done, failed when they show it refused or aborted.
 */
final class SwitchRoles {

    private CompletableFuture<String> pending;

    /**
     * The operator asked for a switch on a node in {@code state}: the master hands over, a shadow with
     * {@code force} promotes (both through {@code handle}); a shadow without it is told where to ask.
     */
    void request(CompletableFuture<String> result, boolean force, HaState state, Consumer<FailoverEvent> handle,
                 String masterAdminUrl, NodeSettings settings) {
        if (pending != null) {
            result.completeExceptionally(new IllegalStateException("a switch is already in progress"));
            return;
        }
        pending = result;
        if (state.role() == Role.MASTER) {
            handle.accept(new FailoverEvent.SwitchRolesRequested(force));
        } else if (force) {
            handle.accept(new FailoverEvent.ForcePromote());
        } else {
            fail("this node is the shadow; run switch-roles on the master (" + (masterAdminUrl != null
                    ? "admin " + masterAdminUrl : "HA address " + settings.peerAddress())
                    + "), or use --force to promote this shadow now");
        }
    }

    void fail(String why) {
        if (pending != null) {
            pending.completeExceptionally(new IllegalStateException(why));
            pending = null;
        }
    }

    /** After a step from {@code before} to {@code now}. */
    void settle(FailoverState before, FailoverState now, String peerNodeId) {
        if (pending == null) {
            return;
        }
        if (now.state() == HaState.CONNECTING && before.state() == HaState.DEMOTING) {
            pending.complete("handed over to " + peerNodeId + " in epoch " + now.epoch() + "; this node is now its shadow");
            pending = null;
        } else if (before.state() == HaState.DEMOTING && now.state().serving() && now.state() != HaState.DEMOTING) {
            fail("switch-roles aborted: " + now.reason());
        } else if (now.state() == HaState.ACTIVE_ALONE && before.state() == HaState.PROMOTING) {
            pending.complete("this node is now master in epoch " + now.epoch());
            pending = null;
        }
    }
}
