/*
 * client.c — the ClickHouse HTTP client. See client.h for the outcome rules.
 *
 * Requests:
 *   query   POST <url>/?database=<db>            body = SQL text
 *   insert  POST <url>/?database=<db>&query=<SQL> body = encoded rows
 * Credentials go in HTTP basic auth, which every server version accepts.
 * The response body is kept (bounded) because it carries the exception
 * text; the X-ClickHouse-Exception-Code header, when present, is the
 * authoritative code, and old servers that lack it write "Code: N." first.
 */
#include "clickhouse/client.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Enough of an error body to report it; the rest is dropped. */
#define CH_ERROR_BODY_MAX (64u * 1024)

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
	const atomic_bool *cancel;
	struct ck_buf *sink;   /* where the body of the current response goes */
	bool sink_truncated;
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

bool ck_ch_code_is_retriable(int code)
{
	switch (code) {
	case 32:  /* ATTEMPT_TO_READ_AFTER_EOF: body cut in transit */
	case 33:  /* CANNOT_READ_ALL_DATA: likewise */
	case 159: /* TIMEOUT_EXCEEDED */
	case 164: /* READONLY: replica in read-only mode while recovering */
	case 202: /* TOO_MANY_SIMULTANEOUS_QUERIES */
	case 203: /* NO_FREE_CONNECTION */
	case 209: /* SOCKET_TIMEOUT */
	case 210: /* NETWORK_ERROR */
	case 236: /* ABORTED */
	case 241: /* MEMORY_LIMIT_EXCEEDED */
	case 242: /* TABLE_IS_READ_ONLY */
	case 252: /* TOO_MANY_PARTS */
	case 285: /* TOO_FEW_LIVE_REPLICAS */
	case 319: /* UNKNOWN_STATUS_OF_INSERT: resend the identical batch */
	case 394: /* QUERY_WAS_CANCELLED (server shutting down) */
	case 425: /* SYSTEM_ERROR */
	case 473: /* DEADLOCK_AVOIDED */
	case 999: /* KEEPER_EXCEPTION */
	case 1000: /* POCO_EXCEPTION: network-level */
		return true;
	}
	return false;
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

int ck_ch_quote_ident(struct ck_buf *out, const char *name,
		      struct ck_err *err)
{
	int rc = ck_buf_put_u8(out, '`', err);

	for (const char *p = name; !rc && *p; p++) {
		if (*p == '`' || *p == '\\')
			rc = ck_buf_put_u8(out, '\\', err);
		if (!rc)
			rc = ck_buf_put_u8(out, (uint8_t)*p, err);
	}
	if (!rc)
		rc = ck_buf_put_u8(out, '`', err);
	return rc;
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

struct ck_ch_client *ck_ch_client_new(const struct ck_ch_opts *opts,
				      struct ck_err *err)
{
	struct ck_ch_client *client = calloc(1, sizeof(*client));
	char *db = NULL;
	size_t len;

	if (!client)
		goto nomem;
	ck_buf_init(&client->scratch, CH_ERROR_BODY_MAX + 1);
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
	if (!client->base_url || !client->user || !client->password)
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
	/*
	 * curl waits for "100 Continue" before large bodies; that is a wasted
	 * round trip per batch, so the header is suppressed.
	 */
	client->headers = curl_slist_append(NULL, "Expect:");
	if (!client->headers)
		goto nomem;
	client->connect_timeout_ms = opts->connect_timeout_ms;
	client->request_timeout_ms = opts->request_timeout_ms;
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
	free(client->base_url);
	free(client->user);
	free(client->password);
	ck_buf_free(&client->scratch);
	free(client);
}

void ck_ch_client_set_cancel(struct ck_ch_client *client,
			     const atomic_bool *flag)
{
	client->cancel = flag;
}

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
		       curl_off_t ultotal, curl_off_t ulnow)
{
	const struct ck_ch_client *client = arg;

	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	return client->cancel && atomic_load(client->cancel) ? 1 : 0;
}

int ck_ch_last_exception_code(const struct ck_ch_client *client)
{
	return client->exception_code;
}

static bool curl_code_is_retriable(CURLcode cc)
{
	switch (cc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return true;
	default:
		return false;
	}
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

/*
 * Performs the prepared request; body goes to sink. Classifies the outcome
 * into err.
 */
static int ch_perform(struct ck_ch_client *client, const char *what,
		      struct ck_buf *sink, struct ck_err *err)
{
	CURL *curl = client->curl;
	char summary[400];
	long status = 0;
	CURLcode cc;

	client->exception_code = 0;
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
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, client->headers);
	if (client->cancel) {
		curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(curl, CURLOPT_XFERINFODATA, client);
		curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
	}
	curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);

	cc = curl_easy_perform(curl);
	if (cc == CURLE_ABORTED_BY_CALLBACK)
		return ck_err_set(err, CK_ERR_STOPPED,
				  "%s: abandoned because chute is stopping",
				  what);
	if (cc != CURLE_OK) {
		const char *detail = client->curl_error[0]
					     ? client->curl_error
					     : curl_easy_strerror(cc);
		if (curl_code_is_retriable(cc))
			return ck_err_set_retriable(err, CK_ERR_CLICKHOUSE,
						    "%s: %s", what, detail);
		return ck_err_set(err, CK_ERR_CLICKHOUSE, "%s: %s", what,
				  detail);
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	if (client->exception_code == 0 && status != 200)
		client->exception_code = ck_ch_parse_exception_code(
			(const char *)sink->data, sink->len);
	if (status == 200 && client->exception_code == 0)
		return CK_OK;

	body_summary(sink, summary, sizeof(summary));
	if ((client->exception_code &&
	     ck_ch_code_is_retriable(client->exception_code)) ||
	    (!client->exception_code &&
	     (status >= 500 || status == 429 || status == 408)))
		return ck_err_set_retriable(err, CK_ERR_CLICKHOUSE,
					    "%s: HTTP %ld: %s", what, status,
					    summary[0] ? summary : "no details");
	return ck_err_set(err, CK_ERR_CLICKHOUSE, "%s: HTTP %ld: %s", what,
			  status, summary[0] ? summary : "no details");
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
	rc = ch_perform(client, "ClickHouse query", out, err);
	if (rc)
		out->len = start;
	else if (client->sink_truncated)
		rc = ck_err_set(err, CK_ERR_LIMIT,
				"ClickHouse query: response larger than %zu "
				"bytes",
				out->max);
	return rc;
}

int ck_ch_insert(struct ck_ch_client *client, const char *sql,
		 const uint8_t *body, size_t len, struct ck_err *err)
{
	CURL *curl = client->curl;
	char *query = NULL;
	int rc;

	curl_easy_reset(curl);
	query = curl_easy_escape(curl, sql, 0);
	ck_buf_reset(&client->scratch);
	if (!query ||
	    ck_buf_printf(&client->scratch, err, "%s&query=%s",
			  client->base_url, query) != CK_OK) {
		rc = ck_err_set(err, CK_ERR_NOMEM, "out of memory building the "
						   "insert URL");
		goto out;
	}
	curl_easy_setopt(curl, CURLOPT_URL, (const char *)client->scratch.data);
	curl_easy_setopt(curl, CURLOPT_POST, 1L);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, (const char *)body);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	{
		/* The URL was copied by curl; the buffer now holds the reply. */
		struct ck_buf reply;
		ck_buf_init(&reply, CH_ERROR_BODY_MAX);
		rc = ch_perform(client, "insert", &reply, err);
		ck_buf_free(&reply);
	}
out:
	if (query)
		curl_free(query);
	return rc;
}
