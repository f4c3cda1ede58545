package dev.understudy.dist.ha;

import dev.understudy.ha.failover.FailoverState;
import dev.understudy.ha.failover.HaState;
import java.util.concurrent.CompletableFuture;

/**
 * The operator's pending {@code switch-roles}, on the failover loop: completed when the machine's steps show
 * the handover or the promotion done, failed when they show it refused or aborted.
 */
final class SwitchRoles {

    private CompletableFuture<String> pending;

    /** Starts waiting for {@code result}; false (and {@code result} failed) when a switch is already in progress. */
    boolean begin(CompletableFuture<String> result) {
        if (pending != null) {
            result.completeExceptionally(new IllegalStateException("a switch is already in progress"));
            return false;
        }
        pending = result;
        return true;
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
