/**
 * The node's HA runtime: {@link dev.understudy.dist.ha.HaNode}, a thin single-threaded loop that feeds
 * observations to the pure failover state machine and hands the actions it returns to
 * {@code HaActions}, which carries them out through its parts: {@code HaFiles} (node.json, the pinned
 * peer certificate, state.json), {@code HaRoles} (the master or shadow role object), {@code Pairing},
 * {@code SwitchRoles}, {@code RoleChangeRecorder} and {@code OrphanReport}. None of them decides.
 */
package dev.understudy.dist.ha;
