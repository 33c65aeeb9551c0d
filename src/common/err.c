/*
 * err.c — filling struct ck_err. See err.h for the convention.
 */
#include "common/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void ck_err_clear(struct ck_err *err)
{
	if (!err)
		return;
	err->code = CK_OK;
	err->retriable = false;
	err->fatal = false;
	err->msg[0] = '\0';
}

static int err_vset(struct ck_err *err, int code, bool retriable,
		    const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

static int err_vset(struct ck_err *err, int code, bool retriable,
		    const char *fmt, va_list ap)
{
	if (!err)
		return code;
	err->code = code;
	err->retriable = retriable;
	err->fatal = code == CK_ERR_CONFIG || code == CK_ERR_NOMEM;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	return code;
}

int ck_err_set(struct ck_err *err, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	err_vset(err, code, false, fmt, ap);
	va_end(ap);
	return code;
}

int ck_err_set_retriable(struct ck_err *err, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	err_vset(err, code, true, fmt, ap);
	va_end(ap);
	return code;
}

int ck_err_prefix(struct ck_err *err, const char *fmt, ...)
{
	char old[CK_ERR_MSG_MAX];
	va_list ap;
	int n;

	if (!err)
		return CK_OK;
	memcpy(old, err->msg, sizeof(old));
	va_start(ap, fmt);
	n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(err->msg))
		snprintf(err->msg + n, sizeof(err->msg) - (size_t)n, "%s", old);
	return err->code;
}

const char *ck_err_code_name(int code)
{
	switch (code) {
	case CK_OK: return "ok";
	case CK_ERR_CONFIG: return "config";
	case CK_ERR_PARSE: return "parse";
	case CK_ERR_CONVERT: return "convert";
	case CK_ERR_LIMIT: return "limit";
	case CK_ERR_NOMEM: return "nomem";
	case CK_ERR_IO: return "io";
	case CK_ERR_CLICKHOUSE: return "clickhouse";
	case CK_ERR_KAFKA: return "kafka";
	case CK_ERR_SCHEMA: return "schema";
	case CK_ERR_UNSUPPORTED: return "unsupported";
	case CK_ERR_STOPPED: return "stopped";
	}
	return "unknown";
}
