/**
 * Durable operator alerts: raised, counted, resolved and acknowledged, persisted in the node home's alerts.json.
 */
package dev.understudy.common.alert;
