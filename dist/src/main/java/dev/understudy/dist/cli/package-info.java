/**
 * The {@code understudy} command line (DESIGN.md §7): picocli commands that create a node home
 * (with the first-start wizard), run a node, and talk to a running node's admin API through the
 * shared client (the local admin socket, else HTTPS trusting exactly that node's own certificate).
 * Exit codes: 0 success, 1 failed operation, 2 bad usage; errors are one line on stderr.
 */
package dev.understudy.dist.cli;
