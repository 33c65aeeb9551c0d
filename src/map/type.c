/*
 * type.c — parsing and formatting ClickHouse type strings. See type.h.
 *
 * A recursive-descent parser over the generic type grammar:
 *
 *   type   := name [ '(' item { ',' item } ')' ]
 *   name   := [A-Za-z_][A-Za-z0-9_]*
 *
 * A name found in kind_table is parsed by its parameter shape. Any other
 * name is skipped over together with its balanced parameter list (quotes
 * respected), the first such span is remembered, and parsing goes on: only
 * when the whole string turned out well-formed is that span reported as
 * unsupported, so malformed input is always CK_ERR_PARSE whatever it names.
 * A skipped type leaves a NULL child in its parent; the tree is destroyed
 * before returning, so no caller ever sees one.
 *
 * Recursion follows the nesting of known types only and is bounded by
 * CK_TYPE_MAX_DEPTH; skipping is iterative.
 */
#include "map/type.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/ascii.h"

enum type_shape {
	SHAPE_NONE,     /* no parameter list */
	SHAPE_SIZE,     /* (N), a positive integer */
	SHAPE_OPT_TZ,   /* optional ('time zone') */
	SHAPE_ONE_TYPE, /* (T) */
	SHAPE_DECIMAL,  /* (P, S) */
	SHAPE_DECIMAL_S, /* (S), P implied by the name (Decimal32 ...) */
	SHAPE_DT64,     /* (P[, 'tz']) */
	SHAPE_ENUM,     /* ('name' [= value], ...) */
	SHAPE_TUPLE,    /* ([name] T, ...) */
	SHAPE_TWO_TYPES, /* (K, V) */
	SHAPE_AGG,      /* (function, T) */
	SHAPE_RAW,      /* [(anything)], kept as text */
};

struct kind_info {
	const char *name;
	enum type_shape shape;
};

/* Indexed by enum ck_type_kind; every kind has a row. */
static const struct kind_info kind_table[] = {
	[CK_TYPE_INT8] = { "Int8", SHAPE_NONE },
	[CK_TYPE_INT16] = { "Int16", SHAPE_NONE },
	[CK_TYPE_INT32] = { "Int32", SHAPE_NONE },
	[CK_TYPE_INT64] = { "Int64", SHAPE_NONE },
	[CK_TYPE_UINT8] = { "UInt8", SHAPE_NONE },
	[CK_TYPE_UINT16] = { "UInt16", SHAPE_NONE },
	[CK_TYPE_UINT32] = { "UInt32", SHAPE_NONE },
	[CK_TYPE_UINT64] = { "UInt64", SHAPE_NONE },
	[CK_TYPE_FLOAT32] = { "Float32", SHAPE_NONE },
	[CK_TYPE_FLOAT64] = { "Float64", SHAPE_NONE },
	[CK_TYPE_BOOL] = { "Bool", SHAPE_NONE },
	[CK_TYPE_STRING] = { "String", SHAPE_NONE },
	[CK_TYPE_FIXED_STRING] = { "FixedString", SHAPE_SIZE },
	[CK_TYPE_DATE] = { "Date", SHAPE_NONE },
	[CK_TYPE_DATETIME] = { "DateTime", SHAPE_OPT_TZ },
	[CK_TYPE_NULLABLE] = { "Nullable", SHAPE_ONE_TYPE },
	[CK_TYPE_ARRAY] = { "Array", SHAPE_ONE_TYPE },
	[CK_TYPE_INT128] = { "Int128", SHAPE_NONE },
	[CK_TYPE_INT256] = { "Int256", SHAPE_NONE },
	[CK_TYPE_UINT128] = { "UInt128", SHAPE_NONE },
	[CK_TYPE_UINT256] = { "UInt256", SHAPE_NONE },
	[CK_TYPE_DATE32] = { "Date32", SHAPE_NONE },
	[CK_TYPE_DATETIME64] = { "DateTime64", SHAPE_DT64 },
	[CK_TYPE_DECIMAL] = { "Decimal", SHAPE_DECIMAL },
	[CK_TYPE_UUID] = { "UUID", SHAPE_NONE },
	[CK_TYPE_IPV4] = { "IPv4", SHAPE_NONE },
	[CK_TYPE_IPV6] = { "IPv6", SHAPE_NONE },
	[CK_TYPE_ENUM8] = { "Enum8", SHAPE_ENUM },
	[CK_TYPE_ENUM16] = { "Enum16", SHAPE_ENUM },
	[CK_TYPE_LOW_CARDINALITY] = { "LowCardinality", SHAPE_ONE_TYPE },
	[CK_TYPE_TUPLE] = { "Tuple", SHAPE_TUPLE },
	[CK_TYPE_MAP] = { "Map", SHAPE_TWO_TYPES },
	[CK_TYPE_SIMPLE_AGG] = { "SimpleAggregateFunction", SHAPE_AGG },
	[CK_TYPE_JSON] = { "JSON", SHAPE_RAW },
};

/* Other names of kinds: the fixed-width Decimals and the old JSON type. */
static const struct {
	const char *name;
	enum ck_type_kind kind;
	uint32_t precision;
} alias_table[] = {
	{ "Decimal32", CK_TYPE_DECIMAL, 9 },
	{ "Decimal64", CK_TYPE_DECIMAL, 18 },
	{ "Decimal128", CK_TYPE_DECIMAL, 38 },
	{ "Decimal256", CK_TYPE_DECIMAL, 76 },
	{ "Object", CK_TYPE_JSON, 0 },
};

#define KIND_COUNT (sizeof(kind_table) / sizeof(kind_table[0]))

/* How much of the type text an error message quotes. */
#define QUOTE_MAX 100

struct type_parser {
	const char *text;   /* the whole string, for messages */
	const char *p;
	const char *end;
	const char *unsup;  /* first unsupported type seen, or NULL */
	size_t unsup_len;
	int depth;
	struct ck_err *err;
};

const char *ck_type_kind_name(enum ck_type_kind kind)
{
	if ((size_t)kind < KIND_COUNT)
		return kind_table[kind].name;
	return "?";
}

static int quote_len(size_t len)
{
	return (int)(len > QUOTE_MAX ? QUOTE_MAX : len);
}

static int parse_fail(struct type_parser *tp, const char *what)
{
	size_t len = (size_t)(tp->end - tp->text);

	return ck_err_set(tp->err, CK_ERR_PARSE,
			  "malformed type '%.*s%s': %s at offset %zu",
			  quote_len(len), tp->text, len > QUOTE_MAX ? "..." : "",
			  what, (size_t)(tp->p - tp->text));
}

static void skip_ws(struct type_parser *tp)
{
	while (tp->p < tp->end && (*tp->p == ' ' || *tp->p == '\t' ||
				   *tp->p == '\n' || *tp->p == '\r'))
		tp->p++;
}

static bool at(struct type_parser *tp, char c)
{
	return tp->p < tp->end && *tp->p == c;
}

/* Skips whitespace, then requires c. */
static int expect(struct type_parser *tp, char c, const char *what)
{
	skip_ws(tp);
	if (!at(tp, c))
		return parse_fail(tp, what);
	tp->p++;
	return CK_OK;
}

static bool is_ident_start(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool is_ident(char c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9');
}

/* Skips a quoted token starting at the opening quote q. */
static int skip_quoted(struct type_parser *tp)
{
	char q = *tp->p++;

	while (tp->p < tp->end) {
		char c = *tp->p++;
		if (c == '\\') {
			if (tp->p == tp->end)
				break;
			tp->p++;
		} else if (c == q) {
			if (!at(tp, q))
				return CK_OK;
			tp->p++; /* doubled quote */
		}
	}
	return parse_fail(tp, "unterminated quoted string");
}

/*
 * Skips a balanced parameter list starting at '(' without interpreting it.
 * Only the bracket structure and quoting are checked.
 */
static int skip_params(struct type_parser *tp)
{
	size_t open = 0;
	int rc;

	do {
		if (tp->p == tp->end)
			return parse_fail(tp, "expected ')'");
		switch (*tp->p) {
		case '(':
			open++;
			tp->p++;
			break;
		case ')':
			open--;
			tp->p++;
			break;
		case '\'':
		case '"':
		case '`':
			rc = skip_quoted(tp);
			if (rc)
				return rc;
			break;
		default:
			tp->p++;
			break;
		}
	} while (open);
	return CK_OK;
}

/*
 * Parses a single-quoted string literal with ClickHouse's escapes
 * (\\ \' \n \t \r \b \f \a \v \0 \xHH, any other \c is c, '' is ')
 * into a new NUL-terminated string.
 */
static int parse_string(struct type_parser *tp, char **out)
{
	const char *start;
	char *s = NULL, *w;
	int rc = CK_OK;

	skip_ws(tp);
	if (!at(tp, '\''))
		return parse_fail(tp, "expected a quoted string");
	start = tp->p;
	rc = skip_quoted(tp);
	if (rc)
		goto out;
	/* The decoded text is never longer than the quoted one. */
	s = malloc((size_t)(tp->p - start));
	if (!s) {
		rc = ck_err_set(tp->err, CK_ERR_NOMEM, "out of memory");
		goto out;
	}
	w = s;
	for (const char *r = start + 1; r < tp->p - 1; r++) {
		char c = *r;
		if (c == '\'') {
			r++; /* first of a doubled quote */
		} else if (c == '\\') {
			c = *++r;
			switch (c) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'a': c = '\a'; break;
			case 'v': c = '\v'; break;
			case '0': c = '\0'; break;
			case 'x':
				if (r + 2 < tp->p - 1 && ck_hex_value(r[1]) >= 0 &&
				    ck_hex_value(r[2]) >= 0) {
					c = (char)(ck_hex_value(r[1]) * 16 +
						   ck_hex_value(r[2]));
					r += 2;
				}
				break;
			default: break;
			}
		}
		if (c == '\0') {
			tp->p = r;
			rc = parse_fail(tp, "NUL byte in a string");
			goto out;
		}
		*w++ = c;
	}
	*w = '\0';
	*out = s;
	s = NULL;
out:
	free(s);
	return rc;
}

/* Parses a decimal integer parameter of min..max, optionally negative. */
static int parse_int(struct type_parser *tp, int64_t min, int64_t max,
		     const char *what, int64_t *out)
{
	int64_t v = 0;
	const char *start;
	bool neg = false;

	skip_ws(tp);
	start = tp->p;
	if (min < 0 && at(tp, '-')) {
		neg = true;
		tp->p++;
	}
	while (tp->p < tp->end && *tp->p >= '0' && *tp->p <= '9') {
		v = v * 10 + (*tp->p - '0');
		tp->p++;
		if (v > max - min)
			break;
	}
	if (tp->p == start + neg)
		return parse_fail(tp, "expected a number");
	if (neg)
		v = -v;
	if (v < min || v > max) {
		tp->p = start;
		return parse_fail(tp, what);
	}
	*out = v;
	return CK_OK;
}

/* Parses a decimal integer parameter of 1..max. */
static int parse_size(struct type_parser *tp, uint32_t max, uint32_t *out)
{
	int64_t v;
	int rc = parse_int(tp, 1, max, "size out of range", &v);

	if (!rc)
		*out = (uint32_t)v;
	return rc;
}

/*
 * The kind named [name, name+len); *alias is the alias_table row, or -1
 * for a kind's own name.
 */
static int lookup_kind(const char *name, size_t len, enum ck_type_kind *kind,
		       int *alias)
{
	for (size_t i = 0; i < KIND_COUNT; i++) {
		if (strlen(kind_table[i].name) == len &&
		    memcmp(kind_table[i].name, name, len) == 0) {
			*kind = (enum ck_type_kind)i;
			*alias = -1;
			return 1;
		}
	}
	for (size_t i = 0; i < sizeof(alias_table) / sizeof(alias_table[0]);
	     i++) {
		if (strlen(alias_table[i].name) == len &&
		    memcmp(alias_table[i].name, name, len) == 0) {
			*kind = alias_table[i].kind;
			*alias = (int)i;
			return 1;
		}
	}
	return 0;
}

static struct ck_type *type_alloc(enum ck_type_kind kind, size_t nchild)
{
	struct ck_type *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->kind = kind;
	if (nchild) {
		t->child = calloc(nchild, sizeof(*t->child));
		if (!t->child) {
			free(t);
			return NULL;
		}
		t->nchild = nchild;
	}
	return t;
}

void ck_type_destroy(struct ck_type *type)
{
	if (!type)
		return;
	for (size_t i = 0; i < type->nchild; i++) {
		ck_type_destroy(type->child[i]);
		if (type->names)
			free(type->names[i]);
	}
	for (size_t i = 0; i < type->nenum; i++)
		free(type->enums[i].name);
	free(type->enums);
	free(type->names);
	free(type->child);
	free(type->tz);
	free(type->raw);
	free(type);
}

static int parse_type(struct type_parser *tp, struct ck_type **out);

/* Checks combinations ClickHouse itself refuses to create. */
static int check_nesting(struct type_parser *tp, const struct ck_type *t,
			 const char *child_at)
{
	const struct ck_type *c = t->child[0];

	if (!c)
		return CK_OK;
	if (t->kind == CK_TYPE_NULLABLE &&
	    (c->kind == CK_TYPE_NULLABLE || c->kind == CK_TYPE_ARRAY ||
	     c->kind == CK_TYPE_LOW_CARDINALITY || c->kind == CK_TYPE_TUPLE ||
	     c->kind == CK_TYPE_MAP)) {
		tp->p = child_at;
		return parse_fail(tp, c->kind == CK_TYPE_NULLABLE ||
					      c->kind == CK_TYPE_ARRAY
					      ? "Nullable cannot contain Nullable or Array"
					      : "Nullable cannot contain a composite type");
	}
	if (t->kind == CK_TYPE_LOW_CARDINALITY &&
	    (c->kind == CK_TYPE_ARRAY || c->kind == CK_TYPE_LOW_CARDINALITY ||
	     c->kind == CK_TYPE_TUPLE || c->kind == CK_TYPE_MAP)) {
		tp->p = child_at;
		return parse_fail(tp, "LowCardinality cannot contain a "
				      "composite type");
	}
	return CK_OK;
}

/* Appends a slot to t->child (and t->names when named). */
static int add_child(struct type_parser *tp, struct ck_type *t)
{
	struct ck_type **child;
	char **names;

	if (t->nchild >= CK_TYPE_MAX_ITEMS)
		return parse_fail(tp, "too many elements");
	child = realloc(t->child, (t->nchild + 1) * sizeof(*child));
	if (!child)
		return ck_err_set(tp->err, CK_ERR_NOMEM, "out of memory");
	t->child = child;
	child[t->nchild] = NULL;
	names = realloc(t->names, (t->nchild + 1) * sizeof(*names));
	if (!names)
		return ck_err_set(tp->err, CK_ERR_NOMEM, "out of memory");
	t->names = names;
	names[t->nchild] = NULL;
	t->nchild++;
	return CK_OK;
}

/*
 * An element name of a named Tuple, if one starts here: an identifier or a
 * `quoted` name followed by a type. Leaves tp->p at the type.
 */
static int parse_element_name(struct type_parser *tp, char **name)
{
	const char *start = tp->p, *end;

	*name = NULL;
	if (at(tp, '`')) {
		int rc = skip_quoted(tp);
		char *w;
		if (rc)
			return rc;
		end = tp->p;
		*name = malloc((size_t)(end - start));
		if (!*name)
			return ck_err_set(tp->err, CK_ERR_NOMEM, "out of memory");
		w = *name;
		for (const char *r = start + 1; r < end - 1; r++) {
			if (*r == '\\' || (*r == '`' && r[1] == '`'))
				r++;
			*w++ = *r;
		}
		*w = '\0';
		return CK_OK;
	}
	while (tp->p < tp->end && is_ident(*tp->p))
		tp->p++;
	end = tp->p;
	skip_ws(tp);
	if (end == start || tp->p == end || tp->p == tp->end ||
	    !is_ident_start(*tp->p)) {
		tp->p = start; /* a bare type */
		return CK_OK;
	}
	*name = strndup(start, (size_t)(end - start));
	if (!*name)
		return ck_err_set(tp->err, CK_ERR_NOMEM, "out of memory");
	return CK_OK;
}

static int parse_tuple(struct type_parser *tp, struct ck_type *t)
{
	bool named = false;
	int rc;

	if ((rc = expect(tp, '(', "expected '('")))
		return rc;
	do {
		char *name;
		skip_ws(tp);
		if ((rc = add_child(tp, t)) ||
		    (rc = parse_element_name(tp, &name)))
			return rc;
		t->names[t->nchild - 1] = name;
		if (t->nchild == 1)
			named = name != NULL;
		else if (named != (name != NULL))
			return parse_fail(tp, "mixed named and unnamed elements");
		if ((rc = parse_type(tp, &t->child[t->nchild - 1])))
			return rc;
		skip_ws(tp);
	} while (at(tp, ',') && tp->p++);
	if (!named) {
		free(t->names);
		t->names = NULL;
	}
	return expect(tp, ')', "expected ')'");
}

static int parse_enum(struct type_parser *tp, struct ck_type *t)
{
	int64_t lim = t->kind == CK_TYPE_ENUM8 ? 128 : 32768, v = 0;
	int rc;

	if ((rc = expect(tp, '(', "expected '('")))
		return rc;
	do {
		struct ck_enum_value *e;
		char *name;
		if (t->nenum >= CK_TYPE_MAX_ITEMS)
			return parse_fail(tp, "too many elements");
		if ((rc = parse_string(tp, &name)))
			return rc;
		e = realloc(t->enums, (t->nenum + 1) * sizeof(*e));
		if (!e) {
			free(name);
			return ck_err_set(tp->err, CK_ERR_NOMEM, "out of memory");
		}
		t->enums = e;
		e[t->nenum].name = name;
		e[t->nenum].value = 0;
		t->nenum++;
		skip_ws(tp);
		if (at(tp, '=')) {
			tp->p++;
			if ((rc = parse_int(tp, -lim, lim - 1,
					    "enum value out of range", &v)))
				return rc;
		} else {
			/* ClickHouse numbers unvalued elements from 1. */
			v = t->nenum == 1 ? 1 : v + 1;
			if (v > lim - 1)
				return parse_fail(tp, "enum value out of range");
		}
		for (size_t i = 0; i + 1 < t->nenum; i++)
			if (e[i].value == v || !strcmp(e[i].name, name))
				return parse_fail(tp, "duplicate enum element");
		e[t->nenum - 1].value = (int32_t)v;
		skip_ws(tp);
	} while (at(tp, ',') && tp->p++);
	return expect(tp, ')', "expected ')'");
}

/* Skips one parameter item up to the ',' or ')' that ends it. */
static int skip_item(struct type_parser *tp)
{
	int rc;

	while (tp->p < tp->end && *tp->p != ',' && *tp->p != ')') {
		if (*tp->p == '(') {
			if ((rc = skip_params(tp)))
				return rc;
		} else if (*tp->p == '\'' || *tp->p == '"' || *tp->p == '`') {
			if ((rc = skip_quoted(tp)))
				return rc;
		} else {
			tp->p++;
		}
	}
	return CK_OK;
}

static int parse_params(struct type_parser *tp, struct ck_type *t,
			const struct kind_info *info, int alias,
			const char *name)
{
	const char *child_at, *start;
	int64_t v;
	int rc;

	skip_ws(tp);
	switch (alias >= 0 && t->kind == CK_TYPE_DECIMAL ? SHAPE_DECIMAL_S
							  : info->shape) {
	case SHAPE_NONE:
		if (at(tp, '('))
			return parse_fail(tp, "type takes no parameters");
		return CK_OK;
	case SHAPE_SIZE:
		if ((rc = expect(tp, '(', "expected '('")) ||
		    (rc = parse_size(tp, CK_TYPE_FIXED_STRING_MAX, &t->size)))
			return rc;
		return expect(tp, ')', "expected ')'");
	case SHAPE_OPT_TZ:
		if (!at(tp, '('))
			return CK_OK;
		tp->p++;
		if ((rc = parse_string(tp, &t->tz)))
			return rc;
		return expect(tp, ')', "expected ')'");
	case SHAPE_ONE_TYPE:
		if ((rc = expect(tp, '(', "expected '('")))
			return rc;
		skip_ws(tp);
		child_at = tp->p;
		if ((rc = parse_type(tp, &t->child[0])) ||
		    (rc = expect(tp, ')', "expected ')'")))
			return rc;
		return check_nesting(tp, t, child_at);
	case SHAPE_DECIMAL:
		if ((rc = expect(tp, '(', "expected '('")) ||
		    (rc = parse_int(tp, 1, CK_TYPE_DECIMAL_MAX,
				    "precision out of range", &v)))
			return rc;
		t->precision = (uint32_t)v;
		if ((rc = expect(tp, ',', "expected ','")) ||
		    (rc = parse_int(tp, 0, t->precision, "scale out of range",
				    &v)))
			return rc;
		t->scale = (uint32_t)v;
		return expect(tp, ')', "expected ')'");
	case SHAPE_DECIMAL_S:
		t->precision = alias_table[alias].precision;
		if ((rc = expect(tp, '(', "expected '('")) ||
		    (rc = parse_int(tp, 0, t->precision, "scale out of range",
				    &v)))
			return rc;
		t->scale = (uint32_t)v;
		return expect(tp, ')', "expected ')'");
	case SHAPE_DT64:
		if ((rc = expect(tp, '(', "expected '('")) ||
		    (rc = parse_int(tp, 0, CK_TYPE_DATETIME64_MAX,
				    "precision out of range", &v)))
			return rc;
		t->scale = (uint32_t)v;
		skip_ws(tp);
		if (at(tp, ',')) {
			tp->p++;
			if ((rc = parse_string(tp, &t->tz)))
				return rc;
		}
		return expect(tp, ')', "expected ')'");
	case SHAPE_ENUM:
		return parse_enum(tp, t);
	case SHAPE_TUPLE:
		return parse_tuple(tp, t);
	case SHAPE_TWO_TYPES:
		if ((rc = expect(tp, '(', "expected '('")) ||
		    (rc = parse_type(tp, &t->child[0])) ||
		    (rc = expect(tp, ',', "expected ','")) ||
		    (rc = parse_type(tp, &t->child[1])))
			return rc;
		return expect(tp, ')', "expected ')'");
	case SHAPE_AGG:
		if ((rc = expect(tp, '(', "expected '('")))
			return rc;
		skip_ws(tp);
		start = tp->p;
		if ((rc = skip_item(tp)))
			return rc;
		v = tp->p - start;
		while (v > 0 && (start[v - 1] == ' ' || start[v - 1] == '\t' ||
				 start[v - 1] == '\n' || start[v - 1] == '\r'))
			v--;
		if (!v)
			return parse_fail(tp, "expected a function");
		t->raw = strndup(start, (size_t)v);
		if (!t->raw)
			return ck_err_set(tp->err, CK_ERR_NOMEM, "out of memory");
		if ((rc = expect(tp, ',', "expected ','")) ||
		    (rc = parse_type(tp, &t->child[0])))
			return rc;
		return expect(tp, ')', "expected ')'");
	case SHAPE_RAW:
		if (at(tp, '(') && (rc = skip_params(tp)))
			return rc;
		t->raw = strndup(name, (size_t)(tp->p - name));
		if (!t->raw)
			return ck_err_set(tp->err, CK_ERR_NOMEM, "out of memory");
		return CK_OK;
	}
	return parse_fail(tp, "internal error: unknown parameter shape");
}

static int parse_type(struct type_parser *tp, struct ck_type **out)
{
	const struct kind_info *info;
	enum ck_type_kind kind;
	struct ck_type *t = NULL;
	const char *name;
	size_t len;
	int alias, rc = CK_OK;

	*out = NULL;
	if (tp->depth >= CK_TYPE_MAX_DEPTH)
		return ck_err_set(tp->err, CK_ERR_LIMIT,
				  "type nested deeper than %d levels",
				  CK_TYPE_MAX_DEPTH);
	skip_ws(tp);
	name = tp->p;
	if (tp->p < tp->end && is_ident_start(*tp->p))
		while (tp->p < tp->end && is_ident(*tp->p))
			tp->p++;
	len = (size_t)(tp->p - name);
	if (!len)
		return parse_fail(tp, "expected a type name");

	if (!lookup_kind(name, len, &kind, &alias)) {
		skip_ws(tp);
		if (at(tp, '(')) {
			rc = skip_params(tp);
			if (rc)
				return rc;
			len = (size_t)(tp->p - name);
		}
		if (!tp->unsup) {
			tp->unsup = name;
			tp->unsup_len = len;
		}
		return CK_OK;
	}

	info = &kind_table[kind];
	t = type_alloc(kind, info->shape == SHAPE_ONE_TYPE ||
				     info->shape == SHAPE_AGG
			     ? 1
			     : info->shape == SHAPE_TWO_TYPES ? 2 : 0);
	if (!t)
		return ck_err_set(tp->err, CK_ERR_NOMEM, "out of memory");
	tp->depth++;
	rc = parse_params(tp, t, info, alias, name);
	tp->depth--;
	if (rc)
		goto out;
	*out = t;
	t = NULL;
out:
	ck_type_destroy(t);
	return rc;
}

int ck_type_parse(const char *text, struct ck_type **out, struct ck_err *err)
{
	struct type_parser tp = {
		.text = text,
		.p = text,
		.end = text + strlen(text),
		.err = err,
	};
	struct ck_type *t = NULL;
	int rc;

	*out = NULL;
	rc = parse_type(&tp, &t);
	if (rc)
		goto out;
	skip_ws(&tp);
	if (tp.p != tp.end) {
		rc = parse_fail(&tp, "unexpected text after the type");
		goto out;
	}
	if (tp.unsup) {
		rc = ck_err_set(err, CK_ERR_UNSUPPORTED,
				"unsupported type '%.*s%s'",
				quote_len(tp.unsup_len), tp.unsup,
				tp.unsup_len > QUOTE_MAX ? "..." : "");
		goto out;
	}
	*out = t;
	t = NULL;
out:
	ck_type_destroy(t);
	return rc;
}

/* Writes s as a single-quoted literal, escaping \ and '. */
static int format_string(const char *s, struct ck_buf *out,
			 struct ck_err *err)
{
	int rc = ck_buf_put_u8(out, '\'', err);

	for (; !rc && *s; s++) {
		if (*s == '\\' || *s == '\'')
			rc = ck_buf_put_u8(out, '\\', err);
		if (!rc)
			rc = ck_buf_put_u8(out, (uint8_t)*s, err);
	}
	if (!rc)
		rc = ck_buf_put_u8(out, '\'', err);
	return rc;
}

/* Writes a Tuple element name, `quoted` unless a plain identifier. */
static int format_name(const char *s, struct ck_buf *out, struct ck_err *err)
{
	bool plain = is_ident_start(*s);
	int rc;

	for (const char *c = s; plain && *c; c++)
		plain = is_ident(*c);
	if (plain)
		return ck_buf_append(out, s, strlen(s), err);
	rc = ck_buf_put_u8(out, '`', err);
	for (; !rc && *s; s++) {
		if (*s == '\\' || *s == '`')
			rc = ck_buf_put_u8(out, '\\', err);
		if (!rc)
			rc = ck_buf_put_u8(out, (uint8_t)*s, err);
	}
	if (!rc)
		rc = ck_buf_put_u8(out, '`', err);
	return rc;
}

static int format_children(const struct ck_type *type, struct ck_buf *out,
			   struct ck_err *err)
{
	int rc = CK_OK;

	for (size_t i = 0; !rc && i < type->nchild; i++) {
		if (i)
			rc = ck_buf_append(out, ", ", 2, err);
		if (!rc && type->names) {
			if (!(rc = format_name(type->names[i], out, err)))
				rc = ck_buf_put_u8(out, ' ', err);
		}
		if (!rc)
			rc = ck_type_format(type->child[i], out, err);
	}
	return rc;
}

int ck_type_format(const struct ck_type *type, struct ck_buf *out,
		   struct ck_err *err)
{
	const char *name = ck_type_kind_name(type->kind);
	int rc;

	if (type->kind == CK_TYPE_JSON)
		return ck_buf_append(out, type->raw, strlen(type->raw), err);
	rc = ck_buf_append(out, name, strlen(name), err);
	if (rc)
		return rc;
	switch (kind_table[type->kind].shape) {
	case SHAPE_NONE:
	case SHAPE_RAW:
		return CK_OK;
	case SHAPE_SIZE:
		return ck_buf_printf(out, err, "(%u)", (unsigned)type->size);
	case SHAPE_OPT_TZ:
		if (!type->tz)
			return CK_OK;
		if ((rc = ck_buf_put_u8(out, '(', err)) ||
		    (rc = format_string(type->tz, out, err)))
			return rc;
		return ck_buf_put_u8(out, ')', err);
	case SHAPE_DECIMAL:
	case SHAPE_DECIMAL_S:
		return ck_buf_printf(out, err, "(%u, %u)",
				     (unsigned)type->precision,
				     (unsigned)type->scale);
	case SHAPE_DT64:
		if ((rc = ck_buf_printf(out, err, "(%u", (unsigned)type->scale)))
			return rc;
		if (type->tz && ((rc = ck_buf_append(out, ", ", 2, err)) ||
				 (rc = format_string(type->tz, out, err))))
			return rc;
		return ck_buf_put_u8(out, ')', err);
	case SHAPE_ENUM:
		rc = ck_buf_put_u8(out, '(', err);
		for (size_t i = 0; !rc && i < type->nenum; i++) {
			if (i)
				rc = ck_buf_append(out, ", ", 2, err);
			if (!rc)
				rc = format_string(type->enums[i].name, out, err);
			if (!rc)
				rc = ck_buf_printf(out, err, " = %d",
						   (int)type->enums[i].value);
		}
		if (rc)
			return rc;
		return ck_buf_put_u8(out, ')', err);
	case SHAPE_AGG:
		if ((rc = ck_buf_put_u8(out, '(', err)) ||
		    (rc = ck_buf_append(out, type->raw, strlen(type->raw), err)) ||
		    (rc = ck_buf_append(out, ", ", 2, err)))
			return rc;
		/* fall through */
	case SHAPE_ONE_TYPE:
	case SHAPE_TUPLE:
	case SHAPE_TWO_TYPES:
		if (kind_table[type->kind].shape != SHAPE_AGG &&
		    (rc = ck_buf_put_u8(out, '(', err)))
			return rc;
		if ((rc = format_children(type, out, err)))
			return rc;
		return ck_buf_put_u8(out, ')', err);
	}
	return CK_OK;
}
