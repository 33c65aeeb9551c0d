/*
 * log.h — one line per event, with time and level, on stderr.
 *
 *   2026-11-21T19:40:00.123Z INFO  inserted 100000 rows into default.events
 *
 * Each line is written with a single write(2) so lines from different
 * threads never interleave. Safe to call from any thread.
 */
#ifndef CK_LOG_H
#define CK_LOG_H

#include <stdbool.h>

enum ck_log_level {
	CK_LOG_DEBUG,
	CK_LOG_INFO,
	CK_LOG_WARN,
	CK_LOG_ERROR,
};

void ck_log_set_level(enum ck_log_level level);
bool ck_log_enabled(enum ck_log_level level);

/* Parses "debug", "info", "warn", "error". Returns false if unknown. */
bool ck_log_level_parse(const char *text, enum ck_log_level *out);

/* Our level for a syslog level (0 emerg ... 7 debug), as librdkafka logs. */
enum ck_log_level ck_log_level_from_syslog(int level);

void ck_log(enum ck_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define ck_log_debug(...) ck_log(CK_LOG_DEBUG, __VA_ARGS__)
#define ck_log_info(...) ck_log(CK_LOG_INFO, __VA_ARGS__)
#define ck_log_warn(...) ck_log(CK_LOG_WARN, __VA_ARGS__)
#define ck_log_error(...) ck_log(CK_LOG_ERROR, __VA_ARGS__)

#endif
