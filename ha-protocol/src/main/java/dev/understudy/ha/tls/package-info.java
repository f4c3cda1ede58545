/**
 * TLS for the HA channel: TLS 1.3 only, both sides present certificates, and after pairing each side accepts exactly the pinned peer certificate.
 */
package dev.understudy.ha.tls;
