/*
 * exactly_once.c — see exactly_once.h.
 */
#include "pipeline/exactly_once.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define META_PREFIX "chute1 "

size_t ck_eo_meta_format(char *out, const struct ck_eo_record *rec)
{
	int n;

	if (rec->pending)
		n = snprintf(out, CK_EO_META_MAX,
			     META_PREFIX "e=%016" PRIx64 " p=%" PRId64
					 "-%" PRId64,
			     rec->epoch, rec->first, rec->last);
	else
		n = snprintf(out, CK_EO_META_MAX, META_PREFIX "e=%016" PRIx64,
			     rec->epoch);
	return n < 0 ? 0 : (size_t)n;
}

/*
 * Reads digits at *p (at most 19, value <= INT64_MAX, no leading zero:
 * each offset has one spelling); advances *p.
 */
static bool take_offset(const char **p, const char *end, int64_t *out)
{
	uint64_t v = 0;
	const char *s = *p;

	if (end - s > 1 && s[0] == '0' && s[1] >= '0' && s[1] <= '9')
		return false;

	while (s < end && *s >= '0' && *s <= '9' && s - *p < 19) {
		v = v * 10 + (uint64_t)(*s - '0');
		s++;
	}
	if (s == *p || (s < end && *s >= '0' && *s <= '9') ||
	    v > (uint64_t)INT64_MAX)
		return false;
	*out = (int64_t)v;
	*p = s;
	return true;
}

int ck_eo_meta_parse(const char *meta, size_t len, struct ck_eo_record *rec,
		     struct ck_err *err)
{
	const char *p = meta, *end = meta + len;
	uint64_t epoch = 0;
	int digits = 0;

	memset(rec, 0, sizeof(*rec));
	if (len < sizeof(META_PREFIX) - 1 ||
	    memcmp(meta, META_PREFIX, sizeof(META_PREFIX) - 1) != 0)
		return CK_OK;
	p += sizeof(META_PREFIX) - 1;
	if (end - p < 2 || p[0] != 'e' || p[1] != '=')
		return ck_err_set(err, CK_ERR_PARSE,
				  "commit metadata: expected e=<epoch> after "
				  "\"chute1 \"");
	for (p += 2; p < end && digits < 16; p++, digits++) {
		int d = *p >= '0' && *p <= '9'	 ? *p - '0'
			: *p >= 'a' && *p <= 'f' ? *p - 'a' + 10
						 : -1;
		if (d < 0)
			break;
		epoch = epoch << 4 | (uint64_t)d;
	}
	if (digits != 16)
		return ck_err_set(err, CK_ERR_PARSE,
				  "commit metadata: the epoch must be 16 "
				  "lower-case hex digits");
	rec->epoch = epoch;
	rec->found = true;
	if (p == end)
		return CK_OK;
	if (end - p < 4 || memcmp(p, " p=", 3) != 0)
		return ck_err_set(err, CK_ERR_PARSE,
				  "commit metadata: expected \" p=<first>-"
				  "<last>\" or the end after the epoch");
	p += 3;
	if (!take_offset(&p, end, &rec->first) || p == end || *p != '-' ||
	    (p++, !take_offset(&p, end, &rec->last)) || p != end)
		return ck_err_set(err, CK_ERR_PARSE,
				  "commit metadata: the pending range must be "
				  "<first>-<last>, two offsets");
	if (rec->last < rec->first)
		return ck_err_set(err, CK_ERR_PARSE,
				  "commit metadata: pending range %" PRId64
				  "-%" PRId64 " ends before it starts",
				  rec->first, rec->last);
	rec->pending = true;
	return CK_OK;
}

size_t ck_eo_token(char *out, size_t cap, uint64_t epoch, const char *topic,
		   int32_t partition, int64_t first, int64_t last)
{
	int n = snprintf(out, cap,
			 "chute1:%016" PRIx64 ":%s:%" PRId32 ":%" PRId64
			 "-%" PRId64,
			 epoch, topic, partition, first, last);

	return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

enum ck_eo_verdict ck_eo_decide(const struct ck_eo_target *t,
				struct ck_eo_plan *plan, struct ck_err *note)
{
	bool replicated = strncmp(t->engine, "Replicated", 10) == 0 ||
			  strncmp(t->engine, "Shared", 6) == 0;

	memset(plan, 0, sizeof(*plan));
	ck_err_clear(note);
	if (!ends_with(t->engine, "MergeTree")) {
		ck_err_set(note, CK_ERR_CONFIG,
			   "route %s -> %s: engine %s cannot deduplicate "
			   "inserts; insert into the underlying MergeTree "
			   "table instead, or set delivery: at-least-once",
			   t->topic, t->table, t->engine);
		return CK_EO_REFUSE;
	}
	plan->check_offsets = t->offset_columns;
	plan->send_token = t->token;
	plan->token_dedups = t->token && (replicated || t->window > 0);
	if (!t->token) {
		if (t->offset_columns) {
			ck_err_set(note, CK_ERR_CONFIG,
				   "route %s -> %s: ClickHouse %s has no "
				   "insert_deduplication_token (22.2+): a "
				   "recovery reads the offsets already in the "
				   "table and re-inserts only the missing "
				   "ones; an insert still running on the "
				   "server when the check is made is waited "
				   "for, but an old owner that is cut off "
				   "from Kafka and retries later can double "
				   "its batch",
				   t->topic, t->table, t->version);
			return CK_EO_WARN;
		}
		ck_err_set(note, CK_ERR_CONFIG,
			   "route %s -> %s: ClickHouse %s has no "
			   "insert_deduplication_token (needs 22.2+) and %s "
			   "has no offset columns, so a replay cannot be "
			   "detected. Map topic, partition and offset "
			   "columns ({meta: topic|partition|offset}), "
			   "upgrade ClickHouse, or set delivery: "
			   "at-least-once",
			   t->topic, t->table, t->version, t->table);
		return CK_EO_REFUSE;
	}
	/* A token with a window: offset columns remove its limit. */
	if (t->offset_columns && (replicated || t->window > 0))
		return CK_EO_SERVE;
	if (replicated) {
		ck_err_set(note, CK_ERR_CONFIG,
			   "route %s -> %s: a replay is deduplicated only "
			   "within the table's replicated_deduplication_window "
			   "(blocks and seconds); map topic, partition and "
			   "offset columns to remove the limit",
			   t->topic, t->table);
		return CK_EO_WARN;
	}
	if (t->window > 0) {
		ck_err_set(note, CK_ERR_CONFIG,
			   "route %s -> %s: a replay is deduplicated only "
			   "within the last %" PRId64 " blocks of the table "
			   "(non_replicated_deduplication_window); map topic, "
			   "partition and offset columns to remove the limit",
			   t->topic, t->table, t->window);
		return CK_EO_WARN;
	}
	if (t->offset_columns) {
		ck_err_set(note, CK_ERR_CONFIG,
			   "route %s -> %s: non_replicated_deduplication_"
			   "window is 0, so the server drops no replay: a "
			   "recovery reads the offsets already in the table "
			   "instead, and an old owner cut off from Kafka that "
			   "retries later can double its batch. ALTER TABLE "
			   "%s MODIFY SETTING "
			   "non_replicated_deduplication_window = 1000 closes "
			   "that gap",
			   t->topic, t->table, t->table);
		return CK_EO_WARN;
	}
	ck_err_set(note, CK_ERR_CONFIG,
		   "route %s -> %s: exactly-once needs deduplication, but %s "
		   "is a non-replicated MergeTree with "
		   "non_replicated_deduplication_window = 0 and no offset "
		   "columns. Fix one: ALTER TABLE %s MODIFY SETTING "
		   "non_replicated_deduplication_window = 1000; or map "
		   "topic/partition/offset columns; or set delivery: "
		   "at-least-once",
		   t->topic, t->table, t->table, t->table);
	return CK_EO_REFUSE;
}
