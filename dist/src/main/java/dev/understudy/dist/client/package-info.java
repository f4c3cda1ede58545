/**
 * The one client of a node's admin API, shared by the CLI, the benchmarks and the tests: over the
 * local admin socket ({@code <home>/admin.sock}) when the node serves one, else HTTPS trusting exactly
 * the home's own certificate and authenticating with its admin.token. Plain JDK, so that a CLI command
 * starts fast.
 */
package dev.understudy.dist.client;
