/**
 * Small concurrency helpers shared by every module: waiting on a future within a bound, with an
 * error that says what did not finish and what to do.
 */
package dev.understudy.common.concurrent;
