/*
 * row.h — one JSON message → one RowBinary row of a table.
 *
 * The encoder scans the message's top-level object once, matches each
 * member name against the schema's inserted columns (exact, case-sensitive
 * name match; last occurrence wins for a repeated name), remembers each
 * matched value as a span, and then writes the row column by column in the
 * schema's order, converting each value straight from its JSON text into
 * the column's RowBinary bytes. There is no per-row allocation: the spans
 * live in an array owned by the encoder and reused for every row.
 *
 *   unknown member          ignored, counted in stats->unknown_fields
 *   missing member          the column default (see schema.h), counted in
 *                           stats->missing_fields
 *   null into non-Nullable  the column default, counted in
 *                           stats->null_defaults
 *
 * A message that is not a JSON object, or a value that cannot be converted,
 * fails the whole row: the output buffer is rolled back to its length on
 * entry, and err names the column and says what was expected and what was
 * found ("column 'price' (Float64): expected a number, got an object").
 * The caller adds topic/partition/offset.
 */
#ifndef CK_ROW_H
#define CK_ROW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "decode/json.h"
#include "map/schema.h"

struct ck_row_stats {
	uint64_t unknown_fields;
	uint64_t missing_fields;
	uint64_t null_defaults;
};

/*
 * The Kafka record a message came from, for columns whose value is record
 * metadata (enum ck_meta_field in schema.h). Borrowed.
 */
struct ck_row_meta {
	const char *topic;
	size_t topic_len;
	int32_t partition;
	int64_t offset;
	int64_t timestamp_ms; /* < 0: the record has none (written as null) */
	const void *key;      /* NULL: the record has no key (written as null) */
	size_t key_len;
	/*
	 * Debezium change events (decode/debezium.h). op 0: not a change
	 * event, and op, deleted, source_ts and event_ts are all null.
	 */
	char op;              /* 'c', 'u', 'd' or 'r' */
	bool deleted;
	int64_t source_ts_ms; /* < 0: none (written as null) */
	int64_t event_ts_ms;  /* < 0: none (written as null) */
	int64_t version;      /* upsert row version; < 0: none (null) */
};

struct ck_row_encoder;

/*
 * Creates an encoder for schema (borrowed; must outlive the encoder).
 * Returns NULL on allocation failure. One encoder per thread.
 */
struct ck_row_encoder *ck_row_encoder_new(const struct ck_schema *schema);

/* Frees an encoder; NULL is a no-op. */
void ck_row_encoder_destroy(struct ck_row_encoder *enc);

/*
 * Sets the record the next rows come from: *meta is copied, the topic and
 * key it points to are borrowed and must stay valid while rows are
 * encoded with it. NULL: metadata columns get their defaults. Cheap; call
 * per message.
 */
void ck_row_encoder_set_meta(struct ck_row_encoder *enc,
			     const struct ck_row_meta *meta);

/*
 * Appends the row for message [msg, msg+len) to out, adding to *stats.
 * On error out->len is unchanged and stats are not updated.
 */
int ck_row_encode_json(struct ck_row_encoder *enc, const char *msg,
		       size_t len, struct ck_buf *out,
		       struct ck_row_stats *stats, struct ck_err *err);

/*
 * Like ck_row_encode_json() for a row that is a value of a validated
 * message (decode/json.h): an object is encoded from its span; a string
 * is the row's JSON text (Debezium's MongoDB connector), decoded first
 * into a bounded buffer the encoder owns and keeps for the next row.
 * Borrows v. Errors about the decoded text say "row string: ".
 */
int ck_row_encode_value(struct ck_row_encoder *enc,
			const struct ck_json_value *v, struct ck_buf *out,
			struct ck_row_stats *stats, struct ck_err *err);

/*
 * Schema evolution. With tracking on, the encoder remembers the members of
 * the last row it encoded (or tried to) that matched no inserted column,
 * up to CK_ROW_UNKNOWN_MAX of them, in message order. They borrow the
 * message (or, for a row given as a JSON string, the encoder's decoded
 * copy): valid until the next row. Members that match a metadata column or
 * a DEFAULT column left out of the INSERT are among them too.
 */
#define CK_ROW_UNKNOWN_MAX 16

struct ck_row_member {
	struct ck_json_value key;
	struct ck_json_value val;
};

void ck_row_encoder_track_unknown(struct ck_row_encoder *enc, bool on);
size_t ck_row_unknown(const struct ck_row_encoder *enc,
		      const struct ck_row_member **members);

/*
 * A field whose type changed. With tracking on, a value that an existing
 * column cannot take (a conversion error) goes to the column
 * "<column>_<suffix>" when the table has it, and the existing column gets
 * its default: suffix "str" for a string, "int" for an integer, "float"
 * for another number, "bool" for true/false, "json" for an object or
 * array (ck_row_divert_suffix()). When the table lacks that column the
 * row fails as it would without tracking, and ck_row_diverted() gives the
 * column and the value (borrowed, valid until the next row) so that the
 * caller can add the column and encode the row again.
 */
const char *ck_row_divert_suffix(const struct ck_json_value *v);
bool ck_row_diverted(const struct ck_row_encoder *enc, const char **column,
		     const struct ck_json_value **value);

#endif
