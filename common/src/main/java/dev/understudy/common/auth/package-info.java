/**
 * Login doors of a node (admin API basic auth, the web console's login, HA pairing): the pure
 * per-source throttle of failed logins, the password check that costs the same for an unknown user
 * as for a wrong password, and the guard that applies both, logs every failure and raises the
 * AUTH_FAILURES alert during a burst.
 */
package dev.understudy.common.auth;
