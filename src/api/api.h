/*
 * api.h - the HTTP-independent request and response that the handlers of
 * api/ work on. http/ translates libmicrohttpd's calls into a struct
 * api_req and a struct api_resp back into a response; nothing in api/
 * includes <microhttpd.h>.
 */
#ifndef RENKEI_API_H
#define RENKEI_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "../common/buf.h"
#include "../common/timeutil.h"
#include "app.h"

/* One URL query parameter, decoded, in the order received. */
struct api_param {
	const char *key;
	const char *value;
};

#define API_MAX_PARAMS 64

struct api_req {
	const char *method;
	const char *path;	   /* decoded, without the query string */
	const char *accept;	   /* NULL when absent */
	const char *content_type;  /* NULL when absent */
	const char *authorization; /* NULL when absent */
	const char *remote;	   /* peer address, for logs and throttling */
	struct api_param params[API_MAX_PARAMS];
	size_t n_params;
	bool too_many_params;
	const char *body;
	size_t body_len;
	bool body_too_big; /* the body passed max_content_length */
};

struct api_resp {
	int status;
	const char *content_type; /* static string */
	struct buf body;
	bool www_authenticate; /* add the 401 challenge */
	const char *allow;     /* the Allow header of a 405, or NULL */
	bool has_date_headers; /* X-TAXII-Date-Added-First / -Last */
	char date_first[TS_BUFSZ];
	char date_last[TS_BUFSZ];
	unsigned delay_ms; /* hold the answer this long (failed logins) */
	const char *route; /* for metrics: a fixed route name */
	char user[128];	   /* for the access log: "-" when anonymous */
	char org[128];
};

/* Prepares resp for a request: status 500, empty capped body. */
void api_resp_init(struct api_resp *resp, size_t max_body);
void api_resp_release(struct api_resp *resp);

/* Answers with an error resource {title, description, http_status}: the
 * TAXII 2.1 error resource (§3.6.1), also used by the management API.
 * description is for the client: never internals, never anything about
 * what the requester may not see. */
void api_reply_error(struct api_resp *resp, int status, const char *description);

/* Answers for an err_t that is not the client's fault, or maps it. */
void api_reply_err(struct api_resp *resp, err_t rc);

/* Sends v (stolen) as the JSON body with status. */
void api_reply_json(struct api_resp *resp, int status, json_t *v);

/* Handles one request; always leaves a complete response in resp. */
void api_handle(struct app *app, const struct api_req *req, struct api_resp *resp);

#endif
