// Package compress owns response compression (SPEC §7): the choice of a
// content coding from Accept-Encoding (RFC 9110 §12.5.3), pooled gzip,
// zstd and brotli encoders (RFC 9110 §8.4.1, RFC 8878, RFC 7932), a
// response.Writer that compresses a response on its way to the transport
// (Writer: which responses, and what that changes in the head — Content-
// Encoding §8.4, the ETag per coding §8.8.3, Vary §12.5.5), and a bounded
// cache of the compressed variants of small files (Cache).
//
// Precompressed files beside the original (FILE.gz, FILE.br, FILE.zst) are
// found by package static, which asks this one which coding the request
// accepts (Negotiate).
package compress
