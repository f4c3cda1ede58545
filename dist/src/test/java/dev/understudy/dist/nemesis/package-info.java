/**
 * The nemesis test: a master and a shadow as real processes, a client recording every config change as
 * acknowledged (replicated or not), rejected or indeterminate, and a seeded schedule of faults (kill -9 and
 * restart, SIGSTOP/SIGCONT, partitions, delays and dropped chunks on both directions of the HA channel through
 * fault proxies); after heal and a bounded quiet period a checker verifies epochs, durability of acknowledged
 * changes, convergence and push alerts. See {@link dev.understudy.dist.nemesis.NemesisIT} for how to run it.
 */
package dev.understudy.dist.nemesis;
