/*
 * client.h — ClickHouse over HTTP(S), with libcurl.
 *
 * Two operations: a query whose result the caller reads (start-up probes,
 * DESCRIBE TABLE) and an INSERT whose body chute has already encoded. The
 * client's job is to never misread an outcome:
 *
 *   success   HTTP 200 and no X-ClickHouse-Exception-Code header and, for
 *             an insert, no exception text in the body
 *   failure   anything else; the error says what the server said, and the
 *             failure is put in one of three classes (ck_ch_classify):
 *     retriable      the same request may succeed later: connection refused
 *                    or reset, timeouts, HTTP 5xx/429/408 without a code,
 *                    and codes such as TOO_MANY_PARTS (252), TIMEOUT_EXCEEDED
 *                    (159), UNKNOWN_STATUS_OF_INSERT (319),
 *                    MEMORY_LIMIT_EXCEEDED (241), TABLE_IS_READ_ONLY (242)
 *     bad data       the server parsed the rows and refused their values
 *                    (CANNOT_PARSE_TEXT 6, CANNOT_PARSE_INPUT_ASSERTION_FAILED
 *                    27, CANNOT_READ_ALL_DATA 33, TYPE_MISMATCH 53, ...).
 *                    chute encodes rows against the table's schema, so this
 *                    mostly means the table changed under a running chute
 *     configuration  the request is wrong for this server: unknown table or
 *                    column, authentication, syntax, readonly user, TLS
 *                    verification; and any code chute does not know, so
 *                    that "bad data" is only ever said when the server said
 *                    so
 *   chute retries every class today and never drops a batch (inserter.c);
 *   the class decides how loudly a failure is reported.
 *
 * Outcome unknown: 319, or the connection broke or timed out after some of
 * the body was sent. The server may have inserted some or all rows; the
 * failure is retriable and the caller must send the identical batch again
 * (duplicates are possible, never loss).
 *
 * Per insert the client also sends the configured server settings (only
 * those the server knows: ck_ch_probe refuses the others), a query_id for
 * system.query_log, and compresses the body (Content-Encoding) into a
 * buffer it reuses, so a batch costs no allocation after the first.
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
#include "config/config.h"

/* Zero-initialised options are the safe defaults (TLS verification on). */
struct ck_ch_opts {
	const char *url;      /* http(s)://host:port, no query string */
	const char *database; /* default database for queries */
	const char *user;
	const char *password;
	int64_t connect_timeout_ms;
	int64_t request_timeout_ms;
	const struct ck_config_kv *settings; /* sent with every insert */
	size_t nsettings;
	const char *tls_ca_file;     /* NULL: the system CA store */
	const char *tls_client_cert; /* NULL: no client certificate */
	const char *tls_client_key;  /* NULL: the key is in tls_client_cert */
	bool tls_no_verify;          /* skip peer and host name checks */
	enum ck_compression compression;
	/*
	 * The server has async inserts (21.11+): every insert also sends
	 * wait_for_async_insert=1, unless settings name it, so that a user
	 * profile with async_insert=1 still answers an insert only once its
	 * rows are written. An ack before that would let chute commit
	 * offsets of rows a server crash then loses.
	 */
	bool wait_for_async_insert;
};

/* What a failed request means for the caller; see the top of this file. */
enum ck_ch_class {
	CK_CH_CLASS_NONE = 0,  /* no failure (or abandoned at shutdown) */
	CK_CH_CLASS_RETRIABLE, /* try the same request again later */
	CK_CH_CLASS_BAD_DATA,  /* the server refused the rows' values */
	CK_CH_CLASS_CONFIG,    /* table, columns, credentials, TLS, URL */
};

/*
 * Classifies one outcome: curl_code (a CURLcode, 0 when the transfer
 * completed), then the ClickHouse exception code (0 if none), then the HTTP
 * status. Pure; exposed for tests and for the pipeline.
 */
enum ck_ch_class ck_ch_classify(long http_status, int curl_code,
				int exception_code);

/* "retriable", "bad data", "configuration" ("ok" for NONE). */
const char *ck_ch_class_name(enum ck_ch_class cls);

/* Client options from the clickhouse section; borrows config's strings. */
void ck_ch_opts_from_config(struct ck_ch_opts *opts,
			    const struct ck_config *config);

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
 * Whether the next requests may reuse a kept-alive connection (the
 * default). false: each request opens its own connection and closes it
 * after. libcurl sends a request again by itself when a reused connection
 * turns out dead before any answer; for an insert without a deduplication
 * token whose body had reached the server, that is a second insert nobody
 * decided on. A fresh connection never gets such a silent second try.
 */
void ck_ch_client_set_reuse(struct ck_ch_client *client, bool reuse);

/*
 * Runs sql and appends the response body to out (bounded by out->max).
 * On failure err carries the server's message and the class.
 */
int ck_ch_query(struct ck_ch_client *client, const char *sql,
		struct ck_buf *out, struct ck_err *err);

/*
 * Sends an INSERT: the query text (e.g. "INSERT INTO `db`.`t` (`a`) FORMAT
 * RowBinary") in the URL and [body, body+len) as the request body, with
 * the configured settings and compression. query_id (may be NULL) names
 * the insert in system.query_log; a retry should reuse it, so that a retry
 * racing a still-running first attempt is refused (216, retriable) rather
 * than run twice. params (may be NULL) are further URL-encoded settings,
 * "&name=value...", for this insert only: URL parameters are the one way
 * to pass settings that every server version accepts. Borrows body.
 * Returns CK_OK only when the server acknowledged the whole insert;
 * otherwise err->retriable matches ck_ch_last_class() ==
 * CK_CH_CLASS_RETRIABLE.
 */
int ck_ch_insert(struct ck_ch_client *client, const char *sql,
		 const char *query_id, const char *params, const uint8_t *body,
		 size_t len, struct ck_err *err);

/*
 * ck_ch_insert with a body in nbody pieces, sent as one request in order
 * (the rows of several batches in one insert). Borrows the pieces.
 */
int ck_ch_insert_parts(struct ck_ch_client *client, const char *sql,
		       const char *query_id, const char *params,
		       const struct ck_slice *body, size_t nbody,
		       struct ck_err *err);

/*
 * The ClickHouse exception code of the last failed request (0 if none or
 * not from the server), for metrics and tests.
 */
int ck_ch_last_exception_code(const struct ck_ch_client *client);

/* The class of the last failed request (CK_CH_CLASS_NONE after success). */
enum ck_ch_class ck_ch_last_class(const struct ck_ch_client *client);

/*
 * Whether the last failed insert may have been applied, in part or in full
 * (319, or the connection ended after body bytes were sent).
 */
bool ck_ch_last_outcome_unknown(const struct ck_ch_client *client);

/*
 * Bytes of the last insert body as sent (after compression), for metrics
 * and measurements.
 */
size_t ck_ch_last_sent_bytes(const struct ck_ch_client *client);

/*
 * Whether a ClickHouse exception code means "retry the same request":
 * ck_ch_classify(500, 0, code) == CK_CH_CLASS_RETRIABLE. Exposed for tests.
 */
bool ck_ch_code_is_retriable(int code);

/* The value of setting name in settings[0..n), or NULL if none names it. */
const char *ck_ch_settings_name(const struct ck_config_kv *settings,
				size_t n, const char *name);

/*
 * Checks, once at start-up, what the client is configured to send against
 * the server: every setting must be in system.settings (CK_ERR_CONFIG
 * naming clickhouse.settings.<name> and the server version otherwise), and
 * the server must accept the body compression (CK_ERR_CONFIG naming
 * clickhouse.compression otherwise). Called by ck_ch_probe.
 */
int ck_ch_check_server(struct ck_ch_client *client, const char *version,
		       struct ck_err *err);

/*
 * Parses "Code: 60. DB::Exception: ..." out of a response body (old servers
 * send no header). Returns 0 if there is none. Exposed for tests.
 */
int ck_ch_parse_exception_code(const char *body, size_t len);

/* Quotes a name for SQL: `name` with backquotes and backslashes escaped. */
int ck_ch_quote_ident(struct ck_buf *out, const char *name,
		      struct ck_err *err);

/* Quotes text as an SQL string literal: 'text', ' and \\ escaped. */
int ck_ch_quote_string(struct ck_buf *out, const char *text,
		       struct ck_err *err);

#endif
