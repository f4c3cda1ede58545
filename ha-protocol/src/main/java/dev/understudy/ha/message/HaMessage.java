package dev.understudy.ha.message;

/** A message of the HA channel. Every message carries the sender's current epoch. */
public sealed interface HaMessage permits Hello, Heartbeat, FullSync, Delta, Ack, Nack, Promote, Demote, Bye {

    MessageType type();

    long epoch();
}
