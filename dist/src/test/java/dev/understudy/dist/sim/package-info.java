/**
 * A deterministic simulation of whole pairs in one JVM (FoundationDB / TigerBeetle style): each node is
 * built from the real cores (the failover machine, the master's replication session, the shadow's
 * replica and sync tracker, the serving decisions) and the real config store on a temporary directory;
 * a simulated network carries the real HA message records with delay, drop, jitter and (one-way)
 * partitions; a simulated clock with per-node skew and drift drives every timer; crashes reopen the
 * store from its files with torn journal tails; pauses defer a node's events and end in the Stalled
 * event the real loop produces. Everything follows from one seed. See {@link dev.understudy.dist.sim.SimulationTest}.
 */
package dev.understudy.dist.sim;
