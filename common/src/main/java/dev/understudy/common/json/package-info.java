/**
 * Jackson set-up shared by every module: one strict, canonical object mapper (unknown fields rejected, map keys sorted) so that equal documents serialize to equal bytes.
 */
package dev.understudy.common.json;
