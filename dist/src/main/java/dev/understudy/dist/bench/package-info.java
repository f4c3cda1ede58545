/**
 * Benchmarks an operator can run on their own machine (`understudy bench push|fullsync|failover`):
 * a local master/shadow pair in temporary homes, measured with medians and p99 over many runs
 * against the targets of DESIGN.md §8.
 */
package dev.understudy.dist.bench;
