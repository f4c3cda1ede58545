/**
 * The admin HTTPS API of a node (DESIGN.md §7): a small Netty HTTP/1.1 server on the node
 * certificate that authenticates with the admin token or an admin user, reads status, alerts and
 * configuration from the node runtime, and sends every write through the runtime's single write path.
 */
package dev.understudy.dist.admin;
