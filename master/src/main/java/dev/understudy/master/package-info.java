/**
 * What a node does while it is the master: it listens on the HA port, pairs and accepts its
 * shadow, pushes every committed revision (incrementally, or as a full transfer when the shadow's
 * revision is no longer in the journal or has diverged), tracks acknowledgements, and raises and
 * resolves push alerts; it also checks its peer over a fresh connection to detect a second master.
 */
package dev.understudy.master;
