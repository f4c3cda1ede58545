/**
 * The HA protocol's messages as immutable records, one per message type; every message carries the sender's epoch.
 */
package dev.understudy.ha.message;
