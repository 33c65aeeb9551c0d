/*
 * mock_cluster: a librdkafka mock Kafka cluster in its own process, driven
 * line by line on stdin. Test code for the chaos suite
 * (tests/chaos/test_mock_broker_faults.py, docs/chaos.md, case 4b).
 *
 *   mock_cluster [--brokers N] [TOPIC:PARTITIONS ...]
 *
 * It creates a cluster of N brokers (default 3, ids 1..N) with
 * rd_kafka_mock_cluster_new() on a dummy producer handle, creates the
 * topics named on the command line, prints the cluster's bootstrap servers
 * as one line on stdout, and then answers one line per command: "ok",
 * "ok <value>", or "error: <why>". stdin at EOF is the same as "quit".
 *
 *   topic NAME PARTITIONS             rd_kafka_mock_topic_create (replication 1)
 *   errors APIKEY COUNT ERR...        push COUNT errors on the cluster-wide stack
 *                                     of APIKEY, cycling through ERR...
 *                                     (rd_kafka_mock_push_request_errors_array)
 *   broker-errors BROKER APIKEY COUNT ERR RTT_MS
 *                                     push COUNT (ERR, RTT) pairs on one broker's
 *                                     stack (these take precedence)
 *   pending BROKER APIKEY             "ok N": errors left on that broker's stack
 *   clear APIKEY                      drop the cluster-wide stack of APIKEY
 *   rtt BROKER MS                     delay every response of BROKER
 *   down BROKER / up BROKER           close the broker's connections and refuse
 *                                     new ones / accept them again
 *   leader TOPIC PARTITION BROKER     move a partition's leader
 *   coordinator group|transaction KEY BROKER
 *                                     move a group's (or txn id's) coordinator
 *   quit                              "ok", then destroy the cluster, exit 0
 *
 * ERR is a librdkafka error name as rd_kafka_err2name() prints it
 * (NOT_COORDINATOR, REQUEST_TIMED_OUT, _TRANSPORT, ...; an
 * "RD_KAFKA_RESP_ERR_" prefix is accepted) or its number. APIKEY is the
 * Kafka protocol request number: 0 Produce, 1 Fetch, 2 ListOffsets,
 * 3 Metadata, 8 OffsetCommit, 9 OffsetFetch, 10 FindCoordinator,
 * 11 JoinGroup, 12 Heartbeat, 13 LeaveGroup, 14 SyncGroup.
 *
 * A cluster-wide error is taken by the next matching request from any
 * client of the cluster, in push order. The mock keeps a bounded log per
 * partition (older messages are dropped), so it carries fault tests, not
 * bulk loads.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#define MAX_LINE 4096
#define MAX_WORDS 64
#define MAX_ERRORS 10000

struct words {
	char *word[MAX_WORDS];
	int cnt;
};

/* Splits line in place on blanks; more than MAX_WORDS words is an error. */
static int split(char *line, struct words *words)
{
	char *p = line;

	words->cnt = 0;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			*p++ = '\0';
		if (*p == '\0')
			return 0;
		if (words->cnt == MAX_WORDS)
			return -1;
		words->word[words->cnt++] = p;
		while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\n' &&
		       *p != '\r')
			p++;
	}
}

/* A whole decimal number in [min, max], or -1 with *ok cleared. */
static long parse_long(const char *s, long min, long max, int *ok)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		*ok = 0;
		return -1;
	}
	return v;
}

/* An error name (rd_kafka_err2name, optional RD_KAFKA_RESP_ERR_ prefix) or
 * number. Returns 0 and fills *errp, or -1. */
static int parse_err(const char *s, rd_kafka_resp_err_t *errp)
{
	static const char prefix[] = "RD_KAFKA_RESP_ERR_";
	const struct rd_kafka_err_desc *descs;
	size_t cnt;
	size_t i;
	int ok = 1;
	long v;

	if (strncmp(s, prefix, sizeof(prefix) - 1) == 0)
		s += sizeof(prefix) - 1;
	rd_kafka_get_err_descs(&descs, &cnt);
	for (i = 0; i < cnt; i++) {
		if (descs[i].name != NULL && strcmp(descs[i].name, s) == 0) {
			*errp = descs[i].code;
			return 0;
		}
	}
	v = parse_long(s, INT_MIN, INT_MAX, &ok);
	if (!ok)
		return -1;
	*errp = (rd_kafka_resp_err_t)v;
	return 0;
}

static void reply_ok(void)
{
	fputs("ok\n", stdout);
	fflush(stdout);
}

static void reply_error(const char *why, const char *what)
{
	printf("error: %s%s%s\n", why, what ? ": " : "", what ? what : "");
	fflush(stdout);
}

static void reply_err(rd_kafka_resp_err_t err)
{
	if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
		reply_ok();
	else
		reply_error(rd_kafka_err2name(err), rd_kafka_err2str(err));
}

/* "errors APIKEY COUNT ERR..." */
static void cmd_errors(rd_kafka_mock_cluster_t *mcluster,
		       const struct words *words)
{
	rd_kafka_resp_err_t cycle[MAX_WORDS];
	rd_kafka_resp_err_t *errs;
	int16_t api_key;
	size_t ncycle;
	size_t cnt;
	size_t i;
	int ok = 1;

	if (words->cnt < 4) {
		reply_error("usage", "errors APIKEY COUNT ERR...");
		return;
	}
	api_key = (int16_t)parse_long(words->word[1], 0, INT16_MAX, &ok);
	cnt = (size_t)parse_long(words->word[2], 1, MAX_ERRORS, &ok);
	if (!ok) {
		reply_error("bad APIKEY or COUNT (1..10000)", NULL);
		return;
	}
	ncycle = (size_t)(words->cnt - 3);
	for (i = 0; i < ncycle; i++) {
		if (parse_err(words->word[3 + i], &cycle[i]) != 0) {
			reply_error("unknown error", words->word[3 + i]);
			return;
		}
	}
	errs = malloc(cnt * sizeof(*errs));
	if (errs == NULL) {
		reply_error("out of memory", NULL);
		return;
	}
	for (i = 0; i < cnt; i++)
		errs[i] = cycle[i % ncycle];
	rd_kafka_mock_push_request_errors_array(mcluster, api_key, cnt, errs);
	free(errs);
	reply_ok();
}

/* "broker-errors BROKER APIKEY COUNT ERR RTT_MS" */
static void cmd_broker_errors(rd_kafka_mock_cluster_t *mcluster,
			      const struct words *words)
{
	rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
	rd_kafka_resp_err_t perr;
	int32_t broker;
	int16_t api_key;
	long cnt;
	long i;
	int rtt;
	int ok = 1;

	if (words->cnt != 6) {
		reply_error("usage", "broker-errors BROKER APIKEY COUNT ERR RTT_MS");
		return;
	}
	broker = (int32_t)parse_long(words->word[1], 0, INT32_MAX, &ok);
	api_key = (int16_t)parse_long(words->word[2], 0, INT16_MAX, &ok);
	cnt = parse_long(words->word[3], 1, MAX_ERRORS, &ok);
	rtt = (int)parse_long(words->word[5], 0, INT_MAX, &ok);
	if (!ok) {
		reply_error("bad BROKER, APIKEY, COUNT or RTT_MS", NULL);
		return;
	}
	if (parse_err(words->word[4], &perr) != 0) {
		reply_error("unknown error", words->word[4]);
		return;
	}
	/* The call is variadic in (err, rtt) pairs: push them one at a time. */
	for (i = 0; i < cnt && err == RD_KAFKA_RESP_ERR_NO_ERROR; i++)
		err = rd_kafka_mock_broker_push_request_error_rtts(
		    mcluster, broker, api_key, 1, perr, rtt);
	reply_err(err);
}

/* "pending BROKER APIKEY" */
static void cmd_pending(rd_kafka_mock_cluster_t *mcluster,
			const struct words *words)
{
	rd_kafka_resp_err_t err;
	size_t cnt = 0;
	int32_t broker;
	int16_t api_key;
	int ok = 1;

	if (words->cnt != 3) {
		reply_error("usage", "pending BROKER APIKEY");
		return;
	}
	broker = (int32_t)parse_long(words->word[1], 0, INT32_MAX, &ok);
	api_key = (int16_t)parse_long(words->word[2], 0, INT16_MAX, &ok);
	if (!ok) {
		reply_error("bad BROKER or APIKEY", NULL);
		return;
	}
	err = rd_kafka_mock_broker_error_stack_cnt(mcluster, broker, api_key,
						   &cnt);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		reply_err(err);
		return;
	}
	printf("ok %zu\n", cnt);
	fflush(stdout);
}

static rd_kafka_resp_err_t create_topic(rd_kafka_mock_cluster_t *mcluster,
					const char *name, const char *parts)
{
	int ok = 1;
	int cnt = (int)parse_long(parts, 1, 10000, &ok);

	if (!ok)
		return RD_KAFKA_RESP_ERR__INVALID_ARG;
	return rd_kafka_mock_topic_create(mcluster, name, cnt, 1);
}

/* One command line; returns 1 on "quit". */
static int run_command(rd_kafka_mock_cluster_t *mcluster, char *line)
{
	struct words words;
	const char *cmd;
	int ok = 1;

	if (split(line, &words) != 0) {
		reply_error("too many words", NULL);
		return 0;
	}
	if (words.cnt == 0) {
		reply_error("empty command", NULL);
		return 0;
	}
	cmd = words.word[0];
	if (strcmp(cmd, "quit") == 0) {
		reply_ok();
		return 1;
	}
	if (strcmp(cmd, "errors") == 0) {
		cmd_errors(mcluster, &words);
	} else if (strcmp(cmd, "broker-errors") == 0) {
		cmd_broker_errors(mcluster, &words);
	} else if (strcmp(cmd, "pending") == 0) {
		cmd_pending(mcluster, &words);
	} else if (strcmp(cmd, "topic") == 0 && words.cnt == 3) {
		reply_err(create_topic(mcluster, words.word[1], words.word[2]));
	} else if (strcmp(cmd, "clear") == 0 && words.cnt == 2) {
		int16_t api_key =
		    (int16_t)parse_long(words.word[1], 0, INT16_MAX, &ok);
		if (!ok) {
			reply_error("bad APIKEY", words.word[1]);
			return 0;
		}
		rd_kafka_mock_clear_request_errors(mcluster, api_key);
		reply_ok();
	} else if (strcmp(cmd, "rtt") == 0 && words.cnt == 3) {
		int32_t broker =
		    (int32_t)parse_long(words.word[1], 0, INT32_MAX, &ok);
		int ms = (int)parse_long(words.word[2], 0, INT_MAX, &ok);
		if (!ok) {
			reply_error("bad BROKER or MS", NULL);
			return 0;
		}
		reply_err(rd_kafka_mock_broker_set_rtt(mcluster, broker, ms));
	} else if ((strcmp(cmd, "down") == 0 || strcmp(cmd, "up") == 0) &&
		   words.cnt == 2) {
		int32_t broker =
		    (int32_t)parse_long(words.word[1], 0, INT32_MAX, &ok);
		if (!ok) {
			reply_error("bad BROKER", words.word[1]);
			return 0;
		}
		reply_err(cmd[0] == 'd'
			      ? rd_kafka_mock_broker_set_down(mcluster, broker)
			      : rd_kafka_mock_broker_set_up(mcluster, broker));
	} else if (strcmp(cmd, "leader") == 0 && words.cnt == 4) {
		int32_t part =
		    (int32_t)parse_long(words.word[2], 0, INT32_MAX, &ok);
		int32_t broker =
		    (int32_t)parse_long(words.word[3], 0, INT32_MAX, &ok);
		if (!ok) {
			reply_error("bad PARTITION or BROKER", NULL);
			return 0;
		}
		reply_err(rd_kafka_mock_partition_set_leader(
		    mcluster, words.word[1], part, broker));
	} else if (strcmp(cmd, "coordinator") == 0 && words.cnt == 4) {
		int32_t broker =
		    (int32_t)parse_long(words.word[3], 0, INT32_MAX, &ok);
		if (!ok) {
			reply_error("bad BROKER", words.word[3]);
			return 0;
		}
		reply_err(rd_kafka_mock_coordinator_set(
		    mcluster, words.word[1], words.word[2], broker));
	} else {
		reply_error("unknown command or wrong number of arguments",
			    cmd);
	}
	return 0;
}

static void usage(void)
{
	fputs("usage: mock_cluster [--brokers N] [TOPIC:PARTITIONS ...]\n"
	      "then commands on stdin (see the top of tests/chaos/"
	      "mock_cluster.c)\n",
	      stderr);
}

int main(int argc, char **argv)
{
	rd_kafka_mock_cluster_t *mcluster = NULL;
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk = NULL;
	char line[MAX_LINE];
	char errstr[512];
	int brokers = 3;
	int first = 1;
	int rc = 1;
	int ok = 1;
	int i;

	if (argc > 2 && strcmp(argv[1], "--brokers") == 0) {
		brokers = (int)parse_long(argv[2], 1, 100, &ok);
		if (!ok) {
			usage();
			return 2;
		}
		first = 3;
	}

	conf = rd_kafka_conf_new();
	/* The handle only hosts the cluster; keep its own chatter down. */
	if (rd_kafka_conf_set(conf, "log_level", "3", errstr,
			      sizeof(errstr)) != RD_KAFKA_CONF_OK) {
		fprintf(stderr, "mock_cluster: %s\n", errstr);
		rd_kafka_conf_destroy(conf);
		return 1;
	}
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (rk == NULL) {
		fprintf(stderr, "mock_cluster: rd_kafka_new: %s\n", errstr);
		rd_kafka_conf_destroy(conf);
		return 1;
	}
	mcluster = rd_kafka_mock_cluster_new(rk, brokers);
	if (mcluster == NULL) {
		fprintf(stderr, "mock_cluster: rd_kafka_mock_cluster_new failed\n");
		goto out;
	}

	for (i = first; i < argc; i++) {
		char *colon = strrchr(argv[i], ':');
		rd_kafka_resp_err_t err;

		if (colon == NULL || colon == argv[i]) {
			usage();
			rc = 2;
			goto out;
		}
		*colon = '\0';
		err = create_topic(mcluster, argv[i], colon + 1);
		if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
			fprintf(stderr, "mock_cluster: topic %s: %s\n", argv[i],
				rd_kafka_err2str(err));
			rc = 2;
			goto out;
		}
	}

	printf("%s\n", rd_kafka_mock_cluster_bootstraps(mcluster));
	fflush(stdout);

	while (fgets(line, sizeof(line), stdin) != NULL) {
		if (strchr(line, '\n') == NULL && !feof(stdin)) {
			int c;

			while ((c = getchar()) != EOF && c != '\n')
				;
			reply_error("line too long", NULL);
			continue;
		}
		if (run_command(mcluster, line))
			break;
	}
	rc = 0;
out:
	if (mcluster != NULL)
		rd_kafka_mock_cluster_destroy(mcluster);
	rd_kafka_destroy(rk);
	return rc;
}
