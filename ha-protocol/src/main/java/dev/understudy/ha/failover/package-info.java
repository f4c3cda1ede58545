/**
 * The pure failover state machines of master and shadow, and the failure detector that feeds them: (state, event, now) to (state, actions), with no threads, I/O or clock reads.
 */
package dev.understudy.ha.failover;
