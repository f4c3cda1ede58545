/**
 * What a node does while it is the shadow: it connects to its master over the HA channel, applies
 * full and incremental pushes durably, acknowledges them, watches the master's heartbeats and turns
 * what it sees into failover events; promotion itself is decided by the failover state machine.
 */
package dev.understudy.shadow;
