/**
 * The replicated configuration: typed collections of entries keyed by id, change sets, validation of every op, and the order-independent incremental config hash.
 */
package dev.understudy.common.config;
