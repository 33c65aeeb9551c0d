/*
 * dlq.h — the dead-letter producer: writes bad records to their DLQ topic
 * and never loses one.
 *
 * One struct ck_dlq is one idempotent librdkafka producer (acks=all), used
 * by one thread: every function here runs on the caller's thread, and
 * delivery reports are served only inside ck_dlq_poll/ck_dlq_flush.
 *
 * Acknowledgement. The caller groups its records with a ticket (one per
 * batch). ck_dlq_send/ck_dlq_produce increment ticket->pending and
 * ticket->sent; pending goes down only when the broker acknowledged the
 * record with all in-sync replicas. A batch whose ticket has pending == 0
 * is safely in the DLQ and its offsets may be committed.
 *
 * Nothing is dropped. The module keeps its own copy of every record until
 * it is acknowledged. A failed delivery report (broker down past
 * message.timeout.ms, topic not authorised, ...) logs one WARN per poll
 * and produces the records again after a capped exponential backoff
 * (retry.initial_backoff doubling up to retry.max_backoff). So a failure
 * shows to the caller only as a ticket that stays pending: it waits, and
 * pauses its partitions if it must. A fatal error of the idempotent
 * producer (the broker lost its sequence state, a fenced producer id) logs
 * an ERROR, destroys the producer, creates a new one and sends every
 * unacknowledged record again. The caller never sees an error for it. The
 * price of both: a record that the broker stored but whose
 * acknowledgement was lost is stored twice. The DLQ is at-least-once
 * (docs/dlq.md).
 *
 * Ordering. A record goes to partition `partition % partition count` of its
 * DLQ topic (a partitioner callback; for DLQ records `partition` is the
 * source partition), so one source partition's records land in one DLQ
 * partition in the order they were sent. chute sets message.timeout.ms=0
 * (no limit), so librdkafka's idempotent producer retries internally and
 * keeps that order through broker outages. Order can change only when a
 * record fails for good and is produced again here: it then lands after
 * records that were sent after it. New sends queue behind records waiting
 * for a retry, so they do not overtake them.
 *
 * Properties, in this order (later ones win): message.timeout.ms=0; the
 * connection properties of kafka.properties (security.*, sasl.*, ssl.*,
 * client.id... see ck_dlq_connection_property); dlq.properties;
 * bootstrap.servers, enable.idempotence=true and acks=all (config.c
 * refuses these three in dlq.properties).
 *
 * Memory: each unacknowledged record is one allocation holding its copy.
 * The caller bounds it (it stops sending when too much is pending).
 */
#ifndef CK_DLQ_H
#define CK_DLQ_H

#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "config/config.h"

struct ck_dlq;

/* Owned by the caller (one per batch); touched only on the dlq's thread. */
struct ck_dlq_ticket {
	uint32_t pending; /* records sent and not yet acknowledged */
	uint64_t sent;	  /* total records sent with this ticket */
};

/* A bad record and why it was refused; everything is borrowed. */
struct ck_dlq_record {
	/* The original record: key, value, headers, timestamp are copied. */
	const rd_kafka_message_t *msg;
	const char *topic;	 /* DLQ topic to write to */
	const char *stage;	 /* "decode" | "convert" | "insert" */
	const char *error_class; /* "bad_data" | ... */
	const char *message;	 /* the error text */
	int clickhouse_code;	 /* 0: none */
};

/* A record to produce as it is (what ck_dlq_send builds; replay uses it). */
struct ck_dlq_out {
	const char *topic;
	int32_t partition;	/* >= 0: written to partition % count */
	const void *key;	/* NULL: no key */
	size_t key_len;
	const void *value;	/* NULL: no value (a tombstone) */
	size_t value_len;
	int64_t timestamp_ms;	/* <= 0: none (the producer's clock) */
	const rd_kafka_headers_t *headers; /* NULL: none; copied */
};

/*
 * Creates the producer. config is borrowed and must outlive the dlq.
 * CK_ERR_CONFIG if librdkafka refuses a property (naming the config key),
 * CK_ERR_NOMEM.
 */
int ck_dlq_new(const struct ck_config *config, struct ck_dlq **out,
	       struct ck_err *err);

/*
 * Sends rec->msg to rec->topic with the chute.* headers (dlq/record.h),
 * to partition msg->partition % count. Copies everything: rec may go away
 * when this returns. CK_OK: ticket->pending and ->sent went up by one and
 * the record will be delivered (or retried) whatever happens. An error
 * (CK_ERR_NOMEM, or CK_ERR_KAFKA when librdkafka refuses the record
 * outright, e.g. larger than message.max.bytes) leaves the ticket alone;
 * retrying such a record cannot help.
 */
int ck_dlq_send(struct ck_dlq *dlq, const struct ck_dlq_record *rec,
		struct ck_dlq_ticket *ticket, struct ck_err *err);

/* The same for a record given field by field (same ticket contract). */
int ck_dlq_produce(struct ck_dlq *dlq, const struct ck_dlq_out *out,
		   struct ck_dlq_ticket *ticket, struct ck_err *err);

/*
 * Serves delivery reports (waiting up to timeout_ms for one), re-sends
 * records whose backoff is over, and replaces the producer after a fatal
 * error. Call it often: pending tickets only move in here.
 */
void ck_dlq_poll(struct ck_dlq *dlq, int timeout_ms);

/*
 * Polls until every record sent so far is acknowledged, or timeout_ms.
 * CK_OK when nothing is pending, CK_ERR_KAFKA otherwise (ck_dlq_pending
 * says how many). The records stay queued either way.
 */
int ck_dlq_flush(struct ck_dlq *dlq, int timeout_ms);

/* Records sent and not yet acknowledged, over all tickets. */
size_t ck_dlq_pending(const struct ck_dlq *dlq);

/*
 * Destroys the producer without waiting (ck_dlq_flush first). Records
 * still unacknowledged are lost to the DLQ, and their tickets are left as
 * they are; a caller that did not commit their offsets reads them again.
 * NULL is a no-op.
 */
void ck_dlq_destroy(struct ck_dlq *dlq);

/*
 * Whether a kafka.properties key concerns the connection and is passed to
 * the DLQ producer too (security.*, sasl.*, ssl.*, client.id, ...).
 * Exposed for tests.
 */
bool ck_dlq_connection_property(const char *key);

#endif
