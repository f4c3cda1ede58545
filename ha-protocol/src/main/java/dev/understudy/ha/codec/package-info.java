/**
 * Wire format of the HA channel: a length-field frame decoder with magic, version and a maximum frame size, and a codec that turns frames into message records.
 */
package dev.understudy.ha.codec;
