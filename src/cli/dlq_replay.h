/*
 * dlq_replay.h — `chute dlq replay`: sends dead-lettered records back to
 * their source topics. See docs/dlq.md#replay.
 */
#ifndef CK_CLI_DLQ_REPLAY_H
#define CK_CLI_DLQ_REPLAY_H

/*
 * Runs `chute dlq replay` with argv[0] = "replay" and the options after
 * it. Returns the exit code: 0 done, 1 runtime failure, 2 bad command
 * line or config (one line on stderr naming the option or key).
 */
int ck_cli_dlq_replay(int argc, char **argv);

#endif
