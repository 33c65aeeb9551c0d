/*
 * err.h — the one error convention of chute.
 *
 * Every function that can fail returns an int (CK_OK == 0 on success, a
 * CK_ERR_* code otherwise) and, when the caller passed a non-NULL
 * struct ck_err, fills it with the code, two flags and a human message.
 *
 *   retriable  the same operation may succeed later (network, server busy);
 *              callers retry with backoff and never drop data because of it.
 *   fatal      the process cannot continue (bad config, out of memory).
 *
 * Messages name what failed in the user's terms: the config key, the
 * column, the topic/partition/offset. Lower layers write the specific part
 * ("expected a number, got a string"); upper layers prepend context with
 * ck_err_prefix() ("column 'price': ...").
 */
#ifndef CK_ERR_H
#define CK_ERR_H

#include <stdbool.h>
#include <stddef.h>

enum ck_err_code {
	CK_OK = 0,
	CK_ERR_CONFIG,      /* invalid configuration (exit code 2) */
	CK_ERR_PARSE,       /* malformed input: JSON, YAML, type string */
	CK_ERR_CONVERT,     /* well-formed value that cannot become the column type */
	CK_ERR_LIMIT,       /* a bounded buffer or nesting limit was reached */
	CK_ERR_NOMEM,       /* allocation failed */
	CK_ERR_IO,          /* file or socket error */
	CK_ERR_CLICKHOUSE,  /* ClickHouse refused or failed a request */
	CK_ERR_KAFKA,       /* librdkafka reported an error */
	CK_ERR_SCHEMA,      /* the target table cannot be served as configured */
	CK_ERR_UNSUPPORTED, /* a type or feature chute does not handle */
	CK_ERR_STOPPED,     /* the operation was abandoned because of shutdown */
};

/* Room for a start-up refusal that names a long table twice and says what
 * to do, after the server's own message (which comes first). */
#define CK_ERR_MSG_MAX 1024

struct ck_err {
	int code;
	bool retriable;
	bool fatal;
	char msg[CK_ERR_MSG_MAX];
};

/* Clears err (may be NULL). */
void ck_err_clear(struct ck_err *err);

/*
 * Sets err (may be NULL) to code with a printf-style message and returns
 * code, so callers can write `return ck_err_set(err, CK_ERR_PARSE, ...)`.
 * The flags are reset to false; use ck_err_set_retriable() for transient
 * errors.
 */
int ck_err_set(struct ck_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Like ck_err_set() but marks the error retriable. */
int ck_err_set_retriable(struct ck_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Prepends context to err->msg ("column 'x': " + old message). Keeps the
 * code and flags. Returns err->code (CK_OK if err is NULL).
 */
int ck_err_prefix(struct ck_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Short stable name of a code, for logs and metrics ("parse", "convert"). */
const char *ck_err_code_name(int code);

#endif
