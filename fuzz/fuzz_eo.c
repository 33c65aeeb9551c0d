/*
 * fuzz_eo.c — libFuzzer harness for the exactly-once record parser
 * (src/pipeline/exactly_once.c): Kafka commit metadata, which any client
 * of the consumer group can write.
 *
 * Invariants besides ASan/UBSan:
 *   - the result is CK_OK or CK_ERR_PARSE with a "commit metadata: "
 *     message;
 *   - a parsed record formats back to exactly the input (the grammar has
 *     one spelling per record), and a pending range has first <= last.
 *
 * The input is copied into an exact-size heap buffer so that reading one
 * byte past the metadata is an ASan report.
 */
#include <stdlib.h>
#include <string.h>

#include "pipeline/exactly_once.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *meta = malloc(size ? size : 1);
	struct ck_eo_record rec;
	struct ck_err err;
	int rc;

	if (!meta)
		return 0;
	memcpy(meta, data, size);
	ck_err_clear(&err);
	rc = ck_eo_meta_parse(meta, size, &rec, &err);
	CHECK(rc == CK_OK || rc == CK_ERR_PARSE);
	if (rc == CK_ERR_PARSE)
		CHECK(strncmp(err.msg, "commit metadata: ", 17) == 0);
	if (rc == CK_OK && rec.found) {
		char again[CK_EO_META_MAX];
		size_t n = ck_eo_meta_format(again, &rec);
		CHECK(n == size && memcmp(again, meta, size) == 0);
		CHECK(!rec.pending || rec.first <= rec.last);
	}
	free(meta);
	return 0;
}
