/**
 * The one place that reads the system's time. Everything else receives a {@link dev.understudy.common.clock.Clock} so timers can be driven by a fake clock in tests.
 */
package dev.understudy.common.clock;
