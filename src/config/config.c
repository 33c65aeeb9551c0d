/*
 * config.c — YAML → struct ck_config, with ${ENV} expansion and one-line
 * errors that name the file, line, column and dotted key.
 *
 * libyaml loads the whole file into a node tree (the file is small and read
 * once), then a walker checks each mapping against the keys chute knows and
 * converts each scalar. Scalars are all strings to libyaml; the walker
 * decides what a value means from the key, so `max_rows: "1000"` and
 * `max_rows: 1000` are the same. A plain `~`, `null` or empty scalar means
 * "not set".
 */
#include "config/config.h"

#include <errno.h>
#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "common/buf.h"

#define CONFIG_MAX_BYTES (1u << 20)
/* memory_budget when unset (and no batch needs more). */
#define MEMORY_BUDGET_DEFAULT ((uint64_t)64 << 20)

struct walk {
	yaml_document_t *doc;
	const char *name;
	struct ck_err *err;
	/* dlq.topic's node: errors in a route's inherited DLQ topic point here. */
	yaml_node_t *dlq_topic;
};

static int walk_error(struct walk *w, const yaml_node_t *node,
		      const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int walk_error(struct walk *w, const yaml_node_t *node,
		      const char *path, const char *fmt, ...)
{
	char msg[CK_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (node)
		return ck_err_set(w->err, CK_ERR_CONFIG, "%s:%zu:%zu: %s: %s",
				  w->name, node->start_mark.line + 1,
				  node->start_mark.column + 1, path, msg);
	return ck_err_set(w->err, CK_ERR_CONFIG, "%s: %s: %s", w->name, path,
			  msg);
}

static void join_path(char *out, size_t size, const char *prefix,
		      const char *key)
{
	if (prefix[0])
		snprintf(out, size, "%s.%s", prefix, key);
	else
		snprintf(out, size, "%s", key);
}

static bool scalar_is_null(const yaml_node_t *node)
{
	const char *v = (const char *)node->data.scalar.value;

	if (node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	return node->data.scalar.length == 0 || strcmp(v, "~") == 0 ||
	       strcmp(v, "null") == 0 || strcmp(v, "Null") == 0 ||
	       strcmp(v, "NULL") == 0;
}

/* Returns the value node of key in map, or NULL. */
static yaml_node_t *map_get(struct walk *w, yaml_node_t *map, const char *key)
{
	for (yaml_node_pair_t *pair = map->data.mapping.pairs.start;
	     pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = yaml_document_get_node(w->doc, pair->key);
		if (k && k->type == YAML_SCALAR_NODE &&
		    strcmp((const char *)k->data.scalar.value, key) == 0)
			return yaml_document_get_node(w->doc, pair->value);
	}
	return NULL;
}

/* Rejects keys not in allowed (NULL-terminated) and repeated keys. */
static int map_check_keys(struct walk *w, yaml_node_t *map, const char *path,
			  const char *const *allowed)
{
	for (yaml_node_pair_t *pair = map->data.mapping.pairs.start;
	     pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = yaml_document_get_node(w->doc, pair->key);
		char full[256], list[512];
		size_t n = 0;
		bool known = false;

		if (!k || k->type != YAML_SCALAR_NODE)
			return walk_error(w, k, path[0] ? path : "(top level)",
					  "keys must be plain strings");
		const char *key = (const char *)k->data.scalar.value;
		join_path(full, sizeof(full), path, key);
		for (const yaml_node_pair_t *prev =
			     map->data.mapping.pairs.start;
		     prev < pair; prev++) {
			yaml_node_t *pk =
				yaml_document_get_node(w->doc, prev->key);
			if (pk && pk->type == YAML_SCALAR_NODE &&
			    strcmp((const char *)pk->data.scalar.value,
				   key) == 0)
				return walk_error(w, k, full,
						  "key appears twice");
		}
		list[0] = '\0';
		for (const char *const *a = allowed; *a; a++) {
			if (strcmp(*a, key) == 0)
				known = true;
			int m = snprintf(list + n, sizeof(list) - n, "%s%s",
					 a == allowed ? "" : ", ", *a);
			if (m > 0 && (size_t)m < sizeof(list) - n)
				n += (size_t)m;
		}
		if (!known)
			return walk_error(w, k, full,
					  "unknown key (expected one of: %s)",
					  list);
	}
	return CK_OK;
}

/*
 * Expands ${NAME}, ${NAME:-default} and $$ in text. The result is
 * malloc'd into *out.
 */
static int expand_env(struct walk *w, const yaml_node_t *node,
		      const char *path, const char *text, char **out)
{
	struct ck_buf buf;
	const char *p = text;
	int rc = CK_OK;

	ck_buf_init(&buf, CONFIG_MAX_BYTES);
	while (*p) {
		if (p[0] == '$' && p[1] == '$') {
			rc = ck_buf_put_u8(&buf, '$', w->err);
			p += 2;
		} else if (p[0] == '$' && p[1] == '{') {
			const char *close = strchr(p + 2, '}');
			const char *dflt = NULL, *value;
			char name[256];
			size_t nlen;

			if (!close) {
				rc = walk_error(w, node, path,
						"unterminated ${...} reference");
				goto out;
			}
			nlen = (size_t)(close - (p + 2));
			for (size_t i = 0; i + 1 < nlen; i++) {
				if (p[2 + i] == ':' && p[3 + i] == '-') {
					dflt = p + 4 + i;
					nlen = i;
					break;
				}
			}
			if (nlen == 0 || nlen >= sizeof(name)) {
				rc = walk_error(w, node, path,
						"bad ${...} reference: expected "
						"${NAME} or ${NAME:-default}");
				goto out;
			}
			memcpy(name, p + 2, nlen);
			name[nlen] = '\0';
			for (size_t i = 0; i < nlen; i++) {
				char c = name[i];
				if (!(c == '_' || (c >= 'A' && c <= 'Z') ||
				      (c >= 'a' && c <= 'z') ||
				      (i > 0 && c >= '0' && c <= '9'))) {
					rc = walk_error(
						w, node, path,
						"bad environment variable name "
						"\"%s\" in ${...}",
						name);
					goto out;
				}
			}
			value = getenv(name);
			if (value && value[0]) {
				rc = ck_buf_append(&buf, value, strlen(value),
						   w->err);
			} else if (dflt) {
				rc = ck_buf_append(&buf, dflt,
						   (size_t)(close - dflt),
						   w->err);
			} else {
				rc = walk_error(w, node, path,
						"environment variable %s is "
						"not set (use ${%s:-default} "
						"for an optional value)",
						name, name);
				goto out;
			}
			p = close + 1;
		} else {
			rc = ck_buf_put_u8(&buf, (uint8_t)*p, w->err);
			p++;
		}
		if (rc)
			goto out;
	}
	rc = ck_buf_put_u8(&buf, '\0', w->err);
	if (rc)
		goto out;
	*out = (char *)buf.data;
	return CK_OK;
out:
	ck_buf_free(&buf);
	if (rc == CK_ERR_LIMIT || rc == CK_ERR_NOMEM)
		return walk_error(w, node, path, "value too large");
	return rc;
}

/*
 * Fetches key from map as an expanded string. *out stays untouched when
 * the key is absent or null; a required key then is an error.
 */
static int get_string(struct walk *w, yaml_node_t *map, const char *prefix,
		      const char *key, bool required, const char *expected,
		      char **out)
{
	yaml_node_t *node = map_get(w, map, key);
	char path[256];
	char *value = NULL;
	int rc;

	join_path(path, sizeof(path), prefix, key);
	if (!node || (node->type == YAML_SCALAR_NODE && scalar_is_null(node))) {
		if (required)
			return walk_error(w, node ? node : NULL, path,
					  "required key is missing (expected "
					  "%s)",
					  expected);
		return CK_OK;
	}
	if (node->type != YAML_SCALAR_NODE)
		return walk_error(w, node, path, "expected %s, got a %s",
				  expected,
				  node->type == YAML_MAPPING_NODE ? "mapping"
								  : "list");
	rc = expand_env(w, node, path, (const char *)node->data.scalar.value,
			&value);
	if (rc)
		return rc;
	if (required && value[0] == '\0') {
		free(value);
		return walk_error(w, node, path, "expected %s, got an empty "
				  "value", expected);
	}
	free(*out);
	*out = value;
	return CK_OK;
}

typedef bool (*value_parser)(const char *text, void *out);

/* Fetches key and converts it with parse; absent keys keep *out. */
static int get_value(struct walk *w, yaml_node_t *map, const char *prefix,
		     const char *key, const char *expected, value_parser parse,
		     void *out)
{
	char *text = NULL;
	char path[256];
	int rc = get_string(w, map, prefix, key, false, expected, &text);

	if (rc || !text)
		return rc;
	join_path(path, sizeof(path), prefix, key);
	if (!parse(text, out))
		rc = walk_error(w, map_get(w, map, key), path,
				"expected %s, got \"%s\"", expected, text);
	free(text);
	return rc;
}

bool ck_config_parse_size(const char *text, uint64_t *out)
{
	static const struct {
		const char *suffix;
		uint64_t mult;
	} units[] = {
		{"", 1},
		{"B", 1},
		{"KB", 1000},
		{"MB", 1000 * 1000},
		{"GB", 1000 * 1000 * 1000},
		{"KiB", 1024},
		{"MiB", 1024 * 1024},
		{"GiB", 1024 * 1024 * 1024},
	};
	uint64_t v = 0;
	const char *p = text;

	if (*p < '0' || *p > '9')
		return false;
	while (*p >= '0' && *p <= '9') {
		if (v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*p++ - '0');
	}
	while (*p == ' ')
		p++;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(p, units[i].suffix) == 0) {
			if (v > UINT64_MAX / units[i].mult)
				return false;
			*out = v * units[i].mult;
			return true;
		}
	}
	return false;
}

bool ck_config_parse_duration_ms(const char *text, int64_t *out)
{
	static const struct {
		const char *suffix;
		double mult;
	} units[] = {
		{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000},
	};
	const char *p = text;
	double whole = 0, frac = 0, scale = 1;
	bool digits = false;

	while (*p >= '0' && *p <= '9') {
		whole = whole * 10 + (*p++ - '0');
		digits = true;
	}
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9') {
			frac = frac * 10 + (*p++ - '0');
			scale *= 10;
			digits = true;
		}
	}
	if (!digits)
		return false;
	while (*p == ' ')
		p++;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(p, units[i].suffix) == 0) {
			double ms = (whole + frac / scale) * units[i].mult;
			if (ms > 1e15)
				return false;
			*out = (int64_t)(ms + 0.5);
			return true;
		}
	}
	return false;
}

static bool parse_duration_cb(const char *text, void *out)
{
	return ck_config_parse_duration_ms(text, out);
}

static bool parse_positive_size_cb(const char *text, void *out)
{
	uint64_t v;
	if (!ck_config_parse_size(text, &v) || v == 0)
		return false;
	*(uint64_t *)out = v;
	return true;
}

static bool parse_positive_duration_cb(const char *text, void *out)
{
	int64_t v;
	if (!ck_config_parse_duration_ms(text, &v) || v <= 0)
		return false;
	*(int64_t *)out = v;
	return true;
}

static bool parse_workers_cb(const char *text, void *out)
{
	uint64_t v;
	if (!ck_config_parse_size(text, &v) || strpbrk(text, "BKMGi ") ||
	    v < 1 || v > 64)
		return false;
	*(int *)out = (int)v;
	return true;
}

static bool parse_rows_cb(const char *text, void *out)
{
	uint64_t v;
	if (!ck_config_parse_size(text, &v) || strpbrk(text, "BKMGi ") ||
	    v < 1 || v > 100000000)
		return false;
	*(uint64_t *)out = v;
	return true;
}

/*
 * The index of text in names (NULL-terminated, in the order of the enum it
 * spells), or -1.
 */
static int name_index(const char *text, const char *const names[])
{
	for (int i = 0; names[i]; i++) {
		if (strcmp(text, names[i]) == 0)
			return i;
	}
	return -1;
}

static bool parse_scope_cb(const char *text, void *out)
{
	static const char *const names[] = {"table", "partition", NULL};
	int i = name_index(text, names);

	if (i >= 0)
		*(enum ck_batch_scope *)out = (enum ck_batch_scope)i;
	return i >= 0;
}

static bool parse_delivery_cb(const char *text, void *out)
{
	static const char *const names[] = {"at-least-once", "exactly-once", NULL};
	int i = name_index(text, names);

	if (i >= 0)
		*(enum ck_delivery *)out = (enum ck_delivery)i;
	return i >= 0;
}

static bool parse_log_level_cb(const char *text, void *out)
{
	return ck_log_level_parse(text, out);
}

static yaml_node_t *get_mapping(struct walk *w, yaml_node_t *map,
				const char *prefix, const char *key,
				int *rc)
{
	yaml_node_t *node = map_get(w, map, key);
	char path[256];

	*rc = CK_OK;
	if (!node ||
	    (node->type == YAML_SCALAR_NODE && scalar_is_null(node)))
		return NULL;
	if (node->type != YAML_MAPPING_NODE) {
		join_path(path, sizeof(path), prefix, key);
		*rc = walk_error(w, node, path, "expected a mapping of keys");
		return NULL;
	}
	return node;
}

static int walk_batch(struct walk *w, yaml_node_t *map, const char *path,
		      struct ck_batch_policy *batch)
{
	static const char *const keys[] = {"max_rows", "max_bytes", "max_wait",
					   "scope", NULL};
	int rc = map_check_keys(w, map, path, keys);

	if (!rc)
		rc = get_value(w, map, path, "max_rows",
			       "a row count between 1 and 100000000",
			       parse_rows_cb, &batch->max_rows);
	if (!rc)
		rc = get_value(w, map, path, "max_bytes",
			       "a size such as 16MiB or 1000000",
			       parse_positive_size_cb, &batch->max_bytes);
	if (!rc)
		rc = get_value(w, map, path, "max_wait",
			       "a duration such as 500ms or 2s",
			       parse_positive_duration_cb, &batch->max_wait_ms);
	if (!rc)
		rc = get_value(w, map, path, "scope", "table or partition",
			       parse_scope_cb, &batch->scope);
	if (!rc && batch->max_bytes > (1ull << 30))
		rc = walk_error(w, map_get(w, map, "max_bytes"), path,
				"max_bytes must be at most 1GiB");
	return rc;
}

/* Properties chute sets itself; letting users override them breaks delivery. */
static const char *const owned_properties[][2] = {
	{"enable.auto.commit", "chute commits offsets only after ClickHouse "
			       "acknowledged the rows"},
	{"enable.auto.offset.store", "chute stores offsets itself"},
	{"group.id", "use kafka.group_id"},
	{"bootstrap.servers", "use kafka.bootstrap_servers"},
	{"metadata.broker.list", "use kafka.bootstrap_servers"},
	{"auto.offset.reset", "use kafka.auto_offset_reset"},
	{"enable.partition.eof", "chute does not use partition EOF events"},
	{NULL, NULL},
};

/* The same for the DLQ producer (dlq/dlq.h explains each one). */
static const char *const owned_dlq_properties[][2] = {
	{"bootstrap.servers", "use kafka.bootstrap_servers"},
	{"metadata.broker.list", "use kafka.bootstrap_servers"},
	{"enable.idempotence", "the DLQ producer is always idempotent"},
	{"acks", "every DLQ record waits for all in-sync replicas"},
	{"request.required.acks", "every DLQ record waits for all in-sync "
				  "replicas"},
	{"transactional.id", "the DLQ producer does not use transactions"},
	{"partitioner", "chute picks the DLQ partition from the source "
			"partition"},
	{"sticky.partitioning.linger.ms", "chute picks the DLQ partition from "
					  "the source partition"},
	{NULL, NULL},
};

/*
 * A mapping of librdkafka properties at section (kafka.properties,
 * dlq.properties): each value is expanded, refused if owned lists it, and
 * checked with rd_kafka_conf_set so a typo fails at load time.
 */
static int walk_properties(struct walk *w, yaml_node_t *map,
			   const char *section, const char *const (*owned)[2],
			   struct ck_config_kv **out, size_t *nout)
{
	size_t n = (size_t)(map->data.mapping.pairs.top -
			    map->data.mapping.pairs.start);
	rd_kafka_conf_t *probe = rd_kafka_conf_new();
	int rc = CK_OK;

	*out = calloc(n ? n : 1, sizeof(struct ck_config_kv));
	if (!*out || !probe) {
		rc = ck_err_set(w->err, CK_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (yaml_node_pair_t *pair = map->data.mapping.pairs.start;
	     pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = yaml_document_get_node(w->doc, pair->key);
		yaml_node_t *v = yaml_document_get_node(w->doc, pair->value);
		struct ck_config_kv *kv = &(*out)[*nout];
		char path[256], errstr[256];
		const char *key;

		if (!k || k->type != YAML_SCALAR_NODE) {
			rc = walk_error(w, k, section,
					"keys must be plain strings");
			goto out;
		}
		key = (const char *)k->data.scalar.value;
		join_path(path, sizeof(path), section, key);
		for (size_t i = 0; owned[i][0]; i++) {
			if (strcmp(key, owned[i][0]) == 0) {
				rc = walk_error(w, k, path,
						"chute sets this property "
						"itself (%s)",
						owned[i][1]);
				goto out;
			}
		}
		if (!v || v->type != YAML_SCALAR_NODE) {
			rc = walk_error(w, v ? v : k, path,
					"expected a scalar value");
			goto out;
		}
		kv->key = strdup(key);
		if (!kv->key) {
			rc = ck_err_set(w->err, CK_ERR_NOMEM, "out of memory");
			goto out;
		}
		(*nout)++;
		rc = expand_env(w, v, path,
				(const char *)v->data.scalar.value,
				&kv->value);
		if (rc)
			goto out;
		if (rd_kafka_conf_set(probe, kv->key, kv->value, errstr,
				      sizeof(errstr)) != RD_KAFKA_CONF_OK) {
			rc = walk_error(w, k, path, "librdkafka rejects it: %s",
					errstr);
			goto out;
		}
	}
out:
	if (probe)
		rd_kafka_conf_destroy(probe);
	return rc;
}

static int walk_kafka(struct walk *w, yaml_node_t *map,
		      struct ck_config *config)
{
	static const char *const keys[] = {"bootstrap_servers",
					   "group_id",
					   "auto_offset_reset",
					   "startup_timeout",
					   "properties",
					   NULL};
	yaml_node_t *props;
	int rc = map_check_keys(w, map, "kafka", keys);

	if (!rc)
		rc = get_string(w, map, "kafka", "bootstrap_servers", true,
				"a list of brokers such as host1:9092,host2:9092",
				&config->kafka.bootstrap_servers);
	if (!rc)
		rc = get_string(w, map, "kafka", "group_id", true,
				"a consumer group name",
				&config->kafka.group_id);
	if (!rc)
		rc = get_string(w, map, "kafka", "auto_offset_reset", true,
				"earliest, latest or error",
				&config->kafka.auto_offset_reset);
	if (!rc && strcmp(config->kafka.auto_offset_reset, "earliest") != 0 &&
	    strcmp(config->kafka.auto_offset_reset, "latest") != 0 &&
	    strcmp(config->kafka.auto_offset_reset, "error") != 0)
		rc = walk_error(w, map_get(w, map, "auto_offset_reset"),
				"kafka.auto_offset_reset",
				"expected earliest, latest or error, got \"%s\"",
				config->kafka.auto_offset_reset);
	if (!rc)
		rc = get_value(w, map, "kafka", "startup_timeout",
			       "a duration such as 10s",
			       parse_positive_duration_cb,
			       &config->kafka.startup_timeout_ms);
	if (!rc && (props = get_mapping(w, map, "kafka", "properties", &rc)))
		rc = walk_properties(w, props, "kafka.properties",
				     owned_properties, &config->kafka.properties,
				     &config->kafka.nproperties);
	return rc;
}

static const char *const compression_names[] = {
	[CK_COMPRESSION_NONE] = "none",
	[CK_COMPRESSION_GZIP] = "gzip",
	[CK_COMPRESSION_ZSTD] = "zstd",
	[CK_COMPRESSION_LZ4] = "lz4",
};

bool ck_config_parse_compression(const char *text, enum ck_compression *out)
{
	for (size_t i = 0;
	     i < sizeof(compression_names) / sizeof(compression_names[0]); i++) {
		if (strcmp(text, compression_names[i]) == 0) {
			*out = (enum ck_compression)i;
			return true;
		}
	}
	return false;
}

const char *ck_config_compression_name(enum ck_compression compression)
{
	if ((size_t)compression >=
	    sizeof(compression_names) / sizeof(compression_names[0]))
		return "?";
	return compression_names[compression];
}

static bool parse_compression_cb(const char *text, void *out)
{
	return ck_config_parse_compression(text, out);
}

static bool parse_bool_cb(const char *text, void *out)
{
	bool *b = out;

	if (strcmp(text, "true") == 0)
		*b = true;
	else if (strcmp(text, "false") == 0)
		*b = false;
	else
		return false;
	return true;
}

/*
 * clickhouse.settings: names are checked against the server's
 * system.settings at start-up (see ck_ch_probe); here only that they are
 * identifiers, so nothing else can ride along in the URL.
 */
static int walk_clickhouse_settings(struct walk *w, yaml_node_t *map,
				    struct ck_config *config)
{
	size_t n = (size_t)(map->data.mapping.pairs.top -
			    map->data.mapping.pairs.start);

	config->clickhouse.settings =
		calloc(n ? n : 1, sizeof(struct ck_config_kv));
	if (!config->clickhouse.settings)
		return ck_err_set(w->err, CK_ERR_NOMEM, "out of memory");
	for (yaml_node_pair_t *pair = map->data.mapping.pairs.start;
	     pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = yaml_document_get_node(w->doc, pair->key);
		yaml_node_t *v = yaml_document_get_node(w->doc, pair->value);
		struct ck_config_kv *kv =
			&config->clickhouse.settings[config->clickhouse
							     .nsettings];
		char path[256];
		const char *key;
		int rc;

		if (!k || k->type != YAML_SCALAR_NODE)
			return walk_error(w, k, "clickhouse.settings",
					  "keys must be plain strings");
		key = (const char *)k->data.scalar.value;
		join_path(path, sizeof(path), "clickhouse.settings", key);
		if (!key[0] || strspn(key, "abcdefghijklmnopqrstuvwxyz"
					   "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
					   "0123456789_") != strlen(key))
			return walk_error(w, k, path,
					  "expected a setting name (letters, "
					  "digits and _)");
		for (size_t i = 0; i < config->clickhouse.nsettings; i++)
			if (strcmp(config->clickhouse.settings[i].key, key) == 0)
				return walk_error(w, k, path,
						  "key appears twice");
		if (!v || v->type != YAML_SCALAR_NODE)
			return walk_error(w, v ? v : k, path,
					  "expected a scalar value");
		kv->key = strdup(key);
		if (!kv->key)
			return ck_err_set(w->err, CK_ERR_NOMEM,
					  "out of memory");
		config->clickhouse.nsettings++;
		rc = expand_env(w, v, path, (const char *)v->data.scalar.value,
				&kv->value);
		if (rc)
			return rc;
	}
	return CK_OK;
}

static int check_readable(struct walk *w, yaml_node_t *map, const char *key,
			  const char *file)
{
	char path[256];
	FILE *f;

	if (!file)
		return CK_OK;
	join_path(path, sizeof(path), "clickhouse.tls", key);
	f = fopen(file, "rb");
	if (!f)
		return walk_error(w, map_get(w, map, key), path,
				  "cannot read \"%s\": %s", file,
				  strerror(errno));
	fclose(f);
	return CK_OK;
}

static int walk_clickhouse_tls(struct walk *w, yaml_node_t *map,
			       struct ck_config *config)
{
	static const char *const keys[] = {"ca_file", "verify", "client_cert",
					   "client_key", NULL};
	const char *path = "clickhouse.tls";
	int rc = map_check_keys(w, map, path, keys);

	if (!rc)
		rc = get_string(w, map, path, "ca_file", false,
				"a PEM file of CA certificates",
				&config->clickhouse.tls.ca_file);
	if (!rc)
		rc = get_value(w, map, path, "verify", "true or false",
			       parse_bool_cb, &config->clickhouse.tls.verify);
	if (!rc)
		rc = get_string(w, map, path, "client_cert", false,
				"a PEM certificate file",
				&config->clickhouse.tls.client_cert);
	if (!rc)
		rc = get_string(w, map, path, "client_key", false,
				"a PEM private key file",
				&config->clickhouse.tls.client_key);
	if (!rc && config->clickhouse.tls.client_key &&
	    !config->clickhouse.tls.client_cert)
		rc = walk_error(w, map_get(w, map, "client_key"),
				"clickhouse.tls.client_key",
				"needs clickhouse.tls.client_cert");
	if (!rc)
		rc = check_readable(w, map, "ca_file",
				    config->clickhouse.tls.ca_file);
	if (!rc)
		rc = check_readable(w, map, "client_cert",
				    config->clickhouse.tls.client_cert);
	if (!rc)
		rc = check_readable(w, map, "client_key",
				    config->clickhouse.tls.client_key);
	return rc;
}

static int walk_clickhouse(struct walk *w, yaml_node_t *map,
			   struct ck_config *config)
{
	static const char *const keys[] = {
		"url",	   "database",	       "user",
		"password", "timeout",	       "connect_timeout",
		"insert_workers", "settings", "tls",
		"compression", NULL};
	yaml_node_t *sub;
	int rc = map_check_keys(w, map, "clickhouse", keys);

	if (!rc)
		rc = get_string(w, map, "clickhouse", "url", true,
				"an http:// or https:// URL",
				&config->clickhouse.url);
	if (!rc && strncmp(config->clickhouse.url, "http://", 7) != 0 &&
	    strncmp(config->clickhouse.url, "https://", 8) != 0)
		rc = walk_error(w, map_get(w, map, "url"), "clickhouse.url",
				"expected an http:// or https:// URL, got \"%s\"",
				config->clickhouse.url);
	if (!rc)
		rc = get_string(w, map, "clickhouse", "database", false,
				"a database name", &config->clickhouse.database);
	if (!rc)
		rc = get_string(w, map, "clickhouse", "user", false,
				"a user name", &config->clickhouse.user);
	if (!rc)
		rc = get_string(w, map, "clickhouse", "password", false,
				"a password", &config->clickhouse.password);
	if (!rc)
		rc = get_value(w, map, "clickhouse", "timeout",
			       "a duration such as 60s",
			       parse_positive_duration_cb,
			       &config->clickhouse.request_timeout_ms);
	if (!rc)
		rc = get_value(w, map, "clickhouse", "connect_timeout",
			       "a duration such as 5s",
			       parse_positive_duration_cb,
			       &config->clickhouse.connect_timeout_ms);
	if (!rc)
		rc = get_value(w, map, "clickhouse", "insert_workers",
			       "a number of threads between 1 and 64",
			       parse_workers_cb,
			       &config->clickhouse.insert_workers);
	if (!rc)
		rc = get_value(w, map, "clickhouse", "compression",
			       "none, gzip, zstd or lz4", parse_compression_cb,
			       &config->clickhouse.compression);
	if (!rc && (sub = get_mapping(w, map, "clickhouse", "settings", &rc)))
		rc = walk_clickhouse_settings(w, sub, config);
	if (!rc && (sub = get_mapping(w, map, "clickhouse", "tls", &rc)))
		rc = walk_clickhouse_tls(w, sub, config);
	return rc;
}

static bool parse_epoch_unit_cb(const char *text, void *out)
{
	static const struct {
		const char *name;
		enum ck_epoch_unit unit;
	} units[] = {
		{"auto", CK_EPOCH_AUTO}, {"days", CK_EPOCH_DAYS},
		{"s", CK_EPOCH_SECONDS}, {"ms", CK_EPOCH_MILLIS},
		{"us", CK_EPOCH_MICROS}, {"ns", CK_EPOCH_NANOS},
	};

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(text, units[i].name) == 0) {
			*(enum ck_epoch_unit *)out = units[i].unit;
			return true;
		}
	}
	return false;
}

static bool parse_meta_cb(const char *text, void *out)
{
	static const struct {
		const char *name;
		enum ck_meta_field field;
	} fields[] = {
		{"topic", CK_META_TOPIC},	  {"partition", CK_META_PARTITION},
		{"offset", CK_META_OFFSET},	  {"timestamp", CK_META_TIMESTAMP},
		{"key", CK_META_KEY},		  {"op", CK_META_OP},
		{"deleted", CK_META_DELETED},	  {"source_ts", CK_META_SOURCE_TS},
		{"event_ts", CK_META_EVENT_TS},	  {"version", CK_META_VERSION},
		{"ingest_time", CK_META_INGEST_TIME},
	};

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (strcmp(text, fields[i].name) == 0) {
			*(enum ck_meta_field *)out = fields[i].field;
			return true;
		}
	}
	return false;
}

static bool parse_encoding_cb(const char *text, void *out)
{
	if (strcmp(text, "base64") != 0 && strcmp(text, "raw") != 0)
		return false;
	*(bool *)out = strcmp(text, "base64") == 0;
	return true;
}

/*
 * topics[i].columns: {column: {epoch_unit: ms, encoding: base64,
 * meta: offset}, ...}
 */
static int walk_columns(struct walk *w, yaml_node_t *map, const char *path,
			struct ck_config_route *route)
{
	static const char *const keys[] = {"epoch_unit", "encoding", "meta",
					   NULL};
	size_t n = (size_t)(map->data.mapping.pairs.top -
			    map->data.mapping.pairs.start);

	route->columns = calloc(n ? n : 1, sizeof(*route->columns));
	if (!route->columns)
		return ck_err_set(w->err, CK_ERR_NOMEM, "out of memory");
	for (yaml_node_pair_t *pair = map->data.mapping.pairs.start;
	     pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = yaml_document_get_node(w->doc, pair->key);
		yaml_node_t *v = yaml_document_get_node(w->doc, pair->value);
		struct ck_column_opts *col = &route->columns[route->ncolumns];
		char *name;
		char sub[300];
		int rc;

		if (!k || k->type != YAML_SCALAR_NODE)
			return walk_error(w, k, path,
					  "column names must be plain strings");
		join_path(sub, sizeof(sub), path,
			  (const char *)k->data.scalar.value);
		if (!v || v->type != YAML_MAPPING_NODE)
			return walk_error(w, v ? v : k, sub,
					  "expected a mapping such as "
					  "{epoch_unit: ms}");
		name = strdup((const char *)k->data.scalar.value);
		if (!name)
			return ck_err_set(w->err, CK_ERR_NOMEM, "out of memory");
		col->name = name;
		col->unit = CK_EPOCH_AUTO;
		route->ncolumns++;
		rc = map_check_keys(w, v, sub, keys);
		if (!rc)
			rc = get_value(w, v, sub, "epoch_unit",
				       "auto, days, s, ms, us or ns",
				       parse_epoch_unit_cb, &col->unit);
		if (!rc)
			rc = get_value(w, v, sub, "encoding", "base64 or raw",
				       parse_encoding_cb, &col->bytes_base64);
		if (!rc)
			rc = get_value(w, v, sub, "meta",
				       "topic, partition, offset, timestamp, "
				       "key, op, deleted, source_ts, event_ts, "
				       "version or ingest_time",
				       parse_meta_cb, &col->meta);
		if (rc)
			return rc;
	}
	return CK_OK;
}

static bool parse_mode_cb(const char *text, void *out)
{
	static const char *const names[] = {"append", "upsert", NULL};
	int i = name_index(text, names);

	if (i >= 0)
		*(enum ck_route_mode *)out = (enum ck_route_mode)i;
	return i >= 0;
}

static bool parse_truncate_cb(const char *text, void *out)
{
	static const char *const names[] = {"ignore", "truncate", NULL};
	int i = name_index(text, names);

	if (i >= 0)
		*(enum ck_truncate_action *)out = (enum ck_truncate_action)i;
	return i >= 0;
}

/* Kafka's limit on topic names. */
#define TOPIC_NAME_MAX 249

/* Kafka's rule for topic names: [A-Za-z0-9._-]{1,249}, not "." or "..". */
static bool topic_name_ok(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > TOPIC_NAME_MAX || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0)
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == len;
}

/*
 * Replaces each {topic} in tmpl with source into *out (malloc'd).
 * CK_ERR_PARSE if tmpl holds any other brace, CK_ERR_NOMEM.
 */
static int dlq_topic_expand(const char *tmpl, const char *source, char **out)
{
	static const char placeholder[] = "{topic}";
	struct ck_buf buf;
	const char *p = tmpl;
	int rc = CK_OK;

	ck_buf_init(&buf, CONFIG_MAX_BYTES);
	while (*p && !rc) {
		if (strncmp(p, placeholder, sizeof(placeholder) - 1) == 0) {
			rc = ck_buf_append(&buf, source, strlen(source), NULL);
			p += sizeof(placeholder) - 1;
		} else if (*p == '{' || *p == '}') {
			rc = CK_ERR_PARSE;
		} else {
			rc = ck_buf_put_u8(&buf, (uint8_t)*p++, NULL);
		}
	}
	if (!rc)
		rc = ck_buf_put_u8(&buf, '\0', NULL);
	if (rc) {
		ck_buf_free(&buf);
		return rc == CK_ERR_PARSE ? rc : CK_ERR_NOMEM;
	}
	*out = (char *)buf.data;
	return CK_OK;
}

#define DLQ_TOPIC_EXPECTED                                                   \
	"a topic name such as \"{topic}.dlq\" ({topic} is the source "       \
	"topic; letters, digits, '.', '_' and '-')"

/* A DLQ topic template is valid if it names a legal topic for topic "t". */
static int check_dlq_template(struct walk *w, yaml_node_t *node,
			      const char *path, const char *tmpl,
			      const char *alternative)
{
	char *probe = NULL;
	int rc = dlq_topic_expand(tmpl, "t", &probe);

	if (rc == CK_ERR_NOMEM)
		return ck_err_set(w->err, CK_ERR_NOMEM, "out of memory");
	if (rc || !topic_name_ok(probe))
		rc = walk_error(w, node, path, "expected %s%s, got \"%s\"",
				DLQ_TOPIC_EXPECTED, alternative, tmpl);
	free(probe);
	return rc;
}

static bool parse_ratio_cb(const char *text, void *out)
{
	char *end;
	double v;

	/* Digits and a point only: no sign, exponent, hex, inf or nan. */
	if (!text[0] || strspn(text, "0123456789.") != strlen(text))
		return false;
	errno = 0;
	v = strtod(text, &end);
	if (*end || errno || !(v > 0 && v <= 1))
		return false;
	*(double *)out = v;
	return true;
}

static bool parse_run_cb(const char *text, void *out)
{
	uint64_t v;
	if (!ck_config_parse_size(text, &v) || strpbrk(text, "BKMGi ") ||
	    v > 100000000)
		return false;
	*(uint64_t *)out = v;
	return true;
}

/* dlq: {topic, properties, max_bad_ratio, window, max_bad_run} */
static int walk_dlq(struct walk *w, yaml_node_t *map, struct ck_config *config)
{
	static const char *const keys[] = {"topic",	    "properties",
					   "max_bad_ratio", "window",
					   "max_bad_run",   NULL};
	yaml_node_t *props;
	int rc = map_check_keys(w, map, "dlq", keys);

	if (!rc)
		rc = get_string(w, map, "dlq", "topic", false,
				DLQ_TOPIC_EXPECTED, &config->dlq.topic);
	if (!rc && config->dlq.topic) {
		w->dlq_topic = map_get(w, map, "topic");
		rc = check_dlq_template(w, w->dlq_topic, "dlq.topic",
					config->dlq.topic, "");
	}
	if (!rc && (props = get_mapping(w, map, "dlq", "properties", &rc)))
		rc = walk_properties(w, props, "dlq.properties",
				     owned_dlq_properties,
				     &config->dlq.properties,
				     &config->dlq.nproperties);
	if (!rc)
		rc = get_value(w, map, "dlq", "max_bad_ratio",
			       "a fraction greater than 0 and at most 1, such "
			       "as 0.5",
			       parse_ratio_cb, &config->dlq.max_bad_ratio);
	if (!rc)
		rc = get_value(w, map, "dlq", "window",
			       "a record count between 1 and 100000000",
			       parse_rows_cb, &config->dlq.window);
	if (!rc)
		rc = get_value(w, map, "dlq", "max_bad_run",
			       "a record count between 0 (off) and 100000000",
			       parse_run_cb, &config->dlq.max_bad_run);
	return rc;
}

/*
 * topics[i].dlq_topic: a template like dlq.topic, or a plain false for
 * no DLQ on this route; absent inherits dlq.topic. The result, {topic}
 * replaced, goes to route->dlq_topic.
 */
static int walk_route_dlq(struct walk *w, yaml_node_t *map, const char *path,
			  struct ck_config_route *route,
			  const struct ck_config *config)
{
	yaml_node_t *node = map_get(w, map, "dlq_topic");
	const char *tmpl = config->dlq.topic;
	yaml_node_t *at = w->dlq_topic;
	char *own = NULL;
	char sub[256];
	const char *where = "dlq.topic";
	int rc;

	join_path(sub, sizeof(sub), path, "dlq_topic");
	if (node && node->type == YAML_SCALAR_NODE &&
	    node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    strcmp((const char *)node->data.scalar.value, "false") == 0)
		return CK_OK;
	rc = get_string(w, map, path, "dlq_topic", false,
			DLQ_TOPIC_EXPECTED ", or false for no DLQ", &own);
	if (!rc && own) {
		rc = check_dlq_template(w, node, sub, own,
					", or false for no DLQ");
		tmpl = own;
		at = node;
		where = sub;
	}
	if (!rc && tmpl) {
		rc = dlq_topic_expand(tmpl, route->topic, &route->dlq_topic);
		if (rc)
			rc = ck_err_set(w->err, CK_ERR_NOMEM, "out of memory");
		else if (!topic_name_ok(route->dlq_topic))
			rc = walk_error(w, at, where,
					"the DLQ topic of topic \"%s\" would "
					"be longer than %d characters",
					route->topic, TOPIC_NAME_MAX);
	}
	free(own);
	return rc;
}

static int walk_route(struct walk *w, yaml_node_t *map, const char *path,
		      struct ck_config_route *route,
		      const struct ck_config *config)
{
	static const char *const keys[] = {
		"topic", "table",   "format",  "mode",	    "truncate",
		"evolve", "batch", "columns", "dlq_topic", NULL};
	char *format = NULL;
	char sub[256];
	yaml_node_t *batch, *columns, *mode;
	int rc = map_check_keys(w, map, path, keys);

	route->batch = config->batch;
	route->format = CK_FORMAT_JSON;
	route->truncate = CK_TRUNCATE_IGNORE;
	if (!rc)
		rc = get_string(w, map, path, "topic", true, "a topic name",
				&route->topic);
	/* librdkafka reads "^..." as a pattern; chute routes by exact name. */
	if (!rc && route->topic[0] == '^') {
		join_path(sub, sizeof(sub), path, "topic");
		rc = walk_error(w, map_get(w, map, "topic"), sub,
				"\"%s\" is a pattern: chute routes each topic to "
				"its table by exact name, so list the topics "
				"one by one",
				route->topic);
	}
	if (!rc)
		rc = get_string(w, map, path, "table", true,
				"a table name in clickhouse.database",
				&route->table);
	if (!rc)
		rc = get_string(w, map, path, "format", false,
				"json or debezium", &format);
	if (!rc && format && strcmp(format, "debezium") == 0) {
		route->format = CK_FORMAT_DEBEZIUM;
	} else if (!rc && format && strcmp(format, "json") != 0) {
		join_path(sub, sizeof(sub), path, "format");
		rc = walk_error(w, map_get(w, map, "format"), sub,
				"expected json or debezium, got \"%s\"",
				format);
	}
	/* Change events default to upsert; plain rows can only append. */
	route->mode = route->format == CK_FORMAT_DEBEZIUM ? CK_MODE_UPSERT
							  : CK_MODE_APPEND;
	if (!rc)
		rc = get_value(w, map, path, "mode", "append or upsert",
			       parse_mode_cb, &route->mode);
	mode = map_get(w, map, "mode");
	if (!rc && route->mode == CK_MODE_UPSERT &&
	    route->format != CK_FORMAT_DEBEZIUM) {
		join_path(sub, sizeof(sub), path, "mode");
		rc = walk_error(w, mode, sub,
				"upsert needs format: debezium (plain JSON rows "
				"carry no delete flag or change order)");
	}
	if (!rc)
		rc = get_value(w, map, path, "truncate", "ignore or truncate",
			       parse_truncate_cb, &route->truncate);
	if (!rc)
		rc = get_value(w, map, path, "evolve", "true or false",
			       parse_bool_cb, &route->evolve);
	join_path(sub, sizeof(sub), path, "batch");
	if (!rc && (batch = get_mapping(w, map, path, "batch", &rc)))
		rc = walk_batch(w, batch, sub, &route->batch);
	join_path(sub, sizeof(sub), path, "columns");
	if (!rc && (columns = get_mapping(w, map, path, "columns", &rc)))
		rc = walk_columns(w, columns, sub, route);
	if (!rc)
		rc = walk_route_dlq(w, map, path, route, config);
	free(format);
	return rc;
}

static int walk_routes(struct walk *w, yaml_node_t *root,
		       struct ck_config *config)
{
	yaml_node_t *list = map_get(w, root, "topics");
	size_t n;
	int rc;

	if (!list)
		return walk_error(w, NULL, "topics",
				  "required key is missing (expected a list of "
				  "{topic, table} entries)");
	if (list->type != YAML_SEQUENCE_NODE)
		return walk_error(w, list, "topics",
				  "expected a list of {topic, table} entries");
	n = (size_t)(list->data.sequence.items.top -
		     list->data.sequence.items.start);
	if (n == 0)
		return walk_error(w, list, "topics",
				  "expected at least one {topic, table} entry");
	config->routes = calloc(n, sizeof(*config->routes));
	if (!config->routes)
		return ck_err_set(w->err, CK_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *item = yaml_document_get_node(
			w->doc, list->data.sequence.items.start[i]);
		char path[64];

		snprintf(path, sizeof(path), "topics[%zu]", i);
		if (!item || item->type != YAML_MAPPING_NODE)
			return walk_error(w, item, path,
					  "expected a mapping with topic and "
					  "table");
		config->nroutes++;
		rc = walk_route(w, item, path, &config->routes[i], config);
		if (rc)
			return rc;
		for (size_t j = 0; j < i; j++) {
			if (strcmp(config->routes[j].topic,
				   config->routes[i].topic) == 0)
				return walk_error(
					w, item, path,
					"topic \"%s\" is already routed by "
					"topics[%zu]",
					config->routes[i].topic, j);
		}
	}
	/* A DLQ that is also a source would feed bad records back in. */
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; config->routes[i].dlq_topic && j < n; j++) {
			char path[64];

			if (strcmp(config->routes[i].dlq_topic,
				   config->routes[j].topic) != 0)
				continue;
			snprintf(path, sizeof(path), "topics[%zu]", i);
			return walk_error(
				w,
				yaml_document_get_node(
					w->doc,
					list->data.sequence.items.start[i]),
				path,
				"its DLQ topic \"%s\" is routed by "
				"topics[%zu]: chute would read its own dead "
				"letters",
				config->routes[i].dlq_topic, j);
		}
	}
	return CK_OK;
}

/*
 * A batch must fit in the budget. Unset, the budget is the default or
 * twice the largest batch, whichever is more.
 */
static int check_memory_budget(struct walk *w, yaml_node_t *root,
			       struct ck_config *config)
{
	uint64_t largest = 0;
	size_t at = 0;

	for (size_t i = 0; i < config->nroutes; i++) {
		if (config->routes[i].batch.max_bytes > largest) {
			largest = config->routes[i].batch.max_bytes;
			at = i;
		}
	}
	if (!map_get(w, root, "memory_budget")) {
		config->memory_budget = largest * 2 > MEMORY_BUDGET_DEFAULT
						? largest * 2
						: MEMORY_BUDGET_DEFAULT;
		return CK_OK;
	}
	if (config->memory_budget >= largest)
		return CK_OK;
	return walk_error(w, map_get(w, root, "memory_budget"),
			  "memory_budget",
			  "must be at least the largest batch.max_bytes "
			  "(%" PRIu64 " bytes, topics[%zu]): such a batch "
			  "could never fill",
			  largest, at);
}

static int walk_root(struct walk *w, yaml_node_t *root,
		     struct ck_config *config)
{
	static const char *const keys[] = {
		"kafka",     "clickhouse",	 "batch",	   "retry",
		"topics",    "shutdown_timeout", "stats_interval", "log_level",
		"delivery",  "dlq",	     "memory_budget",  NULL};
	yaml_node_t *node;
	int rc;

	if (!root || root->type != YAML_MAPPING_NODE)
		return walk_error(w, root, "(top level)",
				  "expected a mapping with kafka, clickhouse "
				  "and topics");
	rc = map_check_keys(w, root, "", keys);
	if (rc)
		return rc;

	node = map_get(w, root, "kafka");
	if (!node || node->type != YAML_MAPPING_NODE)
		return walk_error(w, node, "kafka",
				  node ? "expected a mapping of keys"
				       : "required section is missing");
	rc = walk_kafka(w, node, config);
	if (rc)
		return rc;
	node = map_get(w, root, "clickhouse");
	if (!node || node->type != YAML_MAPPING_NODE)
		return walk_error(w, node, "clickhouse",
				  node ? "expected a mapping of keys"
				       : "required section is missing");
	rc = walk_clickhouse(w, node, config);
	if (!rc && (node = get_mapping(w, root, "", "batch", &rc)))
		rc = walk_batch(w, node, "batch", &config->batch);
	if (!rc && (node = get_mapping(w, root, "", "retry", &rc))) {
		static const char *const retry_keys[] = {
			"initial_backoff", "max_backoff", NULL};
		rc = map_check_keys(w, node, "retry", retry_keys);
		if (!rc)
			rc = get_value(w, node, "retry", "initial_backoff",
				       "a duration such as 100ms",
				       parse_positive_duration_cb,
				       &config->retry.initial_backoff_ms);
		if (!rc)
			rc = get_value(w, node, "retry", "max_backoff",
				       "a duration such as 30s",
				       parse_positive_duration_cb,
				       &config->retry.max_backoff_ms);
		if (!rc &&
		    config->retry.max_backoff_ms <
			    config->retry.initial_backoff_ms)
			rc = walk_error(w, map_get(w, node, "max_backoff"),
					"retry.max_backoff",
					"must not be less than "
					"retry.initial_backoff");
	}
	if (!rc)
		rc = get_value(w, root, "", "shutdown_timeout",
			       "a duration such as 30s", parse_duration_cb,
			       &config->shutdown_timeout_ms);
	if (!rc)
		rc = get_value(w, root, "", "stats_interval",
			       "a duration such as 30s (0s disables)",
			       parse_duration_cb, &config->stats_interval_ms);
	if (!rc)
		rc = get_value(w, root, "", "log_level",
			       "debug, info, warn or error", parse_log_level_cb,
			       &config->log_level);
	if (!rc)
		rc = get_value(w, root, "", "delivery",
			       "at-least-once or exactly-once",
			       parse_delivery_cb, &config->delivery);
	if (!rc && (node = get_mapping(w, root, "", "dlq", &rc)))
		rc = walk_dlq(w, node, config);
	if (!rc)
		rc = get_value(w, root, "", "memory_budget",
			       "a size such as 64MiB", parse_positive_size_cb,
			       &config->memory_budget);
	/* Routes last: they inherit the top-level batch policy and DLQ. */
	if (!rc)
		rc = walk_routes(w, root, config);
	if (!rc)
		rc = check_memory_budget(w, root, config);
	return rc;
}

static void config_set_defaults(struct ck_config *config)
{
	config->kafka.startup_timeout_ms = 10000;
	config->clickhouse.connect_timeout_ms = 5000;
	config->clickhouse.request_timeout_ms = 60000;
	config->clickhouse.insert_workers = 2;
	config->clickhouse.tls.verify = true;
	config->clickhouse.compression = CK_COMPRESSION_NONE;
	config->batch.max_rows = 100000;
	config->batch.max_bytes = 16u << 20;
	config->batch.max_wait_ms = 1000;
	config->batch.scope = CK_BATCH_SCOPE_TABLE;
	config->retry.initial_backoff_ms = 100;
	config->retry.max_backoff_ms = 30000;
	config->shutdown_timeout_ms = 30000;
	config->stats_interval_ms = 30000;
	config->log_level = CK_LOG_INFO;
	config->dlq.max_bad_ratio = 0.5;
	config->dlq.window = 1000;
	config->dlq.max_bad_run = 1000;
}

static int config_finish(struct ck_config *config, struct ck_err *err)
{
	if (!config->clickhouse.database)
		config->clickhouse.database = strdup("default");
	if (!config->clickhouse.user)
		config->clickhouse.user = strdup("default");
	if (!config->clickhouse.password)
		config->clickhouse.password = strdup("");
	if (!config->clickhouse.database || !config->clickhouse.user ||
	    !config->clickhouse.password)
		return ck_err_set(err, CK_ERR_NOMEM, "out of memory");
	return CK_OK;
}

int ck_config_load_string(const char *text, size_t len, const char *name,
			  struct ck_config **out, struct ck_err *err)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	struct ck_config *config = NULL;
	struct walk w = {&doc, name, err, NULL};
	bool have_doc = false;
	int rc;

	if (!yaml_parser_initialize(&parser))
		return ck_err_set(err, CK_ERR_NOMEM, "out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		rc = ck_err_set(err, CK_ERR_CONFIG, "%s:%zu:%zu: invalid YAML: %s",
				name, parser.problem_mark.line + 1,
				parser.problem_mark.column + 1,
				parser.problem ? parser.problem : "parse error");
		goto out;
	}
	have_doc = true;
	config = calloc(1, sizeof(*config));
	if (!config || !(config->path = strdup(name))) {
		rc = ck_err_set(err, CK_ERR_NOMEM, "out of memory");
		goto out;
	}
	config_set_defaults(config);
	rc = walk_root(&w, yaml_document_get_root_node(&doc), config);
	if (!rc)
		rc = config_finish(config, err);
out:
	if (have_doc)
		yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (rc) {
		ck_config_destroy(config);
		return rc;
	}
	*out = config;
	return CK_OK;
}

int ck_config_load_file(const char *path, struct ck_config **out,
			struct ck_err *err)
{
	struct ck_buf buf;
	char chunk[8192];
	FILE *f = fopen(path, "rb");
	size_t n;
	int rc = CK_OK;

	if (!f)
		return ck_err_set(err, CK_ERR_IO, "cannot open config file %s: %s",
				  path, strerror(errno));
	ck_buf_init(&buf, CONFIG_MAX_BYTES);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		rc = ck_buf_append(&buf, chunk, n, err);
		if (rc) {
			rc = ck_err_set(err, CK_ERR_CONFIG,
					"%s: config file larger than %u bytes",
					path, CONFIG_MAX_BYTES);
			goto out;
		}
	}
	if (ferror(f)) {
		rc = ck_err_set(err, CK_ERR_IO, "cannot read config file %s: %s",
				path, strerror(errno));
		goto out;
	}
	rc = ck_config_load_string(buf.len ? (const char *)buf.data : "",
				   buf.len, path, out, err);
out:
	fclose(f);
	ck_buf_free(&buf);
	return rc;
}

void ck_config_destroy(struct ck_config *config)
{
	if (!config)
		return;
	free(config->path);
	free(config->kafka.bootstrap_servers);
	free(config->kafka.group_id);
	free(config->kafka.auto_offset_reset);
	for (size_t i = 0; i < config->kafka.nproperties; i++) {
		free(config->kafka.properties[i].key);
		free(config->kafka.properties[i].value);
	}
	free(config->kafka.properties);
	free(config->clickhouse.url);
	free(config->clickhouse.database);
	free(config->clickhouse.user);
	free(config->clickhouse.password);
	for (size_t i = 0; i < config->clickhouse.nsettings; i++) {
		free(config->clickhouse.settings[i].key);
		free(config->clickhouse.settings[i].value);
	}
	free(config->clickhouse.settings);
	free(config->clickhouse.tls.ca_file);
	free(config->clickhouse.tls.client_cert);
	free(config->clickhouse.tls.client_key);
	for (size_t i = 0; i < config->nroutes; i++) {
		free(config->routes[i].topic);
		free(config->routes[i].table);
		for (size_t c = 0; c < config->routes[i].ncolumns; c++)
			free((void *)(uintptr_t)config->routes[i].columns[c].name);
		free(config->routes[i].columns);
		free(config->routes[i].dlq_topic);
	}
	free(config->routes);
	free(config->dlq.topic);
	for (size_t i = 0; i < config->dlq.nproperties; i++) {
		free(config->dlq.properties[i].key);
		free(config->dlq.properties[i].value);
	}
	free(config->dlq.properties);
	free(config);
}
