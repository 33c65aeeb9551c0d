/*
 * dlq_replay.c — `chute dlq replay`: reads DLQ topics from their start to
 * the high watermark seen at start-up, keeps the records the filters
 * select, and produces each one to its source topic and partition with its
 * original key, value, timestamp and headers (chute.* headers replaced by
 * chute.replayed.offset).
 *
 * The reader assigns every partition itself and commits nothing, so a
 * replay never moves any consumer group and can be run again (it then
 * replays the same records again). The writer is the DLQ producer
 * (dlq/dlq.h): idempotent, acks=all, re-sending what fails, so a record is
 * counted as replayed only once the broker acknowledged it. The chute
 * pipeline then consumes the replayed records like any others.
 */
#include "cli/dlq_replay.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "config/config.h"
#include "consume/consumer.h"
#include "dlq/dlq.h"
#include "dlq/record.h"

/* Unacknowledged records at most; reading pauses above it. */
#define MAX_PENDING 10000
/* Bad records reported one by one before the rest are only counted. */
#define MAX_REPORTED 10

struct options {
	const char *config_path;
	const char **dlq_topics; /* --dlq-topic, repeatable */
	size_t ndlq_topics;
	struct ck_dlq_filter filter;
	bool dry_run;
	int64_t timeout_ms;
};

/* One assigned DLQ partition and where reading it ends. */
struct part {
	const char *topic;
	int32_t partition;
	int64_t end; /* high watermark at start */
	bool done;
};

struct counts {
	uint64_t read, selected, filtered, no_headers;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: chute dlq replay -c FILE [--dlq-topic T]... "
		"[--source-topic T]\n"
		"         [--partition N] [--from-offset A] [--to-offset B] "
		"[--stage S]\n"
		"         [--error-class C] [--timeout DURATION] [--dry-run]\n"
		"Sends dead-lettered records back to their source topics. "
		"See docs/dlq.md.\n");
}

static int bad_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One line on stderr; returns exit code 2. */
static int bad_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("chute dlq replay: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}

static bool parse_count(const char *text, int64_t max, int64_t *out)
{
	char *end;
	long long v;

	if (text[0] < '0' || text[0] > '9')
		return false;
	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno || *end || v < 0 || v > max)
		return false;
	*out = v;
	return true;
}

static int parse_args(int argc, char **argv, struct options *opt)
{
	ck_dlq_filter_init(&opt->filter);
	opt->timeout_ms = 60000;
	opt->dlq_topics = calloc((size_t)argc, sizeof(*opt->dlq_topics));
	if (!opt->dlq_topics)
		return bad_usage("out of memory");
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		int64_t n;

		if (strcmp(o, "--dry-run") == 0) {
			opt->dry_run = true;
			continue;
		}
		if (strcmp(o, "-h") == 0 || strcmp(o, "--help") == 0) {
			usage(stdout);
			exit(0);
		}
		if (strcmp(o, "-c") != 0 && strcmp(o, "--config") != 0 &&
		    strcmp(o, "--dlq-topic") != 0 &&
		    strcmp(o, "--source-topic") != 0 &&
		    strcmp(o, "--partition") != 0 &&
		    strcmp(o, "--from-offset") != 0 &&
		    strcmp(o, "--to-offset") != 0 &&
		    strcmp(o, "--stage") != 0 &&
		    strcmp(o, "--error-class") != 0 &&
		    strcmp(o, "--timeout") != 0)
			return bad_usage("unknown option \"%s\" (see chute "
					 "dlq replay --help)",
					 o);
		if (!v)
			return bad_usage("%s needs a value", o);
		i++;
		if (strcmp(o, "-c") == 0 || strcmp(o, "--config") == 0) {
			opt->config_path = v;
		} else if (strcmp(o, "--dlq-topic") == 0) {
			opt->dlq_topics[opt->ndlq_topics++] = v;
		} else if (strcmp(o, "--source-topic") == 0) {
			opt->filter.source_topic = v;
		} else if (strcmp(o, "--stage") == 0) {
			opt->filter.stage = v;
		} else if (strcmp(o, "--error-class") == 0) {
			opt->filter.error_class = v;
		} else if (strcmp(o, "--partition") == 0) {
			if (!parse_count(v, INT32_MAX, &n))
				return bad_usage("--partition: expected a "
						 "partition number, got \"%s\"",
						 v);
			opt->filter.partition = (int32_t)n;
		} else if (strcmp(o, "--from-offset") == 0) {
			if (!parse_count(v, INT64_MAX, &opt->filter.from_offset))
				return bad_usage("--from-offset: expected an "
						 "offset, got \"%s\"",
						 v);
		} else if (strcmp(o, "--to-offset") == 0) {
			if (!parse_count(v, INT64_MAX, &opt->filter.to_offset))
				return bad_usage("--to-offset: expected an "
						 "offset, got \"%s\"",
						 v);
		} else if (!ck_config_parse_duration_ms(v, &opt->timeout_ms) ||
			   opt->timeout_ms <= 0 || opt->timeout_ms > INT32_MAX) {
			return bad_usage("--timeout: expected a duration such "
					 "as 60s, got \"%s\"",
					 v);
		}
	}
	if (!opt->config_path)
		return bad_usage("needs -c FILE");
	if (opt->filter.from_offset >= 0 && opt->filter.to_offset >= 0 &&
	    opt->filter.from_offset > opt->filter.to_offset)
		return bad_usage("--from-offset is after --to-offset");
	return 0;
}

/* --dlq-topic values, else every route's DLQ topic once. */
static int pick_topics(struct options *opt, const struct ck_config *config)
{
	if (opt->ndlq_topics)
		return 0;
	free((void *)opt->dlq_topics);
	opt->dlq_topics = calloc(config->nroutes, sizeof(*opt->dlq_topics));
	if (!opt->dlq_topics)
		return bad_usage("out of memory");
	for (size_t r = 0; r < config->nroutes; r++) {
		const char *t = config->routes[r].dlq_topic;
		bool seen = false;

		for (size_t i = 0; t && i < opt->ndlq_topics; i++)
			seen = seen || strcmp(opt->dlq_topics[i], t) == 0;
		if (t && !seen)
			opt->dlq_topics[opt->ndlq_topics++] = t;
	}
	if (opt->ndlq_topics == 0)
		return bad_usage("no DLQ topic: the config sets neither "
				 "dlq.topic nor topics[].dlq_topic; name one "
				 "with --dlq-topic");
	return 0;
}

/*
 * Finds every partition of the DLQ topics with records and assigns them
 * from their low watermark. *parts (owned by the caller) lists them.
 */
static int assign_all(rd_kafka_t *rk, const struct options *opt,
		      const struct ck_config *config, struct part **parts,
		      size_t *nparts, struct ck_err *err)
{
	int timeout = (int)config->kafka.startup_timeout_ms;
	rd_kafka_topic_partition_list_t *list =
		rd_kafka_topic_partition_list_new(16);
	int rc = CK_OK;

	*parts = NULL;
	*nparts = 0;
	for (size_t t = 0; t < opt->ndlq_topics && !rc; t++) {
		const char *topic = opt->dlq_topics[t];
		const struct rd_kafka_metadata *md = NULL;
		rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
		rd_kafka_resp_err_t code;

		code = rd_kafka_metadata(rk, 0, rkt, &md, timeout);
		rd_kafka_topic_destroy(rkt);
		if (code) {
			rc = ck_err_set(err, CK_ERR_KAFKA,
					"cannot read the metadata of %s from "
					"%s: %s",
					topic, config->kafka.bootstrap_servers,
					rd_kafka_err2str(code));
			break;
		}
		if (md->topic_cnt != 1 || md->topics[0].err) {
			ck_log_warn("dlq replay: DLQ topic %s does not exist "
				    "(%s); nothing to replay from it",
				    topic,
				    rd_kafka_err2str(md->topic_cnt
							     ? md->topics[0].err
							     : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC));
			rd_kafka_metadata_destroy(md);
			continue;
		}
		for (int p = 0; p < md->topics[0].partition_cnt; p++) {
			int32_t id = md->topics[0].partitions[p].id;
			int64_t lo, hi;
			struct part *grown;

			code = rd_kafka_query_watermark_offsets(rk, topic, id,
								&lo, &hi,
								timeout);
			if (code) {
				rc = ck_err_set(err, CK_ERR_KAFKA,
						"cannot read the offsets of "
						"%s[%d]: %s",
						topic, (int)id,
						rd_kafka_err2str(code));
				break;
			}
			if (hi <= lo)
				continue;
			grown = realloc(*parts, (*nparts + 1) * sizeof(**parts));
			if (!grown) {
				rc = ck_err_set(err, CK_ERR_NOMEM,
						"out of memory");
				break;
			}
			*parts = grown;
			(*parts)[*nparts] =
				(struct part){topic, id, hi, false};
			(*nparts)++;
			rd_kafka_topic_partition_list_add(list, topic, id)
				->offset = lo;
		}
		rd_kafka_metadata_destroy(md);
	}
	if (!rc && list->cnt > 0) {
		rd_kafka_resp_err_t code = rd_kafka_assign(rk, list);
		if (code)
			rc = ck_err_set(err, CK_ERR_KAFKA, "assign failed: %s",
					rd_kafka_err2str(code));
	}
	rd_kafka_topic_partition_list_destroy(list);
	return rc;
}

static struct part *find_part(struct part *parts, size_t nparts,
			      const char *topic, int32_t partition)
{
	for (size_t i = 0; i < nparts; i++)
		if (parts[i].partition == partition &&
		    strcmp(parts[i].topic, topic) == 0)
			return &parts[i];
	return NULL;
}

/* Decides about one DLQ record and replays it if selected. */
static int handle(const struct options *opt, struct ck_dlq *dlq,
		  struct ck_dlq_ticket *ticket, const rd_kafka_message_t *m,
		  struct counts *counts, struct ck_err *err)
{
	rd_kafka_headers_t *hdrs = NULL, *out_hdrs = NULL;
	struct ck_dlq_meta meta;
	struct ck_dlq_out out;
	int rc;

	counts->read++;
	if (rd_kafka_message_headers(m, &hdrs))
		hdrs = NULL;
	rc = ck_dlq_meta_parse(hdrs, &meta, err);
	if (rc) {
		if (counts->no_headers++ < MAX_REPORTED)
			ck_log_warn("dlq replay: %s[%d]@%lld skipped: %s",
				    rd_kafka_topic_name(m->rkt),
				    (int)m->partition, (long long)m->offset,
				    err->msg);
		ck_err_clear(err);
		return CK_OK;
	}
	if (!ck_dlq_filter_match(&opt->filter, &meta)) {
		counts->filtered++;
		return CK_OK;
	}
	counts->selected++;
	if (opt->dry_run) {
		printf("would replay %s[%d]@%lld -> %s[%d]@%lld (%.*s, %.*s)\n",
		       rd_kafka_topic_name(m->rkt), (int)m->partition,
		       (long long)m->offset, meta.topic, (int)meta.partition,
		       (long long)meta.offset,
		       meta.stage ? (int)meta.stage_len : 1,
		       meta.stage ? meta.stage : "-",
		       meta.error_class ? (int)meta.error_class_len : 1,
		       meta.error_class ? meta.error_class : "-");
		return CK_OK;
	}
	rc = ck_dlq_headers_for_replay(hdrs, meta.offset, &out_hdrs, err);
	if (rc)
		return rc;
	out.topic = meta.topic;
	out.partition = meta.partition;
	out.key = m->key;
	out.key_len = m->key_len;
	out.value = m->payload;
	out.value_len = m->len;
	out.timestamp_ms = meta.timestamp_ms;
	out.headers = out_hdrs;
	rc = ck_dlq_produce(dlq, &out, ticket, err);
	rd_kafka_headers_destroy(out_hdrs);
	if (rc)
		ck_err_prefix(err, "%s[%d]@%lld: ", rd_kafka_topic_name(m->rkt),
			      (int)m->partition, (long long)m->offset);
	return rc;
}

/* Reads every assigned partition up to its end. */
static int read_all(rd_kafka_t *rk, const struct options *opt,
		    struct ck_dlq *dlq, struct ck_dlq_ticket *ticket,
		    struct part *parts, size_t nparts, struct counts *counts,
		    struct ck_err *err)
{
	size_t left = nparts;
	int64_t last_progress = ck_clock_mono_ms();

	while (left > 0) {
		rd_kafka_message_t *m;
		struct part *part;
		int rc = CK_OK;

		while (dlq && ticket->pending > MAX_PENDING) {
			uint32_t before = ticket->pending;
			ck_dlq_poll(dlq, 100);
			if (ticket->pending < before)
				last_progress = ck_clock_mono_ms();
			else if (ck_clock_mono_ms() - last_progress >
				 opt->timeout_ms)
				return ck_err_set(err, CK_ERR_KAFKA,
						  "%" PRIu32 " replayed records "
						  "not acknowledged within "
						  "%lld ms",
						  ticket->pending,
						  (long long)opt->timeout_ms);
		}
		if (dlq)
			ck_dlq_poll(dlq, 0);
		m = rd_kafka_consumer_poll(rk, 200);
		if (!m) {
			if (ck_clock_mono_ms() - last_progress > opt->timeout_ms)
				return ck_err_set(err, CK_ERR_KAFKA,
						  "no progress reading the DLQ "
						  "for %lld ms (%zu partitions "
						  "unfinished)",
						  (long long)opt->timeout_ms,
						  left);
			continue;
		}
		last_progress = ck_clock_mono_ms();
		part = m->rkt ? find_part(parts, nparts,
					  rd_kafka_topic_name(m->rkt),
					  m->partition)
			      : NULL;
		if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
			if (part && !part->done && m->offset >= part->end) {
				part->done = true;
				left--;
			}
		} else if (m->err) {
			ck_log_warn("dlq replay: %s", rd_kafka_message_errstr(m));
			if (m->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET ||
			    rd_kafka_fatal_error(rk, NULL, 0))
				rc = ck_err_set(err, CK_ERR_KAFKA,
						"reading the DLQ failed: %s",
						rd_kafka_message_errstr(m));
		} else if (part && !part->done && m->offset < part->end) {
			rc = handle(opt, dlq, ticket, m, counts, err);
			if (m->offset + 1 >= part->end) {
				part->done = true;
				left--;
			}
		}
		rd_kafka_message_destroy(m);
		if (rc)
			return rc;
	}
	return CK_OK;
}

int ck_cli_dlq_replay(int argc, char **argv)
{
	struct options opt;
	struct ck_config *config = NULL;
	struct ck_dlq *dlq = NULL;
	struct ck_dlq_ticket ticket = {0, 0};
	struct counts counts = {0, 0, 0, 0};
	struct part *parts = NULL;
	size_t nparts = 0;
	rd_kafka_t *rk = NULL;
	struct ck_err err;
	int code;

	memset(&opt, 0, sizeof(opt));
	ck_err_clear(&err);
	code = parse_args(argc, argv, &opt);
	if (code)
		goto out;
	if (ck_config_load_file(opt.config_path, &config, &err) != CK_OK) {
		fprintf(stderr, "chute: config error: %s\n", err.msg);
		code = 2;
		goto out;
	}
	ck_log_set_level(config->log_level);
	code = pick_topics(&opt, config);
	if (code)
		goto out;
	code = 1;
	rk = ck_consumer_new_reader(config, "chute-dlq-replay", &err);
	if (!rk || (!opt.dry_run && ck_dlq_new(config, &dlq, &err) != CK_OK)) {
		ck_log_error("dlq replay: %s", err.msg);
		code = err.code == CK_ERR_CONFIG ? 2 : 1;
		goto out;
	}
	if (assign_all(rk, &opt, config, &parts, &nparts, &err) != CK_OK ||
	    read_all(rk, &opt, dlq, &ticket, parts, nparts, &counts, &err) !=
		    CK_OK) {
		ck_log_error("dlq replay: %s", err.msg);
		goto summary;
	}
	if (dlq && ck_dlq_flush(dlq, (int)opt.timeout_ms) != CK_OK) {
		ck_log_error("dlq replay: %" PRIu32 " replayed records were not "
			     "acknowledged within %lld ms",
			     ticket.pending, (long long)opt.timeout_ms);
		goto summary;
	}
	code = 0;
summary:
	printf("dlq replay: read %" PRIu64 ", selected %" PRIu64
	       ", replayed %" PRIu64 ", skipped by filter %" PRIu64
	       ", without chute headers %" PRIu64 "%s\n",
	       counts.read, counts.selected, ticket.sent - ticket.pending,
	       counts.filtered, counts.no_headers,
	       opt.dry_run ? " (dry run)" : "");
	fflush(stdout);
out:
	ck_dlq_destroy(dlq);
	if (rk) {
		rd_kafka_consumer_close(rk);
		rd_kafka_destroy(rk);
	}
	free(parts);
	free((void *)opt.dlq_topics);
	ck_config_destroy(config);
	return code;
}
