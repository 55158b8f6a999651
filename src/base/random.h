/*
 * Random bytes and identifiers from the kernel's generator (getrandom), for
 * node, session and prepared-query IDs, event IDs and seeds. Not libcrypto's
 * RAND_bytes: its first call initialises OpenSSL's providers, which costs an
 * idle agent megabytes of resident memory for nothing getrandom lacks.
 */
#ifndef CAIRN_BASE_RANDOM_H
#define CAIRN_BASE_RANDOM_H

#include <stddef.h>

/* n random bytes into p; blocks only until the kernel's pool is first
 * seeded, and aborts if the kernel cannot provide them at all. */
void random_bytes(void *p, size_t n);

/* A random identifier in UUID form (36 characters and a NUL): 128 random
 * bits, as Consul's go-uuid makes them (no version or variant bits). */
void random_uuid(char out[37]);

#endif
