/*
 * client.c — the ClickHouse HTTP client. See client.h for the outcome rules.
 *
 * Requests:
 *   query   POST <url>/?database=<db>            body = SQL text
 *   insert  POST <url>/?database=<db>[&<setting>=<value>...]
 *                [&query_id=<id>]&query=<SQL>     body = encoded rows,
 *                                                 compressed if configured
 * Credentials go in HTTP basic auth, which every server version accepts.
 * Settings go with inserts only: the start-up probes must work before the
 * settings have been checked against the server.
 *
 * Content-Encoding accepted by the server's HTTP interface: gzip and
 * deflate since before 18.16 (checked against the Debian 18.16.1 server,
 * which answers 89 UNKNOWN_COMPRESSION_METHOD to zstd, lz4, br and xz);
 * zstd, lz4, br and xz on newer servers. ck_ch_check_server asks the server
 * instead of trusting a version table.
 * The response body is kept (bounded) because it carries the exception
 * text; the X-ClickHouse-Exception-Code header, when present, is the
 * authoritative code, and old servers that lack it write "Code: N." first.
 */
#include "clickhouse/client.h"

#include <curl/curl.h>
#include <lz4frame.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>
#include <zstd.h>

#include "common/failpoint.h"

/* Enough of an error body to report it; the rest is dropped. */
#define CH_ERROR_BODY_MAX (64u * 1024)
/* Compressed insert bodies: batches are at most 1 GiB (config.c). */
#define CH_ZBUF_MAX ((size_t)1 << 31)
/* Fast levels: on the networks chute runs on, CPU is the scarcer thing. */
#define CH_GZIP_LEVEL 1
#define CH_ZSTD_LEVEL 1

struct ck_ch_client {
	CURL *curl;
	char *base_url;  /* url + "/?database=<escaped db>" */
	char *user;
	char *password;
	int64_t connect_timeout_ms;
	int64_t request_timeout_ms;
	int exception_code; /* of the response being read / last failure */
	char curl_error[CURL_ERROR_SIZE];
	struct ck_buf scratch; /* URL building and error bodies */
	struct curl_slist *headers;
	struct curl_slist *zheaders; /* headers + Content-Encoding */
	char *tls_ca_file;
	char *tls_client_cert;
	char *tls_client_key;
	bool tls_no_verify;
	const atomic_bool *cancel;
	struct ck_buf *sink;   /* where the body of the current response goes */
	bool sink_truncated;
	struct ck_buf reply;   /* insert responses */
	char *settings_qs;     /* "&name=value..." (escaped), or "" */
	char *setting_names;   /* "'a','b'" for the start-up check, or NULL */
	enum ck_compression compression;
	struct ck_buf zbuf;    /* compressed body, reused across inserts */
	bool body_compressed;  /* the request being sent has Content-Encoding */
	z_stream gz;           /* deflate state, reused (deflateReset) */
	bool gz_ready;
	ZSTD_CCtx *zstd;
	LZ4F_cctx *lz4;
	enum ck_ch_class last_class;
	bool outcome_unknown;
	bool last_failed;      /* the last request failed: open a new connection */
	bool no_reuse;         /* ck_ch_client_set_reuse(false) */
	size_t sent_bytes;
	bool body_started;     /* failpoint insert.mid_body seen this request */
	/*
	 * A body in several pieces (ck_ch_insert_parts): curl reads it
	 * through on_read, from piece body_at, byte body_off. A compressed
	 * one is joined into joined first.
	 */
	const struct ck_slice *body;
	size_t nbody;
	size_t body_at;
	size_t body_off;
	struct ck_buf joined;
};

int ck_ch_global_init(struct ck_err *err)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return ck_err_set(err, CK_ERR_IO, "libcurl initialisation failed");
	return CK_OK;
}

void ck_ch_global_cleanup(void)
{
	curl_global_cleanup();
}

/*
 * ClickHouse error codes (src/Common/ErrorCodes.cpp) by class. Codes not
 * listed are "configuration": loud, and never mistaken for bad rows.
 */
static enum ck_ch_class code_class(int code)
{
	switch (code) {
	case 159: /* TIMEOUT_EXCEEDED */
	case 173: /* CANNOT_ALLOCATE_MEMORY */
	case 201: /* QUOTA_EXPIRED: the quota interval ends */
	case 202: /* TOO_MANY_SIMULTANEOUS_QUERIES */
	case 203: /* NO_FREE_CONNECTION */
	case 209: /* SOCKET_TIMEOUT */
	case 210: /* NETWORK_ERROR */
	case 216: /* QUERY_WITH_SAME_ID_IS_ALREADY_RUNNING: our last attempt */
	case 225: /* NO_ZOOKEEPER */
	case 236: /* ABORTED */
	case 241: /* MEMORY_LIMIT_EXCEEDED */
	case 242: /* TABLE_IS_READ_ONLY: replica recovering */
	case 243: /* NOT_ENOUGH_SPACE */
	case 244: /* UNEXPECTED_ZOOKEEPER_ERROR */
	case 252: /* TOO_MANY_PARTS */
	case 254: /* NO_ACTIVE_REPLICAS */
	case 285: /* TOO_FEW_LIVE_REPLICAS */
	case 286: /* UNSATISFIED_QUORUM_FOR_PREVIOUS_WRITE */
	case 289: /* REPLICA_IS_NOT_IN_QUORUM */
	case 319: /* UNKNOWN_STATUS_OF_INSERT: resend the identical batch */
	case 364: /* RECEIVED_ERROR_TOO_MANY_REQUESTS */
	case 384: /* PART_IS_TEMPORARILY_LOCKED */
	case 394: /* QUERY_WAS_CANCELLED (server shutting down) */
	case 425: /* SYSTEM_ERROR */
	case 439: /* CANNOT_SCHEDULE_TASK */
	case 473: /* DEADLOCK_AVOIDED */
	case 999: /* KEEPER_EXCEPTION */
	case 1000: /* POCO_EXCEPTION: network-level */
		return CK_CH_CLASS_RETRIABLE;
	/*
	 * The body is length-delimited, so a short body cannot reach the
	 * parser: 32/33 mean the server read our bytes with another structure
	 * than they were encoded for (a column type changed).
	 */
	case 6:   /* CANNOT_PARSE_TEXT */
	case 19:  /* SIZE_OF_FIXED_STRING_DOESNT_MATCH */
	case 25:  /* CANNOT_PARSE_ESCAPE_SEQUENCE */
	case 26:  /* CANNOT_PARSE_QUOTED_STRING */
	case 27:  /* CANNOT_PARSE_INPUT_ASSERTION_FAILED */
	case 32:  /* ATTEMPT_TO_READ_AFTER_EOF */
	case 33:  /* CANNOT_READ_ALL_DATA */
	case 38:  /* CANNOT_PARSE_DATE */
	case 41:  /* CANNOT_PARSE_DATETIME */
	case 53:  /* TYPE_MISMATCH (of a value) */
	case 69:  /* ARGUMENT_OUT_OF_BOUND */
	case 70:  /* CANNOT_CONVERT_TYPE */
	case 72:  /* CANNOT_PARSE_NUMBER */
	case 117: /* INCORRECT_DATA */
	case 128: /* TOO_LARGE_ARRAY_SIZE */
	case 130: /* CANNOT_READ_ARRAY_FROM_TEXT */
	case 131: /* TOO_LARGE_STRING_SIZE */
	case 190: /* SIZES_OF_ARRAYS_DOESNT_MATCH (Nested) */
	case 248: /* INVALID_PARTITION_VALUE */
	case 321: /* VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE */
	case 349: /* CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN */
	case 376: /* CANNOT_PARSE_UUID */
	case 395: /* FUNCTION_THROW_IF_VALUE_IS_NON_ZERO: a MATERIALIZED or
		   * DEFAULT expression, or a view, refused a row */
	case 407: /* DECIMAL_OVERFLOW */
	case 441: /* CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING (IPv4/IPv6) */
	case 469: /* VIOLATED_CONSTRAINT */
		return CK_CH_CLASS_BAD_DATA;
	default:
		/*
		 * Among them: 16 NO_SUCH_COLUMN_IN_TABLE, 47 UNKNOWN_IDENTIFIER,
		 * 60 UNKNOWN_TABLE, 62 SYNTAX_ERROR, 81 UNKNOWN_DATABASE, 115
		 * UNKNOWN_SETTING, 164 READONLY (the user), 192-195 user and
		 * password, 291 DATABASE_ACCESS_DENIED, 497 ACCESS_DENIED, 516
		 * AUTHENTICATION_FAILED.
		 */
		return CK_CH_CLASS_CONFIG;
	}
}

/* curl failures that no retry fixes: the URL, TLS setup, the login. */
static bool curl_code_is_config(int cc)
{
	switch ((CURLcode)cc) {
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_NOT_BUILT_IN:
	case CURLE_LOGIN_DENIED:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
		return true;
	default:
		return false;
	}
}

enum ck_ch_class ck_ch_classify(long http_status, int curl_code,
				int exception_code)
{
	if (curl_code == CURLE_ABORTED_BY_CALLBACK)
		return CK_CH_CLASS_NONE;
	/* Everything else from curl is the network or the peer going away. */
	if (curl_code != CURLE_OK)
		return curl_code_is_config(curl_code) ? CK_CH_CLASS_CONFIG
						      : CK_CH_CLASS_RETRIABLE;
	if (exception_code)
		return code_class(exception_code);
	if (http_status == 200)
		return CK_CH_CLASS_NONE;
	if (http_status >= 500 || http_status == 429 || http_status == 408)
		return CK_CH_CLASS_RETRIABLE;
	return CK_CH_CLASS_CONFIG;
}

const char *ck_ch_class_name(enum ck_ch_class cls)
{
	switch (cls) {
	case CK_CH_CLASS_NONE: return "ok";
	case CK_CH_CLASS_RETRIABLE: return "retriable";
	case CK_CH_CLASS_BAD_DATA: return "bad data";
	case CK_CH_CLASS_CONFIG: return "configuration";
	}
	return "?";
}

bool ck_ch_code_is_retriable(int code)
{
	return code != 0 &&
	       ck_ch_classify(500, CURLE_OK, code) == CK_CH_CLASS_RETRIABLE;
}

void ck_ch_opts_from_config(struct ck_ch_opts *opts,
			    const struct ck_config *config)
{
	*opts = (struct ck_ch_opts){
		.url = config->clickhouse.url,
		.database = config->clickhouse.database,
		.user = config->clickhouse.user,
		.password = config->clickhouse.password,
		.connect_timeout_ms = config->clickhouse.connect_timeout_ms,
		.request_timeout_ms = config->clickhouse.request_timeout_ms,
		.settings = config->clickhouse.settings,
		.nsettings = config->clickhouse.nsettings,
		.tls_ca_file = config->clickhouse.tls.ca_file,
		.tls_client_cert = config->clickhouse.tls.client_cert,
		.tls_client_key = config->clickhouse.tls.client_key,
		.tls_no_verify = !config->clickhouse.tls.verify,
		.compression = config->clickhouse.compression,
	};
}

int ck_ch_parse_exception_code(const char *body, size_t len)
{
	static const char tag[] = "Code: ";
	const size_t tlen = sizeof(tag) - 1;
	int code = 0;

	for (size_t i = 0; i + tlen < len; i++) {
		if (memcmp(body + i, tag, tlen) != 0)
			continue;
		for (size_t j = i + tlen; j < len && j < i + tlen + 6; j++) {
			if (body[j] < '0' || body[j] > '9')
				break;
			code = code * 10 + (body[j] - '0');
		}
		return code;
	}
	return 0;
}

/* text between quote characters, the quote and backslashes escaped. */
static int quote_with(struct ck_buf *out, const char *text, char quote,
		      struct ck_err *err)
{
	int rc = ck_buf_put_u8(out, (uint8_t)quote, err);

	for (const char *p = text; !rc && *p; p++) {
		if (*p == quote || *p == '\\')
			rc = ck_buf_put_u8(out, '\\', err);
		if (!rc)
			rc = ck_buf_put_u8(out, (uint8_t)*p, err);
	}
	if (!rc)
		rc = ck_buf_put_u8(out, (uint8_t)quote, err);
	return rc;
}

int ck_ch_quote_ident(struct ck_buf *out, const char *name,
		      struct ck_err *err)
{
	return quote_with(out, name, '`', err);
}

int ck_ch_quote_string(struct ck_buf *out, const char *text,
		       struct ck_err *err)
{
	return quote_with(out, text, '\'', err);
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct ck_ch_client *client = arg;
	size_t n = size * nmemb;
	struct ck_buf *sink = client->sink;

	if (client->sink_truncated)
		return n;
	if (ck_buf_append(sink, data, n, NULL) != CK_OK) {
		size_t room = sink->max - sink->len;
		if (room)
			ck_buf_append(sink, data, room, NULL);
		client->sink_truncated = true;
	}
	return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	static const char name[] = "x-clickhouse-exception-code:";
	struct ck_ch_client *client = arg;
	size_t n = size * nmemb;
	const size_t nlen = sizeof(name) - 1;

	if (n > nlen && strncasecmp(data, name, nlen) == 0) {
		int code = 0;
		for (size_t i = nlen; i < n; i++) {
			if (data[i] >= '0' && data[i] <= '9')
				code = code * 10 + (data[i] - '0');
			else if (data[i] != ' ' && data[i] != '\t')
				break;
		}
		client->exception_code = code;
	}
	return n;
}

const char *ck_ch_settings_name(const struct ck_config_kv *settings,
				size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(settings[i].key, name) == 0)
			return settings[i].value;
	return NULL;
}

/* "&name=value..." for the insert URL, and "'name',..." for the check. */
static int build_settings(struct ck_ch_client *client,
			  const struct ck_ch_opts *opts, struct ck_err *err)
{
	struct ck_buf qs, names;
	int rc = CK_OK;

	ck_buf_init(&qs, 1u << 20);
	ck_buf_init(&names, 1u << 20);
	for (size_t i = 0; !rc && i < opts->nsettings; i++) {
		const char *name = opts->settings[i].key;
		char *k, *v;

		/* config.c allows only these; the check query relies on it. */
		if (!name[0] || strspn(name, "abcdefghijklmnopqrstuvwxyz"
					     "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
					     "0123456789_") != strlen(name)) {
			rc = ck_err_set(err, CK_ERR_CONFIG,
					"clickhouse.settings.%s: not a setting "
					"name",
					name);
			break;
		}
		k = curl_easy_escape(client->curl, name, 0);
		v = curl_easy_escape(client->curl, opts->settings[i].value, 0);
		if (!k || !v)
			rc = ck_err_set(err, CK_ERR_NOMEM, "out of memory");
		if (!rc)
			rc = ck_buf_printf(&qs, err, "&%s=%s", k, v);
		if (!rc)
			rc = ck_buf_printf(&names, err, "%s'%s'", i ? "," : "",
					   name);
		curl_free(k);
		curl_free(v);
	}
	if (!rc && opts->wait_for_async_insert &&
	    !ck_ch_settings_name(opts->settings, opts->nsettings,
				 "wait_for_async_insert"))
		rc = ck_buf_printf(&qs, err, "&wait_for_async_insert=1");
	if (!rc)
		rc = ck_buf_put_u8(&qs, '\0', err);
	if (!rc)
		rc = ck_buf_put_u8(&names, '\0', err);
	if (rc) {
		ck_buf_free(&qs);
		ck_buf_free(&names);
		return rc;
	}
	client->settings_qs = (char *)qs.data;
	if (opts->nsettings)
		client->setting_names = (char *)names.data;
	else
		ck_buf_free(&names);
	return CK_OK;
}

static int compression_init(struct ck_ch_client *client, struct ck_err *err)
{
	switch (client->compression) {
	case CK_COMPRESSION_NONE:
		return CK_OK;
	case CK_COMPRESSION_GZIP:
		/* windowBits 15 + 16: a gzip header instead of zlib's. */
		if (deflateInit2(&client->gz, CH_GZIP_LEVEL, Z_DEFLATED, 15 + 16,
				 8, Z_DEFAULT_STRATEGY) != Z_OK)
			break;
		client->gz_ready = true;
		return CK_OK;
	case CK_COMPRESSION_ZSTD:
		client->zstd = ZSTD_createCCtx();
		if (!client->zstd)
			break;
		return CK_OK;
	case CK_COMPRESSION_LZ4:
		if (LZ4F_isError(LZ4F_createCompressionContext(&client->lz4,
							       LZ4F_VERSION)))
			break;
		return CK_OK;
	}
	return ck_err_set(err, CK_ERR_NOMEM,
			  "cannot set up %s compression",
			  ck_config_compression_name(client->compression));
}

struct ck_ch_client *ck_ch_client_new(const struct ck_ch_opts *opts,
				      struct ck_err *err)
{
	struct ck_ch_client *client = calloc(1, sizeof(*client));
	char *db = NULL;
	size_t len;

	if (!client)
		goto nomem;
	ck_buf_init(&client->scratch, CH_ERROR_BODY_MAX + 1);
	ck_buf_init(&client->reply, CH_ERROR_BODY_MAX);
	ck_buf_init(&client->zbuf, CH_ZBUF_MAX);
	ck_buf_init(&client->joined, CH_ZBUF_MAX);
	client->compression = opts->compression;
	client->curl = curl_easy_init();
	if (!client->curl)
		goto nomem;
	db = curl_easy_escape(client->curl, opts->database, 0);
	if (!db)
		goto nomem;
	len = strlen(opts->url) + strlen(db) + 16;
	client->base_url = malloc(len);
	client->user = strdup(opts->user);
	client->password = strdup(opts->password);
	client->tls_ca_file = opts->tls_ca_file ? strdup(opts->tls_ca_file)
						: NULL;
	client->tls_client_cert =
		opts->tls_client_cert ? strdup(opts->tls_client_cert) : NULL;
	client->tls_client_key =
		opts->tls_client_key ? strdup(opts->tls_client_key) : NULL;
	client->tls_no_verify = opts->tls_no_verify;
	if (!client->base_url || !client->user || !client->password ||
	    (opts->tls_ca_file && !client->tls_ca_file) ||
	    (opts->tls_client_cert && !client->tls_client_cert) ||
	    (opts->tls_client_key && !client->tls_client_key))
		goto nomem;
	/* A trailing slash in the configured URL must not double up. */
	{
		size_t ulen = strlen(opts->url);
		while (ulen && opts->url[ulen - 1] == '/')
			ulen--;
		snprintf(client->base_url, len, "%.*s/?database=%s", (int)ulen,
			 opts->url, db);
	}
	curl_free(db);
	db = NULL;
	/*
	 * curl waits for "100 Continue" before large bodies; that is a wasted
	 * round trip per batch, so the header is suppressed.
	 */
	client->headers = curl_slist_append(NULL, "Expect:");
	if (!client->headers)
		goto nomem;
	if (client->compression != CK_COMPRESSION_NONE) {
		char header[64];
		struct curl_slist *h;

		snprintf(header, sizeof(header), "Content-Encoding: %s",
			 ck_config_compression_name(client->compression));
		h = curl_slist_append(NULL, "Expect:");
		if (!h)
			goto nomem;
		client->zheaders = curl_slist_append(h, header);
		if (!client->zheaders) {
			curl_slist_free_all(h);
			goto nomem;
		}
	}
	client->connect_timeout_ms = opts->connect_timeout_ms;
	client->request_timeout_ms = opts->request_timeout_ms;
	if (build_settings(client, opts, err) != CK_OK ||
	    compression_init(client, err) != CK_OK) {
		ck_ch_client_destroy(client);
		return NULL;
	}
	return client;
nomem:
	if (db)
		curl_free(db);
	ck_ch_client_destroy(client);
	ck_err_set(err, CK_ERR_NOMEM, "out of memory creating the ClickHouse "
				      "client");
	return NULL;
}

void ck_ch_client_destroy(struct ck_ch_client *client)
{
	if (!client)
		return;
	if (client->curl)
		curl_easy_cleanup(client->curl);
	curl_slist_free_all(client->headers);
	curl_slist_free_all(client->zheaders);
	free(client->base_url);
	free(client->user);
	free(client->password);
	free(client->tls_ca_file);
	free(client->tls_client_cert);
	free(client->tls_client_key);
	free(client->settings_qs);
	free(client->setting_names);
	if (client->gz_ready)
		deflateEnd(&client->gz);
	ZSTD_freeCCtx(client->zstd);
	LZ4F_freeCompressionContext(client->lz4);
	ck_buf_free(&client->scratch);
	ck_buf_free(&client->reply);
	ck_buf_free(&client->zbuf);
	ck_buf_free(&client->joined);
	free(client);
}

void ck_ch_client_set_cancel(struct ck_ch_client *client,
			     const atomic_bool *flag)
{
	client->cancel = flag;
}

void ck_ch_client_set_reuse(struct ck_ch_client *client, bool reuse)
{
	client->no_reuse = !reuse;
}

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
		       curl_off_t ultotal, curl_off_t ulnow)
{
	struct ck_ch_client *client = arg;

	(void)dltotal, (void)dlnow, (void)ultotal;
	/* Some or all of an insert body is on its way, no answer yet. */
	if (ulnow > 0 && !client->body_started) {
		client->body_started = true;
		CK_FAILPOINT("insert.mid_body");
	}
	return client->cancel && atomic_load(client->cancel) ? 1 : 0;
}

int ck_ch_last_exception_code(const struct ck_ch_client *client)
{
	return client->exception_code;
}

enum ck_ch_class ck_ch_last_class(const struct ck_ch_client *client)
{
	return client->last_class;
}

bool ck_ch_last_outcome_unknown(const struct ck_ch_client *client)
{
	return client->outcome_unknown;
}

size_t ck_ch_last_sent_bytes(const struct ck_ch_client *client)
{
	return client->sent_bytes;
}

/* The first line of an error body, trimmed, for a one-line message. */
static void body_summary(const struct ck_buf *body, char *out, size_t size)
{
	size_t n = 0;

	for (size_t i = 0; i < body->len && n + 1 < size; i++) {
		char c = (char)body->data[i];
		if (c == '\n' || c == '\r') {
			if (n)
				break;
			continue;
		}
		out[n++] = c;
	}
	while (n && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

/* Sets err from the class: retriable or not, with the class named. */
static int set_class_err(struct ck_err *err, enum ck_ch_class cls,
			 const char *what, const char *detail,
			 const char *unknown)
{
	if (cls == CK_CH_CLASS_RETRIABLE)
		return ck_err_set_retriable(err, CK_ERR_CLICKHOUSE, "%s: %s%s",
					    what, detail, unknown);
	return ck_err_set(err, CK_ERR_CLICKHOUSE, "%s (%s): %s", what,
			  ck_ch_class_name(cls), detail);
}

/*
 * Performs the prepared request; body goes to sink. Classifies the outcome
 * into err and client->last_class. is_insert: a 200 whose body carries
 * "Code: N" is a failure too (a query's rows could contain that text).
 */
static int ch_perform(struct ck_ch_client *client, const char *what,
		      struct ck_buf *sink, bool is_insert, struct ck_err *err)
{
	static const char unknown_msg[] =
		" (outcome unknown: the server may have inserted some or all "
		"rows)";
	CURL *curl = client->curl;
	char summary[400], detail[480];
	curl_off_t sent = 0;
	long status = 0;
	CURLcode cc;

	client->exception_code = 0;
	client->last_class = CK_CH_CLASS_NONE;
	client->outcome_unknown = false;
	client->curl_error[0] = '\0';
	client->sink = sink;
	client->sink_truncated = false;
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, client->curl_error);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, client);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, client);
	curl_easy_setopt(curl, CURLOPT_USERNAME, client->user);
	curl_easy_setopt(curl, CURLOPT_PASSWORD, client->password);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
			 (long)client->connect_timeout_ms);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
			 (long)client->request_timeout_ms);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER,
			 client->body_compressed ? client->zheaders
						 : client->headers);
	if (client->tls_ca_file)
		curl_easy_setopt(curl, CURLOPT_CAINFO, client->tls_ca_file);
	if (client->tls_client_cert)
		curl_easy_setopt(curl, CURLOPT_SSLCERT, client->tls_client_cert);
	if (client->tls_client_key)
		curl_easy_setopt(curl, CURLOPT_SSLKEY, client->tls_client_key);
	if (client->tls_no_verify) {
		curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (client->cancel) {
		curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(curl, CURLOPT_XFERINFODATA, client);
		curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
	}
	curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
	/*
	 * A connection whose last request failed is not trusted again: the
	 * retry opens a new one, and with a cache of one connection the old
	 * one is closed. (CI once saw a retry on such a connection to 18.16
	 * hang 10 s until the server's keep-alive reset it, after the rows
	 * had gone in.)
	 */
	curl_easy_setopt(curl, CURLOPT_MAXCONNECTS, 1L);
	curl_easy_setopt(curl, CURLOPT_FRESH_CONNECT,
			 client->last_failed || client->no_reuse ? 1L : 0L);
	curl_easy_setopt(curl, CURLOPT_FORBID_REUSE,
			 client->no_reuse ? 1L : 0L);

	cc = curl_easy_perform(curl);
	client->last_failed = true;
	if (cc == CURLE_ABORTED_BY_CALLBACK)
		return ck_err_set(err, CK_ERR_STOPPED,
				  "%s: abandoned because chute is stopping",
				  what);
	if (cc != CURLE_OK) {
		client->last_class = ck_ch_classify(0, (int)cc, 0);
		curl_easy_getinfo(curl, CURLINFO_SIZE_UPLOAD_T, &sent);
		/*
		 * Once body bytes left, the server may have parsed and
		 * written blocks of them before the connection ended.
		 */
		client->outcome_unknown =
			is_insert && sent > 0 &&
			client->last_class == CK_CH_CLASS_RETRIABLE &&
			cc != CURLE_COULDNT_CONNECT &&
			cc != CURLE_COULDNT_RESOLVE_HOST;
		snprintf(detail, sizeof(detail), "%s",
			 client->curl_error[0] ? client->curl_error
					       : curl_easy_strerror(cc));
		return set_class_err(err, client->last_class, what, detail,
				     client->outcome_unknown ? unknown_msg
							     : "");
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	if (client->exception_code == 0 && (status != 200 || is_insert))
		client->exception_code = ck_ch_parse_exception_code(
			(const char *)sink->data, sink->len);
	client->last_class =
		ck_ch_classify(status, CURLE_OK, client->exception_code);
	if (client->last_class == CK_CH_CLASS_NONE) {
		client->last_failed = false;
		return CK_OK;
	}

	client->outcome_unknown = client->exception_code == 319;
	body_summary(sink, summary, sizeof(summary));
	snprintf(detail, sizeof(detail), "HTTP %ld: %s", status,
		 summary[0] ? summary : "no details");
	return set_class_err(err, client->last_class, what, detail,
			     client->outcome_unknown ? unknown_msg : "");
}

int ck_ch_query(struct ck_ch_client *client, const char *sql,
		struct ck_buf *out, struct ck_err *err)
{
	CURL *curl = client->curl;
	size_t start = out->len;
	int rc;

	curl_easy_reset(curl);
	curl_easy_setopt(curl, CURLOPT_URL, client->base_url);
	curl_easy_setopt(curl, CURLOPT_POST, 1L);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, sql);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)strlen(sql));
	rc = ch_perform(client, "ClickHouse query", out, false, err);
	if (rc)
		out->len = start;
	else if (client->sink_truncated)
		rc = ck_err_set(err, CK_ERR_LIMIT,
				"ClickHouse query: response larger than %zu "
				"bytes",
				out->max);
	return rc;
}

/*
 * Compresses [body, body+len) into client->zbuf, which keeps its capacity
 * from one insert to the next.
 */
static int compress_body(struct ck_ch_client *client, const uint8_t *body,
			 size_t len, struct ck_err *err)
{
	const char *name = ck_config_compression_name(client->compression);
	size_t bound = 0, n = 0;
	int rc;

	switch (client->compression) {
	case CK_COMPRESSION_NONE:
		return CK_OK;
	case CK_COMPRESSION_GZIP:
		bound = deflateBound(&client->gz, (uLong)len);
		break;
	case CK_COMPRESSION_ZSTD:
		bound = ZSTD_compressBound(len);
		break;
	case CK_COMPRESSION_LZ4:
		bound = LZ4F_HEADER_SIZE_MAX + LZ4F_compressBound(len, NULL);
		break;
	}
	ck_buf_reset(&client->zbuf);
	rc = ck_buf_reserve(&client->zbuf, bound, err);
	if (rc)
		return ck_err_prefix(err, "%s compression: ", name);
	switch (client->compression) {
	case CK_COMPRESSION_NONE:
		break;
	case CK_COMPRESSION_GZIP:
		deflateReset(&client->gz);
		client->gz.next_in = (Bytef *)(uintptr_t)body;
		client->gz.avail_in = (uInt)len;
		client->gz.next_out = client->zbuf.data;
		client->gz.avail_out = (uInt)bound;
		if (deflate(&client->gz, Z_FINISH) != Z_STREAM_END)
			return ck_err_set(err, CK_ERR_IO,
					  "gzip compression failed");
		n = client->gz.total_out;
		break;
	case CK_COMPRESSION_ZSTD:
		n = ZSTD_compressCCtx(client->zstd, client->zbuf.data, bound,
				      body, len, CH_ZSTD_LEVEL);
		if (ZSTD_isError(n))
			return ck_err_set(err, CK_ERR_IO,
					  "zstd compression failed: %s",
					  ZSTD_getErrorName(n));
		break;
	case CK_COMPRESSION_LZ4: {
		/* Begin/update/end reuse the context's tables; no allocation. */
		uint8_t *dst = client->zbuf.data;
		size_t part = LZ4F_compressBegin(client->lz4, dst, bound, NULL);

		if (!LZ4F_isError(part)) {
			n = part;
			part = LZ4F_compressUpdate(client->lz4, dst + n,
						   bound - n, body, len, NULL);
		}
		if (!LZ4F_isError(part)) {
			n += part;
			part = LZ4F_compressEnd(client->lz4, dst + n, bound - n,
						NULL);
		}
		if (LZ4F_isError(part))
			return ck_err_set(err, CK_ERR_IO,
					  "lz4 compression failed: %s",
					  LZ4F_getErrorName(part));
		n += part;
		break;
	}
	}
	client->zbuf.len = n;
	return CK_OK;
}

/* curl's read callback for a body in pieces. */
static size_t on_read(char *dst, size_t size, size_t nitems, void *arg)
{
	struct ck_ch_client *client = arg;
	size_t cap = size * nitems, n = 0;

	while (n < cap && client->body_at < client->nbody) {
		const struct ck_slice *piece = &client->body[client->body_at];
		size_t take = piece->len - client->body_off;

		if (take > cap - n)
			take = cap - n;
		memcpy(dst + n, piece->p + client->body_off, take);
		n += take;
		client->body_off += take;
		if (client->body_off == piece->len) {
			client->body_at++;
			client->body_off = 0;
		}
	}
	return n;
}

/* Rewinds a body in pieces: curl re-sends it on a reused connection. */
static int on_seek(void *arg, curl_off_t offset, int origin)
{
	struct ck_ch_client *client = arg;
	size_t left;

	if (origin != SEEK_SET || offset < 0)
		return CURL_SEEKFUNC_CANTSEEK;
	left = (size_t)offset;
	client->body_at = 0;
	client->body_off = 0;
	while (client->body_at < client->nbody &&
	       left >= client->body[client->body_at].len) {
		left -= client->body[client->body_at].len;
		client->body_at++;
	}
	if (left > 0 && client->body_at == client->nbody)
		return CURL_SEEKFUNC_FAIL;
	client->body_off = left;
	return CURL_SEEKFUNC_OK;
}

/* Copies a body in pieces into one buffer (to compress it). */
static int join_body(struct ck_ch_client *client, const struct ck_slice *body,
		     size_t nbody, size_t total, struct ck_err *err)
{
	int rc;

	ck_buf_reset(&client->joined);
	rc = ck_buf_reserve(&client->joined, total, err);
	for (size_t i = 0; !rc && i < nbody; i++)
		rc = ck_buf_append(&client->joined, body[i].p, body[i].len,
				   err);
	return rc;
}

/*
 * POSTs a body in nbody pieces (compressed when configured) to url. The
 * URL was copied by curl by the time this returns.
 */
static int post_body(struct ck_ch_client *client, const char *url,
		     const char *what, const struct ck_slice *body,
		     size_t nbody, struct ck_buf *sink, bool is_insert,
		     struct ck_err *err)
{
	CURL *curl = client->curl;
	struct ck_slice one;
	size_t len = 0;
	int rc;

	for (size_t i = 0; i < nbody; i++)
		len += body[i].len;
	if (client->compression != CK_COMPRESSION_NONE) {
		/* Compression is off by default; joining costs less. */
		if (nbody > 1) {
			rc = join_body(client, body, nbody, len, err);
			if (rc)
				return ck_err_prefix(err, "joining the body: ");
			one = (struct ck_slice){client->joined.data, len};
			body = &one;
			nbody = 1;
		}
		rc = compress_body(client, nbody ? body->p : NULL, len, err);
		if (rc)
			return rc;
		one = (struct ck_slice){client->zbuf.data, client->zbuf.len};
		body = &one;
		nbody = 1;
		len = one.len;
	}
	client->sent_bytes = len;
	client->body_started = !is_insert;
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_POST, 1L);
	if (nbody <= 1) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS,
				 nbody ? (const char *)body->p : "");
	} else {
		client->body = body;
		client->nbody = nbody;
		client->body_at = 0;
		client->body_off = 0;
		curl_easy_setopt(curl, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(curl, CURLOPT_READDATA, client);
		curl_easy_setopt(curl, CURLOPT_SEEKFUNCTION, on_seek);
		curl_easy_setopt(curl, CURLOPT_SEEKDATA, client);
	}
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	client->body_compressed = client->compression != CK_COMPRESSION_NONE;
	rc = ch_perform(client, what, sink, is_insert, err);
	client->body_compressed = false;
	client->body = NULL;
	client->nbody = 0;
	return rc;
}

int ck_ch_insert(struct ck_ch_client *client, const char *sql,
		 const char *query_id, const char *params, const uint8_t *body,
		 size_t len, struct ck_err *err)
{
	struct ck_slice one = {body, len};

	return ck_ch_insert_parts(client, sql, query_id, params, &one, 1, err);
}

int ck_ch_insert_parts(struct ck_ch_client *client, const char *sql,
		       const char *query_id, const char *params,
		       const struct ck_slice *body, size_t nbody,
		       struct ck_err *err)
{
	CURL *curl = client->curl;
	char *query = NULL, *qid = NULL;
	int rc;

	curl_easy_reset(curl);
	query = curl_easy_escape(curl, sql, 0);
	if (query_id)
		qid = curl_easy_escape(curl, query_id, 0);
	ck_buf_reset(&client->scratch);
	if (!query || (query_id && !qid) ||
	    ck_buf_printf(&client->scratch, err, "%s%s%s%s%s&query=%s",
			  client->base_url, client->settings_qs,
			  params ? params : "", qid ? "&query_id=" : "",
			  qid ? qid : "", query) != CK_OK) {
		rc = ck_err_set(err, CK_ERR_NOMEM, "out of memory building the "
						   "insert URL");
		goto out;
	}
	ck_buf_reset(&client->reply);
	rc = post_body(client, (const char *)client->scratch.data, "insert",
		       body, nbody, &client->reply, true, err);
out:
	curl_free(query);
	curl_free(qid);
	return rc;
}

int ck_ch_check_server(struct ck_ch_client *client, const char *version,
		       struct ck_err *err)
{
	struct ck_buf sql, out;
	int rc = CK_OK;

	ck_buf_init(&sql, 1u << 20);
	ck_buf_init(&out, 1u << 20);
	if (client->setting_names) {
		rc = ck_buf_printf(&sql, err,
				   "SELECT name FROM system.settings WHERE "
				   "name IN (%s) FORMAT TabSeparated",
				   client->setting_names);
		if (!rc)
			rc = ck_ch_query(client, (const char *)sql.data, &out,
					 err);
		if (!rc)
			rc = ck_buf_put_u8(&out, '\0', err);
		if (rc) {
			ck_err_prefix(err, "cannot read system.settings: ");
			goto out;
		}
		/* Report the first configured name the server did not list. */
		for (const char *p = client->setting_names; *p;) {
			const char *end = strchr(p + 1, '\'');
			char name[256];
			const char *hit;
			size_t n = (size_t)(end - p - 1);
			bool known = false;

			snprintf(name, sizeof(name), "%.*s", (int)n, p + 1);
			for (hit = strstr((const char *)out.data, name); hit;
			     hit = strstr(hit + 1, name)) {
				if ((hit == (const char *)out.data ||
				     hit[-1] == '\n') &&
				    (hit[n] == '\n' || hit[n] == '\0')) {
					known = true;
					break;
				}
			}
			if (!known) {
				rc = ck_err_set(err, CK_ERR_CONFIG,
						"clickhouse.settings.%s: the "
						"server (ClickHouse %s) has no "
						"such setting",
						name, version);
				goto out;
			}
			p = end + 1;
			if (*p == ',')
				p++;
		}
	}
	if (client->compression != CK_COMPRESSION_NONE) {
		static const char probe[] = "SELECT 1";
		const char *name =
			ck_config_compression_name(client->compression);

		curl_easy_reset(client->curl);
		ck_buf_reset(&out);
		struct ck_slice body = {(const uint8_t *)probe,
					sizeof(probe) - 1};

		rc = post_body(client, client->base_url, "compression check",
			       &body, 1, &out, false, err);
		if (rc && client->exception_code == 89) /* UNKNOWN_COMPRESSION_METHOD */
			rc = ck_err_set(err, CK_ERR_CONFIG,
					"clickhouse.compression: the server "
					"(ClickHouse %s) does not accept "
					"Content-Encoding %s; use gzip or none",
					version, name);
		else if (!rc && (out.len < 1 || out.data[0] != '1'))
			rc = ck_err_set(err, CK_ERR_CONFIG,
					"clickhouse.compression: the server "
					"(ClickHouse %s) did not understand a "
					"%s request body",
					version, name);
		else if (rc)
			ck_err_prefix(err, "clickhouse.compression: ");
	}
out:
	ck_buf_free(&sql);
	ck_buf_free(&out);
	return rc;
}
