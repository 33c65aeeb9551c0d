/*
 * main.c — the chute command line.
 *
 *   chute run   -c FILE   consume and insert until SIGTERM/SIGINT
 *   chute check -c FILE   validate the config, reach both servers, print the
 *                         plan, exit
 *   chute dlq replay -c FILE [filters]
 *                         send dead-lettered records back to their source
 *                         topics (cli/dlq_replay.c)
 *   chute version
 *
 * Exit codes: 0 success; 1 runtime failure (a server unreachable at
 * start-up, a fatal Kafka error, a shutdown that had to abandon batches);
 * 2 invalid command line or configuration.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/dlq_replay.h"
#include "clickhouse/client.h"
#include "common/failpoint.h"
#include "common/log.h"
#include "config/config.h"
#include "pipeline/pipeline.h"

#ifndef CHUTE_VERSION
#define CHUTE_VERSION "0.1.0"
#endif

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	static const char msg[] = "chute: second signal, exiting now "
				  "(uncommitted rows are read again on "
				  "restart)\n";
	(void)sig;
	if (stop_requested) {
		if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
			_exit(130);
		_exit(130);
	}
	stop_requested = 1;
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: chute run -c FILE     stream the configured topics "
		"into ClickHouse\n"
		"       chute check -c FILE   validate the config and both "
		"connections, then exit\n"
		"       chute dlq replay -c FILE [--dlq-topic T] "
		"[--source-topic T] [--partition N]\n"
		"                 [--from-offset A] [--to-offset B] "
		"[--stage S] [--error-class C]\n"
		"                 [--timeout DURATION] [--dry-run]\n"
		"                             send dead-lettered records back "
		"to their source topics\n"
		"       chute version\n"
		"\n"
		"Exit codes: 0 ok, 1 runtime error, 2 bad command line or "
		"config.\n"
		"See docs/configuration.md for the config reference, "
		"docs/dlq.md for the DLQ.\n");
}

static int exit_code_for(const struct ck_err *err)
{
	return err->code == CK_ERR_CONFIG ? 2 : 1;
}

int main(int argc, char **argv)
{
	struct ck_config *config = NULL;
	struct ck_pipeline *pipeline = NULL;
	struct ck_err err;
	const char *path = NULL;
	const char *cmd;
	int code = 0;

	ck_err_clear(&err);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	cmd = argv[1];
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		printf("chute %s\n", CHUTE_VERSION);
		if (CK_FAILPOINTS_BUILT)
			printf("failpoints: on (test build: CHUTE_FAILPOINTS "
			       "arms crash points)\n");
		return 0;
	}
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 ||
	    strcmp(cmd, "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "dlq") == 0) {
		if (argc < 3 || strcmp(argv[2], "replay") != 0) {
			fprintf(stderr, "chute: unknown dlq command \"%s\" "
				"(expected: chute dlq replay)\n",
				argc < 3 ? "" : argv[2]);
			return 2;
		}
		return ck_cli_dlq_replay(argc - 2, argv + 2);
	}
	if (strcmp(cmd, "run") != 0 && strcmp(cmd, "check") != 0) {
		fprintf(stderr, "chute: unknown command \"%s\"\n", cmd);
		usage(stderr);
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		if ((strcmp(argv[i], "-c") == 0 ||
		     strcmp(argv[i], "--config") == 0) &&
		    i + 1 < argc) {
			path = argv[++i];
		} else {
			fprintf(stderr, "chute: unexpected argument \"%s\"\n",
				argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (!path) {
		fprintf(stderr, "chute: %s needs -c FILE\n", cmd);
		return 2;
	}

	if (ck_config_load_file(path, &config, &err) != CK_OK) {
		fprintf(stderr, "chute: config error: %s\n", err.msg);
		return 2;
	}
	ck_log_set_level(config->log_level);
#ifdef CHUTE_FAILPOINTS
	if (ck_failpoint_init(&err) != CK_OK) {
		fprintf(stderr, "chute: %s\n", err.msg);
		code = 2;
		goto out;
	}
#endif
	install_signals();
	if (ck_ch_global_init(&err) != CK_OK) {
		ck_log_error("%s", err.msg);
		code = 1;
		goto out;
	}
	if (ck_pipeline_new(config, &pipeline, &err) != CK_OK) {
		ck_log_error("start-up failed: %s", err.msg);
		code = exit_code_for(&err);
		goto out_curl;
	}
	if (strcmp(cmd, "check") == 0) {
		ck_pipeline_log_plan(pipeline);
		if (ck_pipeline_check_tables(pipeline, &err) != CK_OK) {
			ck_log_error("check failed: %s", err.msg);
			code = 1;
			goto out_curl;
		}
		ck_log_info("check passed: config valid, ClickHouse and Kafka "
			    "reachable, every table can be served");
		goto out_curl;
	}
	if (ck_pipeline_run(pipeline, &stop_requested, &err) != CK_OK) {
		ck_log_error("%s", err.msg);
		code = 1;
	} else {
		ck_log_info("stopped cleanly: every consumed row was inserted "
			    "and committed");
	}
out_curl:
	ck_pipeline_destroy(pipeline);
	ck_ch_global_cleanup();
out:
	ck_config_destroy(config);
	return code;
}
