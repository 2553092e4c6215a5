/* buf.c - the capped growable buffer of buf.h. Depends only on libc. */
#include "buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

void buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void buf_release(struct buf *b)
{
	if (!b)
		return;
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

static err_t grow(struct buf *b, size_t extra)
{
	size_t need;

	/* need + 1 (the NUL) must not wrap either. */
	if (__builtin_add_overflow(b->len, extra, &need) || need > b->max || need == SIZE_MAX)
		return ERR_TOOBIG;
	if (need + 1 <= b->cap)
		return ERR_OK;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need + 1) {
		if (__builtin_mul_overflow(cap, 2, &cap))
			return ERR_TOOBIG;
	}
	char *p = realloc(b->data, cap);
	if (!p)
		return ERR_NOMEM;
	b->data = p;
	b->cap = cap;
	return ERR_OK;
}

err_t buf_add(struct buf *b, const void *p, size_t len)
{
	err_t rc = grow(b, len);
	if (rc)
		return rc;
	if (len)
		memcpy(b->data + b->len, p, len);
	b->len += len;
	b->data[b->len] = '\0';
	return ERR_OK;
}

err_t buf_adds(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

err_t buf_addc(struct buf *b, char c)
{
	return buf_add(b, &c, 1);
}

err_t buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	char small[256];
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return ERR_INVALID;
	if ((size_t)n < sizeof(small))
		return buf_add(b, small, (size_t)n);

	err_t rc = grow(b, (size_t)n);
	if (rc)
		return rc;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return ERR_OK;
}

err_t buf_read_file(struct buf *b, const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	char chunk[65536];
	size_t got;
	err_t rc = ERR_OK;

	if (!f)
		return ERR_IO;
	while (!rc && (got = fread(chunk, 1, sizeof(chunk), f)) > 0)
		rc = buf_add(b, chunk, got);
	if (!rc && ferror(f))
		rc = ERR_IO;
	if (f != stdin)
		fclose(f);
	return rc;
}

const char *buf_cstr(const struct buf *b)
{
	return b->data ? b->data : "";
}

char *buf_detach(struct buf *b, size_t *len)
{
	char *p = b->data;
	if (len)
		*len = b->len;
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	return p;
}
