/**
 * Group leadership on ZooKeeper (DESIGN.md §5 Groups) as a pure core: when a node campaigns for the lease,
 * when a master may take writes, when COORDINATION_LOST is raised. No Curator, no threads, no clock: the
 * adapter in dist feeds it ZooKeeper and HA-channel events with the time and carries out its actions.
 */
package dev.understudy.ha.group;
