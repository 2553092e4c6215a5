/*
 * buf.h - one growable byte buffer with a hard cap, for all string building
 * (in the spirit of curl's dynbuf and git's strbuf).
 *
 * The contents are always NUL-terminated once anything was added, so
 * buf_cstr() can be handed to C string functions. Depends only on libc.
 */
#ifndef RENKEI_BUF_H
#define RENKEI_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "err.h"

struct buf {
	char *data; /* NULL until the first append */
	size_t len; /* bytes used, not counting the NUL */
	size_t cap; /* bytes allocated */
	size_t max; /* hard cap on len; appends beyond it fail with ERR_TOOBIG */
};

/* Prepares b to grow up to max bytes. Allocates nothing. */
void buf_init(struct buf *b, size_t max);

/* Frees the contents and leaves b empty and reusable. NULL-safe. */
void buf_release(struct buf *b);

/* Empties b, keeping its allocation. */
void buf_reset(struct buf *b);

/*
 * Appends len bytes. Returns ERR_TOOBIG when the cap would be passed, ERR_NOMEM
 * when allocation fails; b is unchanged on failure.
 */
err_t buf_add(struct buf *b, const void *p, size_t len);

/* Appends a NUL-terminated string. */
err_t buf_adds(struct buf *b, const char *s);

/* Appends one byte. */
err_t buf_addc(struct buf *b, char c);

/* Appends printf-formatted text. b is unchanged on failure. */
err_t buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Appends the whole file at path ("-": standard input). ERR_IO when it
 * cannot be opened or read (errno tells why), ERR_TOOBIG past the cap.
 */
err_t buf_read_file(struct buf *b, const char *path);

/* The contents as a C string: "" when empty; owned by b. */
const char *buf_cstr(const struct buf *b);

/*
 * Hands the contents to the caller (free() them) and leaves b empty.
 * Returns NULL when b is empty and never allocated.
 */
char *buf_detach(struct buf *b, size_t *len);

#endif
