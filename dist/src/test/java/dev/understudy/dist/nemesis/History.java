package dev.understudy.dist.nemesis;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** What the client, the sampler and the nemesis saw during one schedule (thread-safe appends). */
final class History {

    /** Final outcome of one write of {@code settings k<n> = n}. */
    enum Outcome {
        /** 200 with replicated: true. */
        ACK_REPLICATED,
        /** 200 with replicated: false (durable on the master only). */
        ACK_NOT_REPLICATED,
        /** 409/503 or connection refused on every node tried: certainly not committed. */
        REJECTED,
        /**
         * A timeout or a broken connection after the request may have been sent, or an answer outside the API's
         * contract (also recorded in {@link History#broken}): committed or not.
         */
        INDETERMINATE
    }

    /** One write; times are wall-clock millis of the test JVM (same host as the nodes). */
    record Write(long n, Outcome outcome, String node, long revision, long startMillis, long endMillis, String detail) {}

    /** One status sample of one node. */
    record Sample(long round, long atMillis, String node, long pid, boolean active, String state, long epoch,
            long revision, String hash) {}

    /** One applied fault, with when it started and ended. */
    record Fault(Schedule.Op op, String target, long startMillis, long endMillis) {}

    final List<Write> writes = Collections.synchronizedList(new ArrayList<>());
    final List<Sample> samples = Collections.synchronizedList(new ArrayList<>());
    final List<Fault> faults = Collections.synchronizedList(new ArrayList<>());
    /**
     * What makes the history itself untrustworthy: an answer outside the API's contract, or the client or the
     * sampler dying. Each is a violation: a check over a history with holes proves less than it claims.
     */
    final List<String> broken = Collections.synchronizedList(new ArrayList<>());
}
