/**
 * The ZooKeeper adapter of group coordination (Apache Curator): the leader lease, the epoch counter advanced by
 * compare-and-set, the candidates' published revisions, and the session's state, all translated into events of
 * the pure {@code dev.understudy.ha.group.GroupLeadership} core. It decides nothing itself.
 */
package dev.understudy.dist.coord;
