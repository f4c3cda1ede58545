/**
 * Text that came from outside the node (an HA peer, an admin request) made safe to put in a log
 * line, events.log or an alert: control and invisible formatting characters escaped, length bounded.
 */
package dev.understudy.common.text;
