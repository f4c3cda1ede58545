/**
 * The running node: {@link dev.understudy.dist.node.NodeRuntime} loads a home, opens the
 * configuration and alert stores, serves the admin API and is the one place where the node's role,
 * write path and health live — the HA roles (master, shadow) plug into it.
 */
package dev.understudy.dist.node;
