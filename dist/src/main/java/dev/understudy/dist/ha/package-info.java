/**
 * The node's HA runtime: a single-threaded loop that feeds observations to the pure failover state
 * machine, performs the actions it returns (persist the epoch, start or stop serving, connect,
 * check the peer, hand over, alert, log the role change and run the hook), and switches between
 * the master and shadow role objects when the node's role changes.
 */
package dev.understudy.dist.ha;
