/**
 * Fuzz targets (Jazzer) for the inputs a node reads from outside the HA channel: change sets from
 * the admin API and the files of a node home (node.json, state.json, alerts.json, the config
 * journal and snapshots). They live here because this module has the Jazzer test dependency and
 * depends on common; each asserts that only the documented exceptions, with a message, come out.
 */
package dev.understudy.ha.fuzz;
