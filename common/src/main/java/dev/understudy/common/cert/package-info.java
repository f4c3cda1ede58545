/**
 * Key pairs and X.509 certificates made with Bouncy Castle, PEM reading and writing, and SHA-256 fingerprints used for pinning.
 */
package dev.understudy.common.cert;
