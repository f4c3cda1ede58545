/**
 * All of Understudy's benchmarks, in one place: the ones an operator runs on their own machine
 * (`understudy bench push|fullsync|failover|all`: local pairs and real node processes in temporary
 * homes, HAProxy beside the connector), the config store's commit and open costs, and the connector's
 * forwarding against the direct path. Figures are medians and p99 over many runs, printed against the
 * targets of DESIGN.md §8; they are never asserted by tests.
 */
package dev.understudy.dist.bench;
