/**
 * Shared test fixtures published in common's test-jar: a fake clock for timers, certificates made at test
 * time, an in-process TCP fault proxy that partitions, delays, resets and corrupts connections between
 * real processes, and a helper that pauses, resumes and kills processes by pid.
 */
package dev.understudy.common.testing;
