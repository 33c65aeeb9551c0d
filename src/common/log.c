/*
 * log.c — timestamped single-write log lines. See log.h.
 */
#include "common/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static atomic_int log_level = CK_LOG_INFO;

static const char *const level_names[] = {"DEBUG", "INFO ", "WARN ", "ERROR"};

void ck_log_set_level(enum ck_log_level level)
{
	atomic_store(&log_level, (int)level);
}

bool ck_log_enabled(enum ck_log_level level)
{
	return (int)level >= atomic_load(&log_level);
}

bool ck_log_level_parse(const char *text, enum ck_log_level *out)
{
	static const char *const names[] = {"debug", "info", "warn", "error"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(text, names[i]) == 0) {
			*out = (enum ck_log_level)i;
			return true;
		}
	}
	return false;
}

void ck_log(enum ck_log_level level, const char *fmt, ...)
{
	char line[2048];
	struct timespec ts;
	struct tm tm;
	size_t n;
	int m;
	va_list ap;

	if (!ck_log_enabled(level))
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	m = snprintf(line + n, sizeof(line) - n, ".%03ldZ %s ",
		     ts.tv_nsec / 1000000, level_names[level]);
	if (m > 0)
		n += (size_t)m;
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	if (m > 0)
		n += (size_t)m < sizeof(line) - n - 1 ? (size_t)m
						      : sizeof(line) - n - 2;
	line[n++] = '\n';
	/* A short write to stderr has nowhere to be reported. */
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}

enum ck_log_level ck_log_level_from_syslog(int level)
{
	return level <= 3   ? CK_LOG_ERROR
	       : level <= 4 ? CK_LOG_WARN
	       : level <= 6 ? CK_LOG_INFO
			    : CK_LOG_DEBUG;
}
