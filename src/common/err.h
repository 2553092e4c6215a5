/*
 * err.h - the one error enum of renkei, its name and its HTTP status.
 *
 * Depends on nothing. Back-end detail (sqlite3_errmsg, PQerrorMessage) never
 * travels in an err_t: it goes to the log where it happens.
 */
#ifndef RENKEI_ERR_H
#define RENKEI_ERR_H

typedef enum {
	ERR_OK = 0,
	ERR_NOMEM,	   /* allocation failed */
	ERR_INVALID,	   /* malformed input (400) */
	ERR_UNPROCESSABLE, /* well-formed but refused content (422) */
	ERR_NOTFOUND,	   /* no such thing, or not visible to the requester (404) */
	ERR_EXISTS,	   /* unique name already taken (409) */
	ERR_UNAUTH,	   /* no or bad credentials (401) */
	ERR_FORBIDDEN,	   /* authenticated but not allowed (403) */
	ERR_TOOBIG,	   /* above a configured limit (413) */
	ERR_UNACCEPTABLE,  /* Accept header we cannot satisfy (406) */
	ERR_MEDIATYPE,	   /* Content-Type we do not take (415) */
	ERR_METHOD,	   /* method not allowed on this resource (405) */
	ERR_STORE,	   /* storage failed; detail is in the log (500) */
	ERR_BUSY,	   /* storage busy or locked (503) */
	ERR_IO,		   /* file or network I/O failed */
	ERR_CONFLICT,	   /* state does not allow the operation (409) */
	ERR_INTERNAL,	   /* a bug of ours; detail is in the log (500) */
	ERR__COUNT
} err_t;

/* A short stable name for rc ("not-found"), never NULL. */
const char *err_name(err_t rc);

/* The HTTP status that answers rc (200 for ERR_OK). */
int err_http_status(err_t rc);

#endif
