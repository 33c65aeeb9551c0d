/*
 * config.h — chute's YAML configuration, loaded and validated in one go.
 *
 * The file is read with libyaml into a document tree, ${ENV} references in
 * scalar values are expanded (${NAME}, ${NAME:-default}; "$$" is a literal
 * "$"), and every key is checked against what chute knows. Any problem is a
 * CK_ERR_CONFIG whose message is one line naming the file, line, the dotted
 * key and what was expected:
 *
 *   chute.yaml:7:22: batch.max_wait: expected a duration such as 500ms or 2s,
 *   got "fast"
 *
 * Unknown keys are errors too, so a typo never silently falls back to a
 * default. The result is a plain immutable struct, read by every stage.
 * See docs/configuration.md for the reference.
 */
#ifndef CK_CONFIG_H
#define CK_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/log.h"
#include "map/schema.h"

/* A key/value pair passed through (librdkafka properties). */
struct ck_config_kv {
	char *key;
	char *value;
};

/* When a batch is closed and handed to an inserter. */
/*
 * What one batch gathers (batch.scope): the rows of every partition of a
 * topic that are due together (one insert for the table), or of one
 * partition. Exactly-once always batches per partition: its recorded
 * ranges and tokens are per partition (docs/delivery.md).
 */
enum ck_batch_scope {
	CK_BATCH_SCOPE_TABLE,
	CK_BATCH_SCOPE_PARTITION,
};

struct ck_batch_policy {
	uint64_t max_rows;
	uint64_t max_bytes;
	int64_t max_wait_ms;
	enum ck_batch_scope scope;
};

enum ck_format {
	CK_FORMAT_JSON,
	CK_FORMAT_DEBEZIUM, /* Debezium change events (decode/debezium.h) */
};

/*
 * How change events become rows (topics[].mode, docs/cdc.md):
 *   append  every change is a row; the table keeps the history
 *   upsert  a ReplacingMergeTree keeps each key's latest version, and a
 *           delete writes the key with the deleted flag set
 */
enum ck_route_mode {
	CK_MODE_APPEND,
	CK_MODE_UPSERT,
};

/* What a Debezium truncate event does (topics[].truncate). */
enum ck_truncate_action {
	CK_TRUNCATE_IGNORE, /* counted and logged */
	CK_TRUNCATE_TABLE,  /* TRUNCATE TABLE after the rows before it */
};

/* Content-Encoding of insert bodies (clickhouse.compression). */
enum ck_compression {
	CK_COMPRESSION_NONE,
	CK_COMPRESSION_GZIP,
	CK_COMPRESSION_ZSTD,
	CK_COMPRESSION_LZ4,
};

/*
 * The delivery guarantee (delivery, docs/delivery.md):
 *   at-least-once  offsets committed after the insert; a crash can insert
 *                  a batch twice
 *   exactly-once   each batch's offset range is recorded in the Kafka
 *                  commit before its insert, and a recovery re-inserts
 *                  exactly that range, deduplicated by ClickHouse (token)
 *                  or by the table's offset columns
 */
enum ck_delivery {
	CK_DELIVERY_AT_LEAST_ONCE,
	CK_DELIVERY_EXACTLY_ONCE,
};

/* One topic routed to one table. */
struct ck_config_route {
	char *topic;
	char *table;       /* table name, without database */
	enum ck_format format;
	enum ck_route_mode mode;
	enum ck_truncate_action truncate;
	/* New message fields become new columns (docs/cdc.md#schema-evolution). */
	bool evolve;
	struct ck_batch_policy batch;
	/* Per-column conversion options (topics[].columns); names owned here. */
	struct ck_column_opts *columns;
	size_t ncolumns;
	/*
	 * Dead-letter topic of this route's bad records, with {topic}
	 * already replaced (topics[].dlq_topic, else dlq.topic). NULL: no
	 * DLQ; bad records are logged, counted and skipped (docs/dlq.md).
	 */
	char *dlq_topic;
};

struct ck_config {
	char *path; /* file the config came from, for messages */

	struct {
		char *bootstrap_servers;
		char *group_id;
		char *auto_offset_reset; /* earliest | latest | error */
		int64_t startup_timeout_ms;
		struct ck_config_kv *properties;
		size_t nproperties;
	} kafka;

	struct {
		char *url;
		char *database;
		char *user;
		char *password;
		int64_t connect_timeout_ms;
		int64_t request_timeout_ms;
		int insert_workers;
		/* Server settings sent with every insert (clickhouse.settings). */
		struct ck_config_kv *settings;
		size_t nsettings;
		struct {
			char *ca_file;     /* NULL: the system CA store */
			bool verify;       /* peer certificate and host name */
			char *client_cert; /* PEM; NULL: none */
			char *client_key;  /* PEM; NULL: in client_cert */
		} tls;
		enum ck_compression compression;
	} clickhouse;

	struct ck_batch_policy batch; /* defaults for routes */

	struct {
		int64_t initial_backoff_ms;
		int64_t max_backoff_ms;
	} retry;

	/* The dead-letter queue (dlq: section; docs/dlq.md). */
	struct {
		/* dlq.topic as written, {topic} not replaced; NULL: unset. */
		char *topic;
		/* librdkafka producer properties; override kafka.properties. */
		struct ck_config_kv *properties;
		size_t nproperties;
		/*
		 * Circuit breaker, enforced by the pipeline: a topic stops
		 * when more than max_bad_ratio (0 < r <= 1) of the last
		 * window records were bad, or after max_bad_run bad records
		 * in a row (0: no run limit).
		 */
		double max_bad_ratio;
		uint64_t window;
		uint64_t max_bad_run;
	} dlq;

	struct ck_config_route *routes;
	size_t nroutes;

	enum ck_delivery delivery;
	/*
	 * Bytes of encoded rows chute may hold in batches (open, waiting and
	 * being inserted) before it pauses partitions. Default 64 MiB, or
	 * twice the largest batch.max_bytes if that is more and the key is
	 * not set.
	 */
	uint64_t memory_budget;
	int64_t shutdown_timeout_ms;
	int64_t stats_interval_ms;
	enum ck_log_level log_level;
};

/*
 * Loads and validates the file at path. On success the caller owns *out
 * (free with ck_config_destroy). On failure err->msg is the one-line
 * message and the code is CK_ERR_CONFIG (CK_ERR_IO if the file is
 * unreadable).
 */
int ck_config_load_file(const char *path, struct ck_config **out,
			struct ck_err *err);

/*
 * Same for YAML text in memory; name stands for the file in messages.
 * text need not be NUL-terminated.
 */
int ck_config_load_string(const char *text, size_t len, const char *name,
			  struct ck_config **out, struct ck_err *err);

/* Frees a config; NULL is a no-op. */
void ck_config_destroy(struct ck_config *config);

/*
 * Parses a size such as "16MiB", "512KiB", "1GB", "100000" (bytes).
 * Parses a duration such as "500ms", "2s", "1.5s", "5m", "1h".
 * Exposed for tests. Return false if malformed or out of range.
 */
bool ck_config_parse_size(const char *text, uint64_t *out);
bool ck_config_parse_duration_ms(const char *text, int64_t *out);

/* "none", "gzip", "zstd", "lz4" and back. Exposed for tests and logs. */
bool ck_config_parse_compression(const char *text, enum ck_compression *out);
const char *ck_config_compression_name(enum ck_compression compression);

#endif
