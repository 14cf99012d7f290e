/* sha256.h - SHA-256 (FIPS 180-4), for naming collected files. */
#ifndef LR_SHA256_H
#define LR_SHA256_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

struct sha256 {
	uint32_t h[8];
	uint64_t len; /* bytes hashed so far */
	unsigned char buf[64];
	size_t nbuf;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, unsigned char out[32]);
/* One call: hex digest of data (65 bytes with NUL). */
void sha256_hex(const void *data, size_t len, char out[65]);
/* The same over a whole file, read from its start.  0 or -1. */
int sha256_file(FILE *f, char out[65]);

#endif
