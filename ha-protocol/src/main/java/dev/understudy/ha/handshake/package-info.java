/**
 * The HELLO exchange: protocol and software version policy, pairing credentials checked once, and what each side learns of the other.
 */
package dev.understudy.ha.handshake;
