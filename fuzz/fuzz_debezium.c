/*
 * fuzz_debezium.c — libFuzzer harness for the Debezium unwrapper
 * (src/decode/debezium.c).
 *
 * Each input is a Kafka message value of a format: debezium route. Besides
 * ASan/UBSan findings, broken invariants abort():
 *   - the result is CK_OK or a parse/limit error whose message starts
 *     with "debezium: ";
 *   - whatever the scanner rejects, unwrapping rejects (except the blank
 *     message, a tombstone);
 *   - a row is a span inside the message, an object or a string; a string
 *     row decodes (into a small bounded buffer) or fails only on a lone
 *     surrogate or a full buffer;
 *   - op and the kind agree: c/u/r/d rows (deleted only for d), t
 *     truncates, tombstones without op.
 *
 * The input is copied into an exact-size heap buffer so that reading even
 * one byte past the message is an ASan report.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/debezium.h"

#include "fuzz.h"

#define DECODE_MAX 256

static bool blank(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\n' &&
		    p[i] != '\r')
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ck_debezium dbz;
	struct ck_json_value whole;
	struct ck_err err;
	struct ck_buf buf;
	char *msg = malloc(size ? size : 1);
	int rc, prc;

	if (!msg)
		return 0;
	if (size)
		memcpy(msg, data, size);
	rc = ck_debezium_unwrap(size ? msg : NULL, size, &dbz, &err);
	prc = ck_json_parse(msg, size, &whole, NULL);
	if (rc) {
		CHECK(rc == CK_ERR_PARSE || rc == CK_ERR_LIMIT);
		CHECK(strncmp(err.msg, "debezium: ", 10) == 0);
		goto out;
	}
	CHECK(prc == CK_OK || blank(msg, size));
	switch (dbz.kind) {
	case CK_DEBEZIUM_TOMBSTONE:
		CHECK(dbz.op == 0 && !dbz.deleted);
		break;
	case CK_DEBEZIUM_TRUNCATE:
		CHECK(dbz.op == 't' && !dbz.deleted);
		break;
	case CK_DEBEZIUM_ROW:
		CHECK(dbz.op == 'c' || dbz.op == 'u' || dbz.op == 'r' ||
		      dbz.op == 'd');
		CHECK(dbz.deleted == (dbz.op == 'd'));
		CHECK(dbz.row.kind == CK_JSON_OBJECT ||
		      dbz.row.kind == CK_JSON_STRING);
		CHECK(dbz.row.p >= msg && dbz.row.len <= size &&
		      (size_t)(dbz.row.p - msg) <= size - dbz.row.len);
		CHECK(dbz.row.len >= 2);
		if (dbz.row.kind == CK_JSON_OBJECT) {
			CHECK(dbz.row.p[0] == '{' &&
			      dbz.row.p[dbz.row.len - 1] == '}');
		} else {
			ck_buf_init(&buf, DECODE_MAX);
			rc = ck_json_string_decode(&dbz.row, &buf, &err);
			CHECK(rc == CK_OK || rc == CK_ERR_LIMIT ||
			      (rc == CK_ERR_PARSE &&
			       strstr(err.msg, "lone surrogate")));
			if (rc == CK_OK)
				CHECK(buf.len <= dbz.row.len - 2);
			ck_buf_free(&buf);
		}
		break;
	default:
		CHECK(!"unknown kind");
	}
	CHECK(dbz.ts_ms >= -1 && dbz.source_ts_ms >= -1);
out:
	free(msg);
	return 0;
}
