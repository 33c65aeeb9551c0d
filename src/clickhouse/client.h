/*
 * client.h — ClickHouse over HTTP(S), with libcurl.
 *
 * Two operations: a query whose result the caller reads (start-up probes,
 * DESCRIBE TABLE) and an INSERT whose body chute has already encoded. The
 * client's job is to never misread an outcome:
 *
 *   success   HTTP 200 and no X-ClickHouse-Exception-Code header and no
 *             exception text in the body
 *   failure   anything else; the error says what the server said, and is
 *             classified:
 *     retriable  the same request may succeed later: connection refused or
 *                reset, timeouts, HTTP 5xx/429/503 without a permanent code,
 *                and codes such as TOO_MANY_PARTS (252), TIMEOUT_EXCEEDED
 *                (159), UNKNOWN_STATUS_OF_INSERT (319), MEMORY_LIMIT_EXCEEDED
 *                (241), TABLE_IS_READ_ONLY (242), NETWORK_ERROR (210)
 *     permanent  the request itself is wrong for this server: unknown table
 *                or column, authentication, syntax, type mismatch. chute
 *                still never drops the batch for it (see pipeline.c); the
 *                class only decides how loudly it is reported.
 *
 * An outcome-unknown failure (the body was sent, then the connection broke
 * or timed out) is retriable: the caller sends the identical body again.
 *
 * A client is used by one thread at a time (it owns one curl easy handle and
 * keeps its connection alive between requests).
 */
#ifndef CK_CLICKHOUSE_CLIENT_H
#define CK_CLICKHOUSE_CLIENT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"

struct ck_ch_opts {
	const char *url;      /* http(s)://host:port, no query string */
	const char *database; /* default database for queries */
	const char *user;
	const char *password;
	int64_t connect_timeout_ms;
	int64_t request_timeout_ms;
};

struct ck_ch_client;

/* Process-wide libcurl setup; call once from main before any thread. */
int ck_ch_global_init(struct ck_err *err);
void ck_ch_global_cleanup(void);

/*
 * Creates a client. opts' strings are copied. Does not connect. Returns NULL
 * and fills err on failure.
 */
struct ck_ch_client *ck_ch_client_new(const struct ck_ch_opts *opts,
				      struct ck_err *err);

/* Frees a client; NULL is a no-op. */
void ck_ch_client_destroy(struct ck_ch_client *client);

/*
 * Makes requests give up (CK_ERR_STOPPED) as soon as *flag becomes true,
 * also in the middle of a transfer. Borrows flag; NULL clears it. Used to
 * bound shutdown.
 */
void ck_ch_client_set_cancel(struct ck_ch_client *client,
			     const atomic_bool *flag);

/*
 * Runs sql and appends the response body to out (bounded by out->max).
 * On failure err carries the server's message and the class.
 */
int ck_ch_query(struct ck_ch_client *client, const char *sql,
		struct ck_buf *out, struct ck_err *err);

/*
 * Sends an INSERT: the query text (e.g. "INSERT INTO `db`.`t` (`a`) FORMAT
 * RowBinary") in the URL and [body, body+len) as the request body. Borrows
 * body. Returns CK_OK only when the server acknowledged the whole insert.
 */
int ck_ch_insert(struct ck_ch_client *client, const char *sql,
		 const uint8_t *body, size_t len, struct ck_err *err);

/*
 * The ClickHouse exception code of the last failed request (0 if none or
 * not from the server), for metrics and tests.
 */
int ck_ch_last_exception_code(const struct ck_ch_client *client);

/*
 * Whether a ClickHouse exception code means "retry the same request".
 * Exposed for tests.
 */
bool ck_ch_code_is_retriable(int code);

/*
 * Parses "Code: 60. DB::Exception: ..." out of a response body (old servers
 * send no header). Returns 0 if there is none. Exposed for tests.
 */
int ck_ch_parse_exception_code(const char *body, size_t len);

/* Quotes a name for SQL: `name` with backquotes and backslashes escaped. */
int ck_ch_quote_ident(struct ck_buf *out, const char *name,
		      struct ck_err *err);

#endif
