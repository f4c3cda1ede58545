package dev.understudy.dist.ha;

/** What the HA runtime asks of the rest of the node when it starts or stops serving. */
public interface ServingHooks {

    /** Start the data plane (mapping listeners) for epoch {@code epoch}. */
    void startServing(long epoch);

    /** Stop the data plane; returns only once no listener accepts connections any more. */
    void stopServing(String reason);
}
