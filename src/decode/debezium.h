/*
 * debezium.h — unwraps a Debezium change event (JSON) to the row it carries.
 *
 * A Debezium topic's value is an envelope around the changed row. chute
 * reads three shapes, all documented by Debezium:
 *
 *   with schema     {"schema": {...}, "payload": {<envelope>}}
 *                   (JsonConverter with schemas.enable=true)
 *   without schema  {<envelope>}
 *   envelope        {"before": {...}|null, "after": {...}|null,
 *                    "op": "c"|"u"|"d"|"r"|"t", "source": {"ts_ms": N, ...},
 *                    "ts_ms": N, "transaction": ...}
 *
 * The MongoDB connector writes "after" (and "before", when enabled) as a
 * JSON *string* holding the document. Unwrapping does not decode it: the
 * row is then returned as that string value, and the caller decodes it
 * into a bounded buffer of its own before encoding (ck_row_encode_value()
 * in map/row.h does exactly that).
 *
 * Which row a change carries:
 *
 *   op  MEANING          ROW       deleted
 *   c   create           after     0
 *   u   update           after     0
 *   r   snapshot read    after     0
 *   d   delete           before    1
 *   t   truncate         none      (CK_DEBEZIUM_TRUNCATE)
 *
 * A null Kafka value (len 0), the literal null, and {"payload": null} are
 * tombstones (CK_DEBEZIUM_TOMBSTONE): Debezium writes one after each
 * delete so that log compaction can drop the key.
 *
 * Rows that ExtractNewRecordState has already unwrapped (the "unwrapped"
 * shape) are plain objects, with or without the schema envelope, that
 * carry "__deleted" ("true"/"false", delete.handling.mode rewrite) or
 * "__op" (add.fields=op). The whole object is the row; op is "__op", else
 * d when "__deleted" is "true", else u; "__ts_ms", "__source_ts_ms" and
 * "__lsn" are read when present. unwrapped is set.
 *
 * The position: where the change sits in the source database's log, so a
 * later change of a key has a larger one, whatever Kafka did (upsert mode
 * uses it as the row version, docs/cdc.md). -1 when the connector gives
 * none usable, and the caller falls back to the Kafka offset.
 *
 *   connector   source members        position
 *   PostgreSQL  lsn                   lsn
 *   MySQL       file, pos, row        file's number << 40 | pos << 8 | row
 *   MongoDB     ts_ms, ord            (ts_ms / 1000) << 32 | ord
 *   unwrapped   __lsn                 __lsn
 *
 * The message is scanned once, validated completely (the payload's members
 * included), and nothing is allocated: every span in the result borrows
 * the input. Reentrant.
 */
#ifndef CK_DEBEZIUM_H
#define CK_DEBEZIUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "decode/json.h"

enum ck_debezium_kind {
	CK_DEBEZIUM_ROW,       /* a change: row holds the row to insert */
	CK_DEBEZIUM_TOMBSTONE, /* no change, no row */
	CK_DEBEZIUM_TRUNCATE,  /* op t: the source table was emptied */
};

/*
 * One unwrapped change event; spans borrow the message.
 *   op            'c', 'u', 'd', 'r' or 't'; 0 for a tombstone
 *   deleted       op is 'd'
 *   row           CK_DEBEZIUM_ROW only: the row, of kind CK_JSON_OBJECT,
 *                 or CK_JSON_STRING holding the row's JSON text (MongoDB)
 *   ts_ms         top-level ts_ms: when Debezium processed the event;
 *                 -1 when absent, null or negative
 *   source_ts_ms  source.ts_ms: when the change happened in the database;
 *                 -1 when absent, null or negative
 *   position      the change's position in the source's log (above); -1
 *                 when there is none
 *   unwrapped     the message had the unwrapped shape
 */
struct ck_debezium {
	enum ck_debezium_kind kind;
	char op;
	bool deleted;
	struct ck_json_value row;
	int64_t ts_ms;
	int64_t source_ts_ms;
	int64_t position;
	bool unwrapped;
};

/*
 * Unwraps message [msg, msg+len) into *out. Borrows msg. CK_ERR_PARSE on
 * malformed JSON or an envelope that is not a change event, with a message
 * starting "debezium: " that names what was wrong ("debezium: missing
 * \"op\"", "debezium: delete without \"before\""). *out is valid only on
 * CK_OK.
 */
int ck_debezium_unwrap(const char *msg, size_t len, struct ck_debezium *out,
		       struct ck_err *err);

#endif
