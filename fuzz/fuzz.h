/*
 * fuzz.h — what every harness shares: the libFuzzer entry point's
 * prototype and CHECK(), which aborts with the file, line and condition
 * when an invariant the harness asserts does not hold (libFuzzer then
 * saves the input as a reproducer).
 */
#ifndef CK_FUZZ_H
#define CK_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "%s:%d: invariant failed: %s\n",     \
				__FILE__, __LINE__, #cond);                  \
			abort();                                             \
		}                                                            \
	} while (0)

#endif
