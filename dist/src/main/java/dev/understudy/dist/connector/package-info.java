/**
 * The connector data plane: for each configured mapping the active node listens on the mapping's
 * listen address and relays TCP both ways to its backend, with backpressure (a side that cannot take
 * more bytes stops reads on the other side), half-close propagation and clean close; mapping changes
 * apply live, and {@link dev.understudy.dist.connector.Connector#stopAll()} lets a demoted node prove
 * it stopped serving before its peer starts.
 */
package dev.understudy.dist.connector;
