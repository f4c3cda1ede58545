/**
 * A node's home directory: node-local settings (node.json), the durable role and epoch (state.json), admin credentials, and the role-change event log.
 */
package dev.understudy.common.home;
