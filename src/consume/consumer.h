/*
 * consumer.h — the Kafka consumer: a librdkafka high-level consumer set up
 * for chute's delivery rules.
 *
 * chute owns these properties (config.c refuses them in kafka.properties):
 *   enable.auto.commit=false        offsets are committed by the pipeline,
 *   enable.auto.offset.store=false  only after ClickHouse acknowledged
 *   auto.offset.reset               from kafka.auto_offset_reset, explicit
 * and defaults these (users may override them):
 *   partition.assignment.strategy=cooperative-sticky
 *   queued.max.messages.kbytes=16384 (bounds prefetch memory per partition)
 *
 * Rebalances reach the pipeline through hooks called on the pipeline thread
 * (inside rd_kafka_consumer_poll). This file applies the assignment change
 * after the hook returned, with the call that matches the group's protocol
 * (incremental for cooperative, full for eager), so the pipeline only
 * decides what to flush, drop and commit.
 */
#ifndef CK_CONSUMER_H
#define CK_CONSUMER_H

#include <librdkafka/rdkafka.h>
#include <stdbool.h>

#include "common/err.h"
#include "config/config.h"

struct ck_consumer_hooks {
	/* Partitions were added to this member. */
	void (*assigned)(void *arg,
			 const rd_kafka_topic_partition_list_t *parts);
	/*
	 * Partitions are being taken away. lost: they may already belong to
	 * another member, so nothing may be committed for them.
	 */
	void (*revoked)(void *arg, const rd_kafka_topic_partition_list_t *parts,
			bool lost);
	void *arg;
};

/*
 * Creates the consumer (not yet subscribed). hooks is borrowed and must
 * outlive the handle. The caller owns *out (close with
 * rd_kafka_consumer_close, then rd_kafka_destroy). CK_ERR_CONFIG for a
 * property librdkafka refuses, naming it.
 */
int ck_consumer_new(const struct ck_config *config,
		    const struct ck_consumer_hooks *hooks, rd_kafka_t **out,
		    struct ck_err *err);

/*
 * Start-up check: the brokers answer within kafka.startup_timeout, and the
 * routed topics exist (a missing topic is a warning: the subscription picks
 * it up when it is created). CK_ERR_KAFKA with what failed otherwise.
 */
int ck_consumer_check(rd_kafka_t *rk, const struct ck_config *config,
		      struct ck_err *err);

/* Subscribes to every routed topic. */
int ck_consumer_subscribe(rd_kafka_t *rk, const struct ck_config *config,
			  struct ck_err *err);

/*
 * A second consumer that only reads given partitions at given offsets: it
 * is assigned, never subscribed, so it never joins a group nor commits.
 * It has kafka.properties (TLS, SASL...) and bootstrap_servers, group.id
 * group_id, and reports the end of a partition. NULL and err on failure.
 */
rd_kafka_t *ck_consumer_new_reader(const struct ck_config *config,
				   const char *group_id, struct ck_err *err);

/*
 * Reads topic[partition] from offset first through last with a reader,
 * calling fn for every message in that range (offsets may be missing:
 * compaction, transaction markers). Returns CK_OK once last was passed or
 * the partition ended, CK_ERR_KAFKA on an error or when no message came
 * for timeout_ms. The reader is unassigned again either way.
 */
int ck_consumer_read_range(rd_kafka_t *reader, const char *topic,
			   int32_t partition, int64_t first, int64_t last,
			   int timeout_ms,
			   void (*fn)(void *arg, const rd_kafka_message_t *msg),
			   void *arg, struct ck_err *err);

#endif
