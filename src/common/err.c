/* err.c - names and HTTP statuses of err_t. Depends on nothing. */
#include "err.h"

static const struct {
	const char *name;
	int status;
} err_table[ERR__COUNT] = {
	[ERR_OK] = {"ok", 200},
	[ERR_NOMEM] = {"out-of-memory", 500},
	[ERR_INVALID] = {"invalid", 400},
	[ERR_UNPROCESSABLE] = {"unprocessable", 422},
	[ERR_NOTFOUND] = {"not-found", 404},
	[ERR_EXISTS] = {"exists", 409},
	[ERR_UNAUTH] = {"unauthorized", 401},
	[ERR_FORBIDDEN] = {"forbidden", 403},
	[ERR_TOOBIG] = {"too-large", 413},
	[ERR_UNACCEPTABLE] = {"not-acceptable", 406},
	[ERR_MEDIATYPE] = {"unsupported-media-type", 415},
	[ERR_METHOD] = {"method-not-allowed", 405},
	[ERR_STORE] = {"storage-error", 500},
	[ERR_BUSY] = {"busy", 503},
	[ERR_IO] = {"io-error", 500},
	[ERR_CONFLICT] = {"conflict", 409},
	[ERR_INTERNAL] = {"internal-error", 500},
};

const char *err_name(err_t rc)
{
	if ((unsigned)rc >= ERR__COUNT)
		return "unknown-error";
	return err_table[rc].name;
}

int err_http_status(err_t rc)
{
	if ((unsigned)rc >= ERR__COUNT)
		return 500;
	return err_table[rc].status;
}
