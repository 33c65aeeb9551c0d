/*
 * fuzz_type.c — libFuzzer harness for the ClickHouse type parser
 * (src/map/type.c).
 *
 * Type strings come from the server, not from Kafka, but they reach the
 * parser unchecked and a later issue adds many more types, so the parser is
 * fuzzed like any other. Besides the sanitizers, it checks that:
 *   - a failure leaves *out NULL and sets one of the documented codes;
 *   - a success formats to canonical text that parses again to the same
 *     canonical text (format ∘ parse is idempotent).
 * The input is cut at its first NUL byte, as a C string would be.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "map/type.h"

#include "fuzz.h"

/* Formats t into buf as a C string. */
static void format(const struct ck_type *t, struct ck_buf *buf)
{
	ck_buf_reset(buf);
	if (ck_type_format(t, buf, NULL) || ck_buf_put_u8(buf, 0, NULL))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ck_type *t = NULL, *again = NULL;
	struct ck_buf one, two;
	struct ck_err err;
	char *text;
	int rc;

	text = malloc(size + 1);
	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	ck_buf_init(&one, 1 << 20);
	ck_buf_init(&two, 1 << 20);

	rc = ck_type_parse(text, &t, &err);
	if (rc) {
		if (t || err.code != rc ||
		    (rc != CK_ERR_PARSE && rc != CK_ERR_UNSUPPORTED &&
		     rc != CK_ERR_LIMIT && rc != CK_ERR_NOMEM))
			abort();
		goto out;
	}
	if (!t)
		abort();
	format(t, &one);
	if (ck_type_parse((const char *)one.data, &again, &err))
		abort();
	format(again, &two);
	if (one.len != two.len || memcmp(one.data, two.data, one.len))
		abort();
out:
	ck_type_destroy(t);
	ck_type_destroy(again);
	ck_buf_free(&one);
	ck_buf_free(&two);
	free(text);
	return 0;
}
