/*
 * mgmt.h - the management API: JSON over HTTP under /api/v1/ (docs/api.md):
 * agreements and their status, objections, share requests and answers,
 * direct grants and revocations, an object's sharing state, and the audit
 * log for auditors. Same authentication as TAXII; answers are
 * application/json; errors are the error resource of api.h.
 */
#ifndef RENKEI_MGMT_H
#define RENKEI_MGMT_H

#include "api.h"
#include "auth.h"

/*
 * Handles an authenticated request whose path begins with /api/; seg are
 * its path segments (seg[0] "api", seg[1] "v1", ...). Always leaves a
 * complete response in resp.
 */
void mgmt_handle(struct app *app, struct store_conn *c, const struct principal *who,
		 const struct api_req *req, struct api_resp *resp, const char *const *seg,
		 size_t n_seg);

#endif
