/*
 * record.c — building and reading the chute.* headers of DLQ records. See
 * record.h for the layout.
 */
#include "dlq/record.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int add(rd_kafka_headers_t *hdrs, const char *name, const char *value,
	       struct ck_err *err)
{
	if (rd_kafka_header_add(hdrs, name, -1, value, (ssize_t)strlen(value)))
		return ck_err_set(err, CK_ERR_NOMEM, "out of memory");
	return CK_OK;
}

static int add_i64(rd_kafka_headers_t *hdrs, const char *name, int64_t value,
		   struct ck_err *err)
{
	char text[24];

	snprintf(text, sizeof(text), "%" PRId64, value);
	return add(hdrs, name, text, err);
}

int ck_dlq_headers_build(const struct ck_dlq_source *src,
			 const struct ck_dlq_reason *reason,
			 rd_kafka_headers_t **out, struct ck_err *err)
{
	rd_kafka_headers_t *hdrs;
	int rc;

	hdrs = src->headers ? rd_kafka_headers_copy(src->headers)
			    : rd_kafka_headers_new(8);
	if (!hdrs)
		return ck_err_set(err, CK_ERR_NOMEM, "out of memory");
	rc = add(hdrs, CK_DLQ_H_TOPIC, src->topic, err);
	if (!rc)
		rc = add_i64(hdrs, CK_DLQ_H_PARTITION, src->partition, err);
	if (!rc)
		rc = add_i64(hdrs, CK_DLQ_H_OFFSET, src->offset, err);
	if (!rc && src->timestamp_ms >= 0)
		rc = add_i64(hdrs, CK_DLQ_H_TIMESTAMP, src->timestamp_ms, err);
	if (!rc)
		rc = add(hdrs, CK_DLQ_H_STAGE, reason->stage, err);
	if (!rc)
		rc = add(hdrs, CK_DLQ_H_CLASS, reason->error_class, err);
	if (!rc)
		rc = add(hdrs, CK_DLQ_H_MESSAGE,
			 reason->message ? reason->message : "", err);
	if (!rc && reason->clickhouse_code != 0)
		rc = add_i64(hdrs, CK_DLQ_H_CH_CODE, reason->clickhouse_code,
			     err);
	if (rc) {
		rd_kafka_headers_destroy(hdrs);
		return rc;
	}
	*out = hdrs;
	return CK_OK;
}

/*
 * The last header called name: *value and *size, or false if there is
 * none. A header with a null value reads as an empty one.
 */
static bool last(const rd_kafka_headers_t *hdrs, const char *name,
		 const char **value, size_t *size)
{
	const void *v = NULL;

	if (!hdrs || rd_kafka_header_get_last(hdrs, name, &v, size))
		return false;
	*value = v ? v : "";
	if (!v)
		*size = 0;
	return true;
}

/* 1 to 19 decimal digits, at most max. */
static bool parse_decimal(const char *text, size_t len, int64_t max,
			  int64_t *out)
{
	int64_t v = 0;

	if (len == 0 || len > 19)
		return false;
	for (size_t i = 0; i < len; i++) {
		int d = text[i] - '0';
		if (d < 0 || d > 9 || v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

static int number(const rd_kafka_headers_t *hdrs, const char *name,
		  bool required, int64_t max, int64_t *out,
		  struct ck_err *err)
{
	const char *text;
	size_t len;

	if (!last(hdrs, name, &text, &len)) {
		if (required)
			return ck_err_set(err, CK_ERR_PARSE,
					  "header %s is missing", name);
		return CK_OK;
	}
	if (!parse_decimal(text, len, max, out))
		return ck_err_set(err, CK_ERR_PARSE,
				  "header %s: expected a decimal number up to "
				  "%" PRId64 ", got \"%.*s\"",
				  name, max, len > 40 ? 40 : (int)len, text);
	return CK_OK;
}

int ck_dlq_meta_parse(const rd_kafka_headers_t *hdrs, struct ck_dlq_meta *meta,
		      struct ck_err *err)
{
	const char *text;
	size_t len;
	int64_t partition = 0, code = 0;
	int rc;

	memset(meta, 0, sizeof(*meta));
	meta->timestamp_ms = -1;
	if (!last(hdrs, CK_DLQ_H_TOPIC, &text, &len))
		return ck_err_set(err, CK_ERR_PARSE, "header %s is missing",
				  CK_DLQ_H_TOPIC);
	if (len == 0 || len > CK_DLQ_TOPIC_MAX ||
	    (len <= 2 && strspn(text, ".") >= len))
		goto bad_topic;
	for (size_t i = 0; i < len; i++) {
		char c = text[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			goto bad_topic;
	}
	memcpy(meta->topic, text, len);
	meta->topic[len] = '\0';
	rc = number(hdrs, CK_DLQ_H_PARTITION, true, INT32_MAX, &partition,
		    err);
	if (!rc)
		rc = number(hdrs, CK_DLQ_H_OFFSET, true, INT64_MAX,
			    &meta->offset, err);
	if (!rc)
		rc = number(hdrs, CK_DLQ_H_TIMESTAMP, false, INT64_MAX,
			    &meta->timestamp_ms, err);
	if (!rc)
		rc = number(hdrs, CK_DLQ_H_CH_CODE, false, INT32_MAX, &code,
			    err);
	if (rc)
		return rc;
	meta->partition = (int32_t)partition;
	meta->clickhouse_code = (int)code;
	if (last(hdrs, CK_DLQ_H_STAGE, &text, &len)) {
		meta->stage = text;
		meta->stage_len = len;
	}
	if (last(hdrs, CK_DLQ_H_CLASS, &text, &len)) {
		meta->error_class = text;
		meta->error_class_len = len;
	}
	return CK_OK;
bad_topic:
	return ck_err_set(err, CK_ERR_PARSE,
			  "header %s: expected a topic name, got \"%.*s\"",
			  CK_DLQ_H_TOPIC, len > 40 ? 40 : (int)len, text);
}

void ck_dlq_filter_init(struct ck_dlq_filter *filter)
{
	memset(filter, 0, sizeof(*filter));
	filter->partition = -1;
	filter->from_offset = -1;
	filter->to_offset = -1;
}

static bool text_equal(const char *want, const char *have, size_t have_len)
{
	return have && strlen(want) == have_len &&
	       memcmp(want, have, have_len) == 0;
}

bool ck_dlq_filter_match(const struct ck_dlq_filter *filter,
			 const struct ck_dlq_meta *meta)
{
	if (filter->source_topic && strcmp(filter->source_topic, meta->topic))
		return false;
	if (filter->partition >= 0 && filter->partition != meta->partition)
		return false;
	if (filter->from_offset >= 0 && meta->offset < filter->from_offset)
		return false;
	if (filter->to_offset >= 0 && meta->offset > filter->to_offset)
		return false;
	if (filter->stage &&
	    !text_equal(filter->stage, meta->stage, meta->stage_len))
		return false;
	if (filter->error_class &&
	    !text_equal(filter->error_class, meta->error_class,
			meta->error_class_len))
		return false;
	return true;
}

int ck_dlq_headers_for_replay(const rd_kafka_headers_t *hdrs,
			      int64_t source_offset, rd_kafka_headers_t **out,
			      struct ck_err *err)
{
	size_t n = hdrs ? rd_kafka_header_cnt(hdrs) : 0;
	rd_kafka_headers_t *copy = rd_kafka_headers_new(n + 1);
	int rc = CK_OK;

	if (!copy)
		return ck_err_set(err, CK_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const char *name;
		const void *value;
		size_t size;

		if (rd_kafka_header_get_all(hdrs, i, &name, &value, &size))
			break;
		if (strncmp(name, "chute.", 6) == 0)
			continue;
		if (rd_kafka_header_add(copy, name, -1, value,
					value ? (ssize_t)size : 0)) {
			rc = ck_err_set(err, CK_ERR_NOMEM, "out of memory");
			goto out;
		}
	}
	rc = add_i64(copy, CK_DLQ_H_REPLAYED, source_offset, err);
out:
	if (rc) {
		rd_kafka_headers_destroy(copy);
		return rc;
	}
	*out = copy;
	return CK_OK;
}
