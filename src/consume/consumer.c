/*
 * consumer.c — librdkafka consumer set-up, start-up checks and the
 * rebalance callback. See consumer.h.
 */
#include "consume/consumer.h"

#include <string.h>

#include "common/clock.h"
#include "common/log.h"

/* How long an assignment may wait for its committed offsets. */
#define ASSIGN_OFFSETS_TIMEOUT_MS 20000
#define ASSIGN_OFFSETS_RETRY_MS 200

/* Where a partition without a committed offset starts (auto.offset.reset). */
static int64_t start_without_commit(rd_kafka_t *rk)
{
	char value[32];
	size_t size = sizeof(value);

	if (rd_kafka_conf_get(rd_kafka_conf(rk), "auto.offset.reset", value,
			      &size) != RD_KAFKA_CONF_OK)
		return RD_KAFKA_OFFSET_INVALID;
	if (strcmp(value, "earliest") == 0 || strcmp(value, "smallest") == 0 ||
	    strcmp(value, "beginning") == 0)
		return RD_KAFKA_OFFSET_BEGINNING;
	if (strcmp(value, "latest") == 0 || strcmp(value, "largest") == 0 ||
	    strcmp(value, "end") == 0)
		return RD_KAFKA_OFFSET_END;
	return RD_KAFKA_OFFSET_INVALID; /* error: librdkafka reports it */
}

/*
 * Sets the offsets newly assigned partitions start from. Left unset,
 * librdkafka asks the group coordinator for them itself, and if that
 * request fails as a whole (NOT_COORDINATOR after the coordinator moved),
 * 2.0.2 never asks again: the partition is assigned and never fetched
 * (confluentinc/librdkafka#5586; the chaos suite's mock-cluster case found
 * it). chute asks with rd_kafka_committed() and retries, so the partitions
 * start at explicit offsets. If the coordinator does not answer within
 * ASSIGN_OFFSETS_TIMEOUT_MS, librdkafka is left to ask.
 */
static void set_start_offsets(rd_kafka_t *rk,
			      rd_kafka_topic_partition_list_t *parts)
{
	rd_kafka_topic_partition_list_t *list =
		rd_kafka_topic_partition_list_copy(parts);
	int64_t deadline = ck_clock_mono_ms() + ASSIGN_OFFSETS_TIMEOUT_MS;
	int64_t none = start_without_commit(rk);
	rd_kafka_resp_err_t code;

	for (;;) {
		int64_t left = deadline - ck_clock_mono_ms();
		code = rd_kafka_committed(rk, list,
					  left > 0 ? (int)left : 1);
		for (int i = 0; !code && i < list->cnt; i++)
			code = list->elems[i].err;
		if (!code)
			break;
		if (ck_clock_mono_ms() + ASSIGN_OFFSETS_RETRY_MS >= deadline) {
			ck_log_warn("kafka: cannot read the committed offsets of "
				    "%d assigned partition(s): %s; librdkafka "
				    "reads them itself",
				    parts->cnt, rd_kafka_err2str(code));
			rd_kafka_topic_partition_list_destroy(list);
			return;
		}
		ck_log_debug("kafka: reading committed offsets: %s; retrying",
			     rd_kafka_err2str(code));
		ck_clock_sleep_ms(ASSIGN_OFFSETS_RETRY_MS);
	}
	for (int i = 0; i < parts->cnt; i++)
		parts->elems[i].offset = list->elems[i].offset >= 0
						 ? list->elems[i].offset
						 : none;
	rd_kafka_topic_partition_list_destroy(list);
}

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t code,
			 rd_kafka_topic_partition_list_t *parts, void *opaque)
{
	const struct ck_consumer_hooks *hooks = opaque;
	bool cooperative =
		strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
	rd_kafka_error_t *error = NULL;
	rd_kafka_resp_err_t rerr = RD_KAFKA_RESP_ERR_NO_ERROR;

	if (code == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		if (parts->cnt > 0)
			set_start_offsets(rk, parts);
		hooks->assigned(hooks->arg, parts);
		if (cooperative)
			error = rd_kafka_incremental_assign(rk, parts);
		else
			rerr = rd_kafka_assign(rk, parts);
	} else if (code == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
		hooks->revoked(hooks->arg, parts, rd_kafka_assignment_lost(rk));
		if (cooperative)
			error = rd_kafka_incremental_unassign(rk, parts);
		else
			rerr = rd_kafka_assign(rk, NULL);
	} else {
		ck_log_error("kafka: rebalance failed: %s",
			     rd_kafka_err2str(code));
		hooks->revoked(hooks->arg, parts, true);
		rerr = rd_kafka_assign(rk, NULL);
	}
	if (error) {
		ck_log_error("kafka: applying the assignment failed: %s",
			     rd_kafka_error_string(error));
		rd_kafka_error_destroy(error);
	} else if (rerr) {
		ck_log_error("kafka: applying the assignment failed: %s",
			     rd_kafka_err2str(rerr));
	}
}

static void on_log(const rd_kafka_t *rk, int level, const char *fac,
		   const char *buf)
{
	(void)rk;
	ck_log(ck_log_level_from_syslog(level), "kafka: %s: %s", fac, buf);
}

static void on_error(rd_kafka_t *rk, int code, const char *reason,
		     void *opaque)
{
	(void)opaque;
	(void)rk;
	if (code == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN ||
	    code == RD_KAFKA_RESP_ERR__TRANSPORT)
		ck_log_warn("kafka: %s (retrying)", reason);
	else
		ck_log_error("kafka: %s: %s", rd_kafka_err2name(code), reason);
}

static void on_commit(rd_kafka_t *rk, rd_kafka_resp_err_t code,
		      rd_kafka_topic_partition_list_t *offsets, void *opaque)
{
	(void)rk;
	(void)opaque;
	if (code == RD_KAFKA_RESP_ERR__NO_OFFSET)
		return;
	if (code) {
		ck_log_warn("kafka: offset commit failed: %s (the rows are in "
			    "ClickHouse; if no later commit succeeds for the "
			    "partition, they are read again: duplicates, not "
			    "loss)",
			    rd_kafka_err2str(code));
		return;
	}
	for (int i = 0; offsets && i < offsets->cnt; i++) {
		if (offsets->elems[i].err)
			ck_log_warn("kafka: commit of %s[%d]@%lld failed: %s",
				    offsets->elems[i].topic,
				    (int)offsets->elems[i].partition,
				    (long long)offsets->elems[i].offset,
				    rd_kafka_err2str(offsets->elems[i].err));
	}
}

static int conf_set(rd_kafka_conf_t *conf, const char *key, const char *value,
		    const char *config_key, struct ck_err *err)
{
	char errstr[256];

	if (rd_kafka_conf_set(conf, key, value, errstr, sizeof(errstr)) !=
	    RD_KAFKA_CONF_OK)
		return ck_err_set(err, CK_ERR_CONFIG, "%s: librdkafka rejects "
				  "\"%s\": %s",
				  config_key, value, errstr);
	return CK_OK;
}

int ck_consumer_new(const struct ck_config *config,
		    const struct ck_consumer_hooks *hooks, rd_kafka_t **out,
		    struct ck_err *err)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_t *rk;
	char errstr[512];
	int rc;

	rc = conf_set(conf, "partition.assignment.strategy",
		      "cooperative-sticky", "kafka.properties", err);
	if (!rc)
		rc = conf_set(conf, "queued.max.messages.kbytes", "16384",
			      "kafka.properties", err);
	/*
	 * A sink that restarts or waits for a topic should be back in
	 * seconds: librdkafka's defaults (45 s session, 5 min metadata
	 * refresh) leave a killed member's partitions idle for 45 s and a
	 * topic created after start-up unread for minutes. Heartbeats come
	 * from librdkafka's own thread, so a busy chute does not miss them.
	 */
	if (!rc)
		rc = conf_set(conf, "session.timeout.ms", "10000",
			      "kafka.properties", err);
	if (!rc)
		rc = conf_set(conf, "heartbeat.interval.ms", "2000",
			      "kafka.properties", err);
	if (!rc)
		rc = conf_set(conf, "topic.metadata.refresh.interval.ms",
			      "10000", "kafka.properties", err);
	for (size_t i = 0; !rc && i < config->kafka.nproperties; i++) {
		char key[300];
		snprintf(key, sizeof(key), "kafka.properties.%s",
			 config->kafka.properties[i].key);
		rc = conf_set(conf, config->kafka.properties[i].key,
			      config->kafka.properties[i].value, key, err);
	}
	if (!rc)
		rc = conf_set(conf, "bootstrap.servers",
			      config->kafka.bootstrap_servers,
			      "kafka.bootstrap_servers", err);
	if (!rc)
		rc = conf_set(conf, "group.id", config->kafka.group_id,
			      "kafka.group_id", err);
	if (!rc)
		rc = conf_set(conf, "auto.offset.reset",
			      config->kafka.auto_offset_reset,
			      "kafka.auto_offset_reset", err);
	if (!rc)
		rc = conf_set(conf, "enable.auto.commit", "false",
			      "kafka.properties", err);
	if (!rc)
		rc = conf_set(conf, "enable.auto.offset.store", "false",
			      "kafka.properties", err);
	if (!rc)
		rc = conf_set(conf, "enable.partition.eof", "false",
			      "kafka.properties", err);
	if (rc) {
		rd_kafka_conf_destroy(conf);
		return rc;
	}
	rd_kafka_conf_set_opaque(conf, (void *)(uintptr_t)hooks);
	rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
	rd_kafka_conf_set_log_cb(conf, on_log);
	rd_kafka_conf_set_error_cb(conf, on_error);
	rd_kafka_conf_set_offset_commit_cb(conf, on_commit);

	rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
	if (!rk) {
		rd_kafka_conf_destroy(conf);
		return ck_err_set(err, CK_ERR_CONFIG,
				  "kafka: cannot create the consumer: %s",
				  errstr);
	}
	rd_kafka_poll_set_consumer(rk);
	*out = rk;
	return CK_OK;
}

int ck_consumer_check(rd_kafka_t *rk, const struct ck_config *config,
		      struct ck_err *err)
{
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_resp_err_t code;

	code = rd_kafka_metadata(rk, 1, NULL, &md,
				 (int)config->kafka.startup_timeout_ms);
	if (code)
		return ck_err_set(err, CK_ERR_KAFKA,
				  "cannot reach Kafka at %s within %lld ms: %s",
				  config->kafka.bootstrap_servers,
				  (long long)config->kafka.startup_timeout_ms,
				  rd_kafka_err2str(code));
	for (size_t r = 0; r < config->nroutes; r++) {
		const char *topic = config->routes[r].topic;
		bool found = false;
		for (int t = 0; t < md->topic_cnt; t++) {
			if (strcmp(md->topics[t].topic, topic) == 0 &&
			    md->topics[t].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
				found = true;
				ck_log_info("kafka: topic %s has %d partitions",
					    topic, md->topics[t].partition_cnt);
			}
		}
		if (!found)
			ck_log_warn("kafka: topic %s does not exist yet; chute "
				    "consumes it once it is created",
				    topic);
	}
	rd_kafka_metadata_destroy(md);
	return CK_OK;
}

int ck_consumer_subscribe(rd_kafka_t *rk, const struct ck_config *config,
			  struct ck_err *err)
{
	rd_kafka_topic_partition_list_t *topics =
		rd_kafka_topic_partition_list_new((int)config->nroutes);
	rd_kafka_resp_err_t code;

	for (size_t r = 0; r < config->nroutes; r++)
		rd_kafka_topic_partition_list_add(topics,
						  config->routes[r].topic,
						  RD_KAFKA_PARTITION_UA);
	code = rd_kafka_subscribe(rk, topics);
	rd_kafka_topic_partition_list_destroy(topics);
	if (code)
		return ck_err_set(err, CK_ERR_KAFKA, "kafka: subscribe failed: %s",
				  rd_kafka_err2str(code));
	return CK_OK;
}

rd_kafka_t *ck_consumer_new_reader(const struct ck_config *config,
				   const char *group_id, struct ck_err *err)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char errstr[512];
	rd_kafka_t *rk;
	const char *fixed[][2] = {
		{"group.id", group_id},
		{"enable.auto.commit", "false"},
		{"enable.auto.offset.store", "false"},
		{"enable.partition.eof", "true"},
		{"auto.offset.reset", "error"},
	};

	for (size_t i = 0; i < config->kafka.nproperties; i++) {
		if (rd_kafka_conf_set(conf, config->kafka.properties[i].key,
				      config->kafka.properties[i].value, errstr,
				      sizeof(errstr)) != RD_KAFKA_CONF_OK) {
			ck_err_set(err, CK_ERR_CONFIG,
				   "kafka.properties.%s: librdkafka rejects "
				   "it: %s",
				   config->kafka.properties[i].key, errstr);
			goto fail;
		}
	}
	if (rd_kafka_conf_set(conf, "bootstrap.servers",
			      config->kafka.bootstrap_servers, errstr,
			      sizeof(errstr)) != RD_KAFKA_CONF_OK) {
		ck_err_set(err, CK_ERR_CONFIG,
			   "kafka.bootstrap_servers: librdkafka rejects it: %s",
			   errstr);
		goto fail;
	}
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		if (rd_kafka_conf_set(conf, fixed[i][0], fixed[i][1], errstr,
				      sizeof(errstr)) != RD_KAFKA_CONF_OK) {
			ck_err_set(err, CK_ERR_CONFIG, "%s: %s", fixed[i][0],
				   errstr);
			goto fail;
		}
	}
	rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
	if (!rk) {
		ck_err_set(err, CK_ERR_CONFIG,
			   "kafka: cannot create the consumer: %s", errstr);
		goto fail;
	}
	rd_kafka_poll_set_consumer(rk);
	return rk;
fail:
	rd_kafka_conf_destroy(conf);
	return NULL;
}

int ck_consumer_read_range(rd_kafka_t *reader, const char *topic,
			   int32_t partition, int64_t first, int64_t last,
			   int timeout_ms,
			   void (*fn)(void *arg, const rd_kafka_message_t *msg),
			   void *arg, struct ck_err *err)
{
	rd_kafka_topic_partition_list_t *list =
		rd_kafka_topic_partition_list_new(1);
	int64_t idle_since = ck_clock_mono_ms();
	rd_kafka_resp_err_t code;
	int rc = CK_ERR_KAFKA;

	rd_kafka_topic_partition_list_add(list, topic, partition)->offset =
		first;
	code = rd_kafka_assign(reader, list);
	rd_kafka_topic_partition_list_destroy(list);
	if (code)
		return ck_err_set(err, CK_ERR_KAFKA,
				  "kafka: cannot read %s[%d] from offset %lld: "
				  "%s",
				  topic, (int)partition, (long long)first,
				  rd_kafka_err2str(code));
	for (;;) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(reader, 100);
		bool end;

		if (!m) {
			if (ck_clock_mono_ms() - idle_since < timeout_ms)
				continue;
			ck_err_set(err, CK_ERR_KAFKA,
				   "kafka: no message of %s[%d] from offset "
				   "%lld within %d ms",
				   topic, (int)partition, (long long)first,
				   timeout_ms);
			break;
		}
		idle_since = ck_clock_mono_ms();
		if (m->err && m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
			ck_err_set(err, CK_ERR_KAFKA,
				   "kafka: reading %s[%d] from offset %lld: %s",
				   topic, (int)partition, (long long)first,
				   rd_kafka_message_errstr(m));
			rd_kafka_message_destroy(m);
			break;
		}
		end = m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF ||
		      m->offset >= last;
		if (!m->err && m->offset >= first && m->offset <= last)
			fn(arg, m);
		rd_kafka_message_destroy(m);
		if (end) {
			rc = CK_OK;
			break;
		}
	}
	rd_kafka_assign(reader, NULL);
	return rc;
}
