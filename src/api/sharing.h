/*
 * sharing.h - forwarding beyond the scope (DESIGN.md §3.4) and escalation
 * (§3.5): share requests, their approvals and denials, direct grants and
 * revocations by the provider, and the sharing state of an object. Every
 * operation is decided by policy/ and audited in its own transaction.
 *
 * Callers (the management API, the CLI) name things by handle; errors come
 * with a one-line reason for the person asking, which never reveals an
 * object the person may not see (ERR_NOTFOUND says "no such object").
 */
#ifndef RENKEI_SHARING_H
#define RENKEI_SHARING_H

#include <jansson.h>

#include "agreements.h"
#include "auth.h"

#define SHARING_MSG_MAX 256

/* An object in a collection of an API root, as a request names it. */
struct object_ref {
	const char *root;	/* API root name */
	const char *collection; /* UUID or alias */
	const char *stix_id;
};

/* A target: an organisation handle, or a user name (then its person only). */
struct target_ref {
	const char *org;
	const char *user;
};

/*
 * Files a request by who to let target see the object. The result is a JSON
 * object (caller decrefs): {"id", "status": "already-visible" | "granted" |
 * "pending" | ..., "needs": [...organisations whose approval is awaited]}.
 * ERR_NOTFOUND: no such object for who, or no such target; ERR_FORBIDDEN:
 * the rules refuse (msg says why); ERR_INVALID: a malformed request.
 */
err_t sharing_request(struct app *app, struct store_conn *c, const struct principal *who,
		      const struct object_ref *obj, const struct target_ref *target,
		      const char *reason, json_t **result, char msg[SHARING_MSG_MAX]);

/* Approves (approve true) or denies request uuid as who, an approver of an
 * organisation whose answer the request awaits. Returns the request's new
 * state as JSON. ERR_NOTFOUND for a request who may not see. */
err_t sharing_answer(struct app *app, struct store_conn *c, const struct principal *who,
		     const char *uuid, bool approve, const char *reason, json_t **result,
		     char msg[SHARING_MSG_MAX]);

/* A request as JSON, for who (its requester's or a required approver's
 * organisation, or an auditor); ERR_NOTFOUND otherwise. */
err_t sharing_get(struct app *app, struct store_conn *c, const struct principal *who,
		  const char *uuid, json_t **result);

/* The requests who filed (mine) or that await an answer of who's
 * organisation (awaiting), as a JSON array. */
err_t sharing_list(struct app *app, struct store_conn *c, const struct principal *who,
		   bool awaiting, json_t **result);

/* The provider widens the scope of its own object: a grant to a member
 * organisation or person (§3.4), at once. */
err_t sharing_grant(struct app *app, struct store_conn *c, const struct principal *who,
		    const struct object_ref *obj, const struct target_ref *target,
		    const char *reason, json_t **result, char msg[SHARING_MSG_MAX]);

/* The provider narrows: removes a grant. Future reads stop; past ones stay. */
err_t sharing_revoke(struct app *app, struct store_conn *c, const struct principal *who,
		     const struct object_ref *obj, const struct target_ref *target,
		     const char *reason, char msg[SHARING_MSG_MAX]);

/* The sharing state of an object for who, who must see it: provider,
 * category, TLP of the latest version, scope (names), grants. */
err_t sharing_object_state(struct app *app, struct store_conn *c, const struct principal *who,
			   const struct object_ref *obj, json_t **result,
			   char msg[SHARING_MSG_MAX]);

#endif
