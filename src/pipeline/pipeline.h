/*
 * pipeline.h — the running daemon: Kafka in, batches, ClickHouse out,
 * offsets committed only after ClickHouse acknowledged the rows.
 */
#ifndef CK_PIPELINE_H
#define CK_PIPELINE_H

#include <signal.h>

#include "common/err.h"
#include "config/config.h"

struct ck_pipeline;

/*
 * Connects to ClickHouse (version, capabilities, table schemas) and Kafka
 * (reachability, topics) and prepares everything; fails fast with a clear
 * error when either is unreachable or a table cannot be served. config is
 * borrowed and must outlive the pipeline. The caller owns *out.
 */
int ck_pipeline_new(const struct ck_config *config, struct ck_pipeline **out,
		    struct ck_err *err);

/*
 * Logs what the pipeline will do: each topic → table route with its column
 * count, insert format and batch policy, and the servers and group.
 */
void ck_pipeline_log_plan(const struct ck_pipeline *pipeline);

/*
 * chute check, for tables that do not exist yet (created from the first
 * change event, docs/cdc.md): prints to stdout the CREATE TABLE that a
 * recent change event in the topic gives, or why there is none yet.
 * Reads with a manual assignment and commits nothing. An error when that
 * event could not create the table (no schema, no key in upsert mode).
 */
int ck_pipeline_check_tables(struct ck_pipeline *pipeline, struct ck_err *err);

/*
 * Consumes until *stop becomes non-zero, then shuts down gracefully: stops
 * fetching, flushes every batch, waits for inserts (up to
 * shutdown_timeout), commits what was inserted and closes the consumer.
 * Returns CK_OK when everything consumed was inserted and committed;
 * CK_ERR_STOPPED when shutdown had to abandon batches (their offsets were
 * not committed, so they are read again on restart); CK_ERR_KAFKA on a fatal
 * consumer error.
 */
int ck_pipeline_run(struct ck_pipeline *pipeline,
		    const volatile sig_atomic_t *stop, struct ck_err *err);

/* Frees the pipeline; NULL is a no-op. */
void ck_pipeline_destroy(struct ck_pipeline *pipeline);

#endif
