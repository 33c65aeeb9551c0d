/*
 * buf.c — growth and the out-of-line parts of ck_buf and ck_cur.
 */
#include "common/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void ck_buf_init(struct ck_buf *buf, size_t max)
{
	buf->data = NULL;
	buf->len = 0;
	buf->cap = 0;
	buf->max = max;
}

void ck_buf_free(struct ck_buf *buf)
{
	free(buf->data);
	buf->data = NULL;
	buf->len = 0;
	buf->cap = 0;
}

int ck_buf_grow(struct ck_buf *buf, size_t n, struct ck_err *err)
{
	size_t need, cap;
	uint8_t *data;

	if (n > buf->max || buf->len > buf->max - n)
		return ck_err_set(err, CK_ERR_LIMIT,
				  "buffer limit of %zu bytes reached", buf->max);
	need = buf->len + n;
	if (need <= buf->cap)
		return CK_OK;
	cap = buf->cap ? buf->cap : 256;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	if (cap > buf->max)
		cap = buf->max;
	data = realloc(buf->data, cap);
	if (!data)
		return ck_err_set(err, CK_ERR_NOMEM,
				  "out of memory growing a buffer to %zu bytes",
				  cap);
	buf->data = data;
	buf->cap = cap;
	return CK_OK;
}

int ck_buf_put_varint(struct ck_buf *buf, uint64_t v, struct ck_err *err)
{
	int rc = ck_buf_reserve(buf, 10, err);
	if (rc)
		return rc;
	while (v >= 0x80) {
		buf->data[buf->len++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	buf->data[buf->len++] = (uint8_t)v;
	return CK_OK;
}

int ck_buf_printf(struct ck_buf *buf, struct ck_err *err, const char *fmt, ...)
{
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return ck_err_set(err, CK_ERR_IO, "formatting failed");
	rc = ck_buf_reserve(buf, (size_t)n + 1, err);
	if (rc)
		return rc;
	va_start(ap, fmt);
	vsnprintf((char *)buf->data + buf->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	buf->len += (size_t)n;
	return CK_OK;
}

int ck_cur_take(struct ck_cur *cur, size_t n, struct ck_slice *out,
		struct ck_err *err)
{
	if (ck_cur_left(cur) < n)
		return ck_err_set(err, CK_ERR_PARSE,
				  "truncated input: need %zu bytes, %zu left", n,
				  ck_cur_left(cur));
	out->p = cur->p;
	out->len = n;
	cur->p += n;
	return CK_OK;
}

int ck_cur_varint(struct ck_cur *cur, uint64_t *out, struct ck_err *err)
{
	uint64_t v = 0;

	for (unsigned shift = 0; shift < 70; shift += 7) {
		uint8_t b;
		if (cur->p >= cur->end)
			return ck_err_set(err, CK_ERR_PARSE, "truncated varint");
		b = *cur->p++;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*out = v;
			return CK_OK;
		}
	}
	return ck_err_set(err, CK_ERR_PARSE, "varint longer than 10 bytes");
}

int ck_cur_le(struct ck_cur *cur, size_t size, uint64_t *out,
	      struct ck_err *err)
{
	struct ck_slice s = {NULL, 0};
	uint64_t v = 0;
	int rc = ck_cur_take(cur, size, &s, err);

	if (rc)
		return rc;
	for (size_t i = 0; i < size; i++)
		v |= (uint64_t)s.p[i] << (8 * i);
	*out = v;
	return CK_OK;
}
