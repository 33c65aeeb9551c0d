/*
 * dlq.c — the dead-letter producer. See dlq.h for the contract.
 *
 * Every record sent is an entry in one list, in send order, until its
 * acknowledgement. An entry is either with librdkafka (its msg_opaque is
 * the entry, and the payload pointers point into it, so librdkafka copies
 * nothing) or waiting: its delivery failed, or it queued behind one that
 * failed. ck_dlq_poll produces the waiting entries again, in list order,
 * once the backoff is over. The partitioner reads the entry's partition,
 * which never changes after the entry is made, so it is safe on
 * librdkafka's threads.
 */
#include "dlq/dlq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "dlq/record.h"

struct entry {
	struct entry *prev, *next;
	struct ck_dlq_ticket *ticket;
	const char *topic; /* these point into the same allocation */
	void *key;
	void *value;
	size_t key_len, value_len;
	int32_t partition;
	int64_t timestamp_ms;
	rd_kafka_headers_t *headers; /* our copy; each attempt gets a copy */
	bool waiting;
};

struct ck_dlq {
	const struct ck_config *config;
	rd_kafka_t *rk;
	struct entry *head, *tail;
	size_t nentries;
	size_t nwaiting;
	int64_t retry_at_ms; /* monotonic; waiting entries go out then */
	int64_t backoff_ms;  /* 0 after a success */
	/* Failed deliveries served by the current poll, logged once. */
	size_t nfailed;
	char failure[256];
};

bool ck_dlq_connection_property(const char *key)
{
	static const char *const exact[] = {"client.id", "client.rack",
					    "debug", NULL};
	static const char *const prefixes[] = {
		"security.", "sasl.",	     "ssl.",	     "socket.",
		"broker.",   "api.version", "reconnect.", "connections.",
		"enable.ssl.", NULL};

	for (size_t i = 0; exact[i]; i++)
		if (strcmp(key, exact[i]) == 0)
			return true;
	for (size_t i = 0; prefixes[i]; i++)
		if (strncmp(key, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

static int32_t partition_of(const rd_kafka_topic_t *rkt, const void *key,
			    size_t key_len, int32_t count, void *rkt_opaque,
			    void *msg_opaque)
{
	const struct entry *e = msg_opaque;

	(void)rkt;
	(void)key;
	(void)key_len;
	(void)rkt_opaque;
	return count > 0 ? e->partition % count : 0;
}

static void unlink_entry(struct ck_dlq *dlq, struct entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		dlq->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		dlq->tail = e->prev;
	dlq->nentries--;
}

static void free_entry(struct entry *e)
{
	if (e->headers)
		rd_kafka_headers_destroy(e->headers);
	free(e);
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *msg,
			void *opaque)
{
	struct ck_dlq *dlq = opaque;
	struct entry *e = msg->_private;

	(void)rk;
	if (!msg->err) {
		e->ticket->pending--;
		unlink_entry(dlq, e);
		free_entry(e);
		dlq->backoff_ms = 0;
		return;
	}
	e->waiting = true;
	dlq->nwaiting++;
	dlq->nfailed++;
	snprintf(dlq->failure, sizeof(dlq->failure), "%s[%d]: %s", e->topic,
		 (int)e->partition, rd_kafka_err2str(msg->err));
}

static void on_log(const rd_kafka_t *rk, int level, const char *fac,
		   const char *buf)
{
	(void)rk;
	ck_log(ck_log_level_from_syslog(level), "kafka dlq producer: %s: %s", fac, buf);
}

static void on_error(rd_kafka_t *rk, int code, const char *reason,
		     void *opaque)
{
	(void)rk;
	(void)opaque;
	/* Fatal errors are handled (and logged) by ck_dlq_poll. */
	if (code == RD_KAFKA_RESP_ERR__FATAL)
		return;
	if (code == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN ||
	    code == RD_KAFKA_RESP_ERR__TRANSPORT)
		ck_log_warn("kafka dlq producer: %s (retrying)", reason);
	else
		ck_log_error("kafka dlq producer: %s: %s",
			     rd_kafka_err2name(code), reason);
}

static int conf_set(rd_kafka_conf_t *conf, const char *key, const char *value,
		    const char *config_key, struct ck_err *err)
{
	char errstr[256];

	if (rd_kafka_conf_set(conf, key, value, errstr, sizeof(errstr)) !=
	    RD_KAFKA_CONF_OK)
		return ck_err_set(err, CK_ERR_CONFIG,
				  "%s: librdkafka rejects \"%s\": %s",
				  config_key, value, errstr);
	return CK_OK;
}

static int create_producer(struct ck_dlq *dlq, struct ck_err *err)
{
	const struct ck_config *config = dlq->config;
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char key[300], errstr[512];
	int rc;

	if (!conf) {
		rc = ck_err_set(err, CK_ERR_NOMEM, "out of memory");
		goto out;
	}
	rc = conf_set(conf, "message.timeout.ms", "0", "dlq.properties", err);
	for (size_t i = 0; !rc && i < config->kafka.nproperties; i++) {
		const struct ck_config_kv *kv = &config->kafka.properties[i];
		if (!ck_dlq_connection_property(kv->key))
			continue;
		snprintf(key, sizeof(key), "kafka.properties.%s", kv->key);
		rc = conf_set(conf, kv->key, kv->value, key, err);
	}
	for (size_t i = 0; !rc && i < config->dlq.nproperties; i++) {
		const struct ck_config_kv *kv = &config->dlq.properties[i];
		snprintf(key, sizeof(key), "dlq.properties.%s", kv->key);
		rc = conf_set(conf, kv->key, kv->value, key, err);
	}
	if (!rc)
		rc = conf_set(conf, "bootstrap.servers",
			      config->kafka.bootstrap_servers,
			      "kafka.bootstrap_servers", err);
	if (!rc)
		rc = conf_set(conf, "enable.idempotence", "true",
			      "dlq.properties", err);
	if (!rc)
		rc = conf_set(conf, "acks", "all", "dlq.properties", err);
	/*
	 * A record without a key would otherwise skip the partitioner
	 * (librdkafka's sticky partitioning) and land anywhere.
	 */
	if (!rc)
		rc = conf_set(conf, "sticky.partitioning.linger.ms", "0",
			      "dlq.properties", err);
	if (rc)
		goto out;
	/* The conf's own topic conf: it holds topic-level dlq.properties. */
	rd_kafka_topic_conf_set_partitioner_cb(
		rd_kafka_conf_get_default_topic_conf(conf), partition_of);
	rd_kafka_conf_set_opaque(conf, dlq);
	rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
	rd_kafka_conf_set_log_cb(conf, on_log);
	rd_kafka_conf_set_error_cb(conf, on_error);
	dlq->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (!dlq->rk) {
		rc = ck_err_set(err, CK_ERR_CONFIG,
				"dlq: cannot create the producer: %s", errstr);
		goto out;
	}
	conf = NULL; /* rd_kafka_new took it */
out:
	if (conf)
		rd_kafka_conf_destroy(conf);
	return rc;
}

int ck_dlq_new(const struct ck_config *config, struct ck_dlq **out,
	       struct ck_err *err)
{
	struct ck_dlq *dlq = calloc(1, sizeof(*dlq));
	int rc;

	if (!dlq)
		return ck_err_set(err, CK_ERR_NOMEM, "out of memory");
	dlq->config = config;
	rc = create_producer(dlq, err);
	if (rc) {
		free(dlq);
		return rc;
	}
	*out = dlq;
	return CK_OK;
}

/*
 * Hands e to librdkafka; on failure the caller keeps it waiting.
 * rd_kafka_produceva rather than the producev macros, which need GNU
 * statement expressions.
 */
static rd_kafka_resp_err_t produce_entry(struct ck_dlq *dlq, struct entry *e)
{
	rd_kafka_headers_t *hdrs =
		e->headers ? rd_kafka_headers_copy(e->headers) : NULL;
	rd_kafka_vu_t vus[7];
	size_t n = 0;
	rd_kafka_error_t *error;
	rd_kafka_resp_err_t code;

	vus[n].vtype = RD_KAFKA_VTYPE_TOPIC;
	vus[n++].u.cstr = e->topic;
	vus[n].vtype = RD_KAFKA_VTYPE_PARTITION;
	vus[n++].u.i32 = RD_KAFKA_PARTITION_UA;
	vus[n].vtype = RD_KAFKA_VTYPE_KEY;
	vus[n].u.mem.ptr = e->key;
	vus[n++].u.mem.size = e->key_len;
	vus[n].vtype = RD_KAFKA_VTYPE_VALUE;
	vus[n].u.mem.ptr = e->value;
	vus[n++].u.mem.size = e->value_len;
	vus[n].vtype = RD_KAFKA_VTYPE_TIMESTAMP;
	vus[n++].u.i64 = e->timestamp_ms > 0 ? e->timestamp_ms : 0;
	vus[n].vtype = RD_KAFKA_VTYPE_OPAQUE;
	vus[n++].u.ptr = e;
	if (hdrs) {
		vus[n].vtype = RD_KAFKA_VTYPE_HEADERS;
		vus[n++].u.headers = hdrs;
	}
	error = rd_kafka_produceva(dlq->rk, vus, n);
	if (!error)
		return RD_KAFKA_RESP_ERR_NO_ERROR;
	code = rd_kafka_error_code(error);
	rd_kafka_error_destroy(error);
	if (hdrs)
		rd_kafka_headers_destroy(hdrs); /* only taken on success */
	return code;
}

static void wait_again(struct ck_dlq *dlq, struct entry *e)
{
	e->waiting = true;
	dlq->nwaiting++;
}

int ck_dlq_produce(struct ck_dlq *dlq, const struct ck_dlq_out *out,
		   struct ck_dlq_ticket *ticket, struct ck_err *err)
{
	size_t tlen = strlen(out->topic);
	struct entry *e;
	char *p;
	rd_kafka_resp_err_t code;

	if (out->partition < 0)
		return ck_err_set(err, CK_ERR_KAFKA,
				  "dlq: record for %s has no partition",
				  out->topic);
	if (out->key_len > SIZE_MAX / 4 || out->value_len > SIZE_MAX / 4 ||
	    !(e = calloc(1, sizeof(*e) + tlen + 1 + out->key_len +
				    out->value_len)))
		return ck_err_set(err, CK_ERR_NOMEM, "out of memory");
	p = (char *)(e + 1);
	memcpy(p, out->topic, tlen + 1);
	e->topic = p;
	p += tlen + 1;
	if (out->key) {
		e->key = p;
		e->key_len = out->key_len;
		memcpy(p, out->key, out->key_len);
		p += out->key_len;
	}
	if (out->value) {
		e->value = p;
		e->value_len = out->value_len;
		memcpy(p, out->value, out->value_len);
	}
	e->partition = out->partition;
	e->timestamp_ms = out->timestamp_ms;
	e->ticket = ticket;
	if (out->headers && !(e->headers = rd_kafka_headers_copy(out->headers))) {
		free(e);
		return ck_err_set(err, CK_ERR_NOMEM, "out of memory");
	}
	if (dlq->nwaiting == 0) {
		code = produce_entry(dlq, e);
		if (code && code != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
			free_entry(e);
			return ck_err_set(err, CK_ERR_KAFKA,
					  "dlq: cannot produce to %s: %s",
					  out->topic, rd_kafka_err2str(code));
		}
		if (code)
			wait_again(dlq, e); /* the next poll sends it */
	} else {
		wait_again(dlq, e); /* never overtake a waiting record */
	}
	e->prev = dlq->tail;
	if (dlq->tail)
		dlq->tail->next = e;
	else
		dlq->head = e;
	dlq->tail = e;
	dlq->nentries++;
	ticket->pending++;
	ticket->sent++;
	return CK_OK;
}

int ck_dlq_send(struct ck_dlq *dlq, const struct ck_dlq_record *rec,
		struct ck_dlq_ticket *ticket, struct ck_err *err)
{
	const rd_kafka_message_t *msg = rec->msg;
	rd_kafka_headers_t *src_hdrs = NULL, *hdrs = NULL;
	rd_kafka_timestamp_type_t tstype;
	struct ck_dlq_source src;
	struct ck_dlq_reason reason = {rec->stage, rec->error_class,
				       rec->message, rec->clickhouse_code};
	struct ck_dlq_out out;
	int rc;

	if (rd_kafka_message_headers(msg, &src_hdrs))
		src_hdrs = NULL;
	src.topic = rd_kafka_topic_name(msg->rkt);
	src.partition = msg->partition;
	src.offset = msg->offset;
	src.timestamp_ms = rd_kafka_message_timestamp(msg, &tstype);
	src.headers = src_hdrs;
	rc = ck_dlq_headers_build(&src, &reason, &hdrs, err);
	if (rc)
		return rc;
	out.topic = rec->topic;
	out.partition = msg->partition;
	out.key = msg->key;
	out.key_len = msg->key_len;
	out.value = msg->payload;
	out.value_len = msg->len;
	out.timestamp_ms = src.timestamp_ms;
	out.headers = hdrs;
	rc = ck_dlq_produce(dlq, &out, ticket, err);
	rd_kafka_headers_destroy(hdrs);
	if (rc)
		ck_err_prefix(err, "%s[%d]@%lld: ", src.topic,
			      (int)src.partition, (long long)src.offset);
	return rc;
}

/* Serves every delivery report already queued, without waiting. */
static void drain(struct ck_dlq *dlq)
{
	while (rd_kafka_poll(dlq->rk, 0) > 0)
		;
}

/*
 * After a fatal error: takes every record back from the old producer
 * (their reports come back failed: purged), destroys it and creates a new
 * one; the waiting records go out on the next poll.
 */
static void replace_producer(struct ck_dlq *dlq)
{
	char reason[512];
	struct ck_err err;
	rd_kafka_resp_err_t code =
		rd_kafka_fatal_error(dlq->rk, reason, sizeof(reason));
	int64_t deadline = ck_clock_mono_ms() + 10000;

	ck_log_error("dlq: the producer hit a fatal error (%s: %s); replacing "
		     "it and sending the %zu unacknowledged records again",
		     rd_kafka_err2name(code), reason, dlq->nentries);
	rd_kafka_purge(dlq->rk,
		       RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
	while (rd_kafka_outq_len(dlq->rk) > 0 &&
	       ck_clock_mono_ms() < deadline)
		rd_kafka_poll(dlq->rk, 100);
	drain(dlq);
	rd_kafka_destroy(dlq->rk);
	dlq->rk = NULL;
	/* Whatever the old producer never reported is sent again too. */
	dlq->nwaiting = 0;
	for (struct entry *e = dlq->head; e; e = e->next) {
		e->waiting = true;
		dlq->nwaiting++;
	}
	dlq->nfailed = 0;
	dlq->retry_at_ms = 0;
	while (create_producer(dlq, &err) != CK_OK) {
		/* The config worked once; only memory can fail here. */
		ck_log_error("dlq: cannot create the producer again: %s; "
			     "retrying in 1s",
			     err.msg);
		struct timespec ts = {1, 0};
		nanosleep(&ts, NULL);
	}
}

static void resend_waiting(struct ck_dlq *dlq)
{
	for (struct entry *e = dlq->head; e && dlq->nwaiting; e = e->next) {
		rd_kafka_resp_err_t code;

		if (!e->waiting)
			continue;
		code = produce_entry(dlq, e);
		if (code) {
			/* Keep the order: the rest waits behind this one. */
			if (code != RD_KAFKA_RESP_ERR__QUEUE_FULL)
				ck_log_warn("dlq: cannot produce to %s again: "
					    "%s; retrying",
					    e->topic, rd_kafka_err2str(code));
			dlq->retry_at_ms = ck_clock_mono_ms() +
					   dlq->config->retry.initial_backoff_ms;
			return;
		}
		e->waiting = false;
		dlq->nwaiting--;
	}
}

void ck_dlq_poll(struct ck_dlq *dlq, int timeout_ms)
{
	const struct ck_config *config = dlq->config;

	rd_kafka_poll(dlq->rk, timeout_ms);
	drain(dlq);
	if (rd_kafka_fatal_error(dlq->rk, NULL, 0)) {
		replace_producer(dlq);
	} else if (dlq->nfailed) {
		if (dlq->backoff_ms == 0)
			dlq->backoff_ms = config->retry.initial_backoff_ms;
		else if (dlq->backoff_ms < config->retry.max_backoff_ms / 2)
			dlq->backoff_ms *= 2;
		else
			dlq->backoff_ms = config->retry.max_backoff_ms;
		ck_log_warn("dlq: %zu records were not acknowledged (last: "
			    "%s); sending them again in %lld ms",
			    dlq->nfailed, dlq->failure,
			    (long long)dlq->backoff_ms);
		dlq->nfailed = 0;
		dlq->retry_at_ms = ck_clock_mono_ms() + dlq->backoff_ms;
	}
	if (dlq->nwaiting && ck_clock_mono_ms() >= dlq->retry_at_ms)
		resend_waiting(dlq);
}

int ck_dlq_flush(struct ck_dlq *dlq, int timeout_ms)
{
	int64_t deadline = ck_clock_mono_ms() + timeout_ms;

	while (dlq->nentries > 0) {
		int64_t left = deadline - ck_clock_mono_ms();
		if (left <= 0)
			return CK_ERR_KAFKA;
		ck_dlq_poll(dlq, left < 100 ? (int)left : 100);
	}
	return CK_OK;
}

size_t ck_dlq_pending(const struct ck_dlq *dlq)
{
	return dlq->nentries;
}

void ck_dlq_destroy(struct ck_dlq *dlq)
{
	struct entry *e, *next;

	if (!dlq)
		return;
	if (dlq->nentries)
		ck_log_warn("dlq: closing with %zu records unacknowledged",
			    dlq->nentries);
	/* Reports of purged records come back here and must find entries. */
	rd_kafka_purge(dlq->rk,
		       RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
	drain(dlq);
	rd_kafka_destroy(dlq->rk);
	for (e = dlq->head; e; e = next) {
		next = e->next;
		free_entry(e);
	}
	free(dlq);
}
