/*
 * fuzz_config.c — libFuzzer harness for the YAML config loader.
 *
 * Config files are usually trusted, but they come from templating and
 * secret injection, and a crash on a malformed file is still a bug: every
 * input must either load or fail with CK_ERR_CONFIG and a message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ck_config *config = NULL;
	struct ck_err err;
	char *copy = malloc(size ? size : 1);
	int rc;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	rc = ck_config_load_string(copy, size, "fuzz.yaml", &config, &err);
	if (rc == CK_OK) {
		if (!config || config->nroutes == 0)
			abort();
		ck_config_destroy(config);
	} else if (config || err.msg[0] == '\0' ||
		   (rc != CK_ERR_CONFIG && rc != CK_ERR_NOMEM)) {
		abort();
	}
	free(copy);
	return 0;
}
