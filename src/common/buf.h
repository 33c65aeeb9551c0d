/*
 * buf.h — the bounded growable byte buffer and the bounds-checked reader.
 *
 * struct ck_buf is created with a hard maximum size: appends that would grow
 * it past max fail with CK_ERR_LIMIT instead of allocating, so untrusted
 * input can never grow memory without bound. Buffers are reused: reset()
 * keeps the allocation, so a batch buffer that reached its working size
 * never allocates again. Appends are inline because they are on the per-value
 * hot path; only growth goes out of line.
 *
 * Multi-byte integers are written little-endian, which is what ClickHouse's
 * RowBinary and Native formats use.
 *
 * struct ck_cur reads a byte range without ever stepping past its end.
 *
 * Neither type is thread-safe; each is owned by one thread at a time.
 */
#ifndef CK_BUF_H
#define CK_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/err.h"

struct ck_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
	size_t max;
};

/* A borrowed byte range. */
struct ck_slice {
	const uint8_t *p;
	size_t len;
};

/* Initialises an empty buffer that may grow up to max bytes. */
void ck_buf_init(struct ck_buf *buf, size_t max);

/* Frees the storage; the buffer is empty and reusable afterwards. */
void ck_buf_free(struct ck_buf *buf);

/* Forgets the contents, keeps the allocation. */
static inline void ck_buf_reset(struct ck_buf *buf) { buf->len = 0; }

/*
 * Makes room for n more bytes. CK_ERR_LIMIT if len + n would exceed max,
 * CK_ERR_NOMEM if allocation fails. err may be NULL.
 */
int ck_buf_grow(struct ck_buf *buf, size_t n, struct ck_err *err);

static inline int ck_buf_reserve(struct ck_buf *buf, size_t n,
				 struct ck_err *err)
{
	if (buf->cap - buf->len >= n)
		return CK_OK;
	return ck_buf_grow(buf, n, err);
}

static inline int ck_buf_append(struct ck_buf *buf, const void *p, size_t n,
				struct ck_err *err)
{
	int rc = ck_buf_reserve(buf, n, err);
	if (rc)
		return rc;
	if (n)
		memcpy(buf->data + buf->len, p, n);
	buf->len += n;
	return CK_OK;
}

static inline int ck_buf_put_u8(struct ck_buf *buf, uint8_t v,
				struct ck_err *err)
{
	int rc = ck_buf_reserve(buf, 1, err);
	if (rc)
		return rc;
	buf->data[buf->len++] = v;
	return CK_OK;
}

/* Appends the low `size` bytes of v, little-endian (size 1, 2, 4 or 8). */
static inline int ck_buf_put_le(struct ck_buf *buf, uint64_t v, size_t size,
				struct ck_err *err)
{
	int rc = ck_buf_reserve(buf, size, err);
	if (rc)
		return rc;
	for (size_t i = 0; i < size; i++)
		buf->data[buf->len + i] = (uint8_t)(v >> (8 * i));
	buf->len += size;
	return CK_OK;
}

/* Appends v as an unsigned LEB128 varint (ClickHouse's length prefix). */
int ck_buf_put_varint(struct ck_buf *buf, uint64_t v, struct ck_err *err);

/* Appends the NUL-free printf output (not on hot paths). */
int ck_buf_printf(struct ck_buf *buf, struct ck_err *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Bounds-checked reader over a borrowed byte range. */
struct ck_cur {
	const uint8_t *p;
	const uint8_t *end;
};

static inline void ck_cur_init(struct ck_cur *cur, const void *p, size_t len)
{
	cur->p = p;
	cur->end = cur->p + len;
}

static inline size_t ck_cur_left(const struct ck_cur *cur)
{
	return (size_t)(cur->end - cur->p);
}

/* Takes n bytes into *out (borrowed). CK_ERR_PARSE if fewer are left. */
int ck_cur_take(struct ck_cur *cur, size_t n, struct ck_slice *out,
		struct ck_err *err);

/* Reads an unsigned LEB128 varint of at most 10 bytes. */
int ck_cur_varint(struct ck_cur *cur, uint64_t *out, struct ck_err *err);

/* Reads a little-endian unsigned integer of `size` bytes (1, 2, 4 or 8). */
int ck_cur_le(struct ck_cur *cur, size_t size, uint64_t *out,
	      struct ck_err *err);

#endif
