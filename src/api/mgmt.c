/*
 * mgmt.c - the management API (mgmt.h, docs/api.md): JSON over HTTP under
 * /api/v1/ for agreements and their Art. 4 status, objections, share
 * requests and their answers, direct grants and revocations, an object's
 * sharing state, and the audit log.
 *
 * Every decision belongs to another module (agreements.c, sharing.c, the
 * store): this file checks the request - method, query, media type, body -
 * calls the operation, and maps its outcome to a status and a JSON body.
 * What the requester may not see answers 404 exactly like what does not
 * exist (DESIGN.md §3.1).
 *
 * Depends on api/, policy/ (dates), stix/ (identifiers), store/ and
 * common/; never on <microhttpd.h>.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/log.h"
#include "../common/timeutil.h"
#include "../policy/term.h"
#include "agreements.h"
#include "mgmt.h"
#include "sharing.h"
#include "../common/banned.h"

#define MGMT_BODY_MAX	     16384		  /* a management request body, in bytes */
#define MGMT_REASON_MAX	     500		  /* a reason, in bytes (fits STORE_TITLE_MAX) */
#define MGMT_NAME_MAX	     (STORE_NAME_MAX - 1) /* a handle, alias or key */
#define MGMT_OBJECT_MAX	     300		  /* a STIX id (MAX_SEGMENT_LEN) */
#define MGMT_KIND_MAX	     64			  /* an audit kind prefix */
#define MGMT_AUDIT_LIMIT     100
#define MGMT_AUDIT_LIMIT_MAX 1000
#define MGMT_AGREEMENTS_MAX  1024
#define MGMT_NAME_CACHE	     16
#define MGMT_ECHO_MAX	     64 /* bytes of client input echoed in an error */

/* One request, as every handler of this file sees it. */
struct mgmt {
	struct app *app;
	struct store_conn *c;
	const struct principal *who;
	const struct api_req *req;
	struct api_resp *resp;
};

/* ---- small helpers ---- */

/*
 * Copies at most MGMT_ECHO_MAX bytes of client input s into out for an
 * error description, printable ASCII only (anything else becomes '?'), so
 * that a description is always valid UTF-8 and never carries control bytes.
 */
static const char *echo(const char *s, char out[MGMT_ECHO_MAX + 4])
{
	size_t i = 0;
	for (; s[i] && i < MGMT_ECHO_MAX; i++)
		out[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	if (s[i]) {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
	return out;
}

static void reply_400(struct mgmt *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void reply_400(struct mgmt *m, const char *fmt, ...)
{
	char d[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d, sizeof(d), fmt, ap);
	va_end(ap);
	api_reply_error(m->resp, 400, d);
}

/* The request's method, with HEAD taken as GET without the body (RFC 9110
 * §9.3.2; libmicrohttpd drops the body), as the TAXII endpoints do. */
static const char *method_of(const struct mgmt *m)
{
	return strcmp(m->req->method, "HEAD") ? m->req->method : "GET";
}

/* Answers 405 unless the request's method is method. */
static bool method_ok_or_reply(struct mgmt *m, const char *method)
{
	if (!strcmp(method_of(m), method))
		return true;
	m->resp->allow = method;
	api_reply_error(m->resp, 405, "this resource does not take that method");
	return false;
}

static bool has_role(const struct mgmt *m, unsigned roles)
{
	return (m->who->user.roles & roles) != 0;
}

/*
 * Answers 400 unless every query parameter is one of known (a NULL-ended
 * list, or NULL for none) and none is repeated.
 */
static bool params_ok_or_reply(struct mgmt *m, const char *const *known)
{
	const struct api_req *r = m->req;
	char e[MGMT_ECHO_MAX + 4];

	if (r->too_many_params) {
		reply_400(m, "too many query parameters (at most %d)", API_MAX_PARAMS);
		return false;
	}
	for (size_t i = 0; i < r->n_params; i++) {
		const char *k = r->params[i].key;
		bool ok = false;
		for (const char *const *p = known; p && *p && !ok; p++)
			ok = !strcmp(*p, k);
		if (!ok) {
			reply_400(m, "unknown query parameter '%s'", echo(k, e));
			return false;
		}
		for (size_t j = 0; j < i; j++) {
			if (!strcmp(r->params[j].key, k)) {
				reply_400(m, "query parameter '%s' is given more than once", k);
				return false;
			}
		}
	}
	return true;
}

/* The value of query parameter key, or NULL when absent. */
static const char *param(const struct mgmt *m, const char *key)
{
	for (size_t i = 0; i < m->req->n_params; i++)
		if (!strcmp(m->req->params[i].key, key))
			return m->req->params[i].value;
	return NULL;
}

/* Parses a decimal integer of 1..18 digits (no sign, no spaces). */
static bool parse_count(const char *s, int64_t *out)
{
	int64_t v = 0;
	size_t i = 0;
	for (; s[i] >= '0' && s[i] <= '9' && i < 18; i++)
		v = v * 10 + (s[i] - '0');
	if (i == 0 || s[i])
		return false;
	*out = v;
	return true;
}

/* Whether s has the shape of a UUID (8-4-4-4-12 hex digits). */
static bool uuid_shaped(const char *s)
{
	for (size_t i = 0; i < 36; i++) {
		char ch = s[i];
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		bool hex = (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
			   (ch >= 'A' && ch <= 'F');
		if (dash ? ch != '-' : !hex)
			return false;
	}
	return s[36] == '\0';
}

/* The day the rules are evaluated on: today in Japan, or ?date=YYYY-MM-DD. */
static bool day_or_reply(struct mgmt *m, day_t *day)
{
	const char *d = param(m, "date");
	*day = term_day_of(app_now(m->app));
	if (d && term_day_parse(d, day)) {
		reply_400(m, "date must be a calendar day YYYY-MM-DD");
		return false;
	}
	return true;
}

/* ---- request bodies ---- */

/*
 * Whether the Content-Type is application/json: type and subtype compare
 * case-insensitively; a charset parameter, when given, must be UTF-8 (RFC
 * 8259 §8.1); other parameters are ignored.
 */
static bool media_is_json(const char *ct)
{
	static const char want[] = "application/json";
	if (!ct)
		return false;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	if (strncasecmp(ct, want, sizeof(want) - 1))
		return false;
	const char *p = ct + sizeof(want) - 1;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p && *p != ';')
		return false;
	while (*p == ';') {
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		size_t n = strcspn(p, ";");
		if (n >= 8 && !strncasecmp(p, "charset=", 8)) {
			const char *v = p + 8;
			size_t vn = n - 8;
			while (vn && (v[vn - 1] == ' ' || v[vn - 1] == '\t'))
				vn--;
			if (vn >= 2 && v[0] == '"' && v[vn - 1] == '"') {
				v++;
				vn -= 2;
			}
			if (!(vn == 5 && !strncasecmp(v, "utf-8", 5)) &&
			    !(vn == 4 && !strncasecmp(v, "utf8", 4)))
				return false;
		}
		p += n;
	}
	return true;
}

/*
 * The request body as a JSON object whose members are all among known (a
 * NULL-ended list); NULL after answering 413, 415 or 400. The caller
 * decrefs what it gets.
 */
static json_t *body_or_reply(struct mgmt *m, const char *const *known)
{
	const struct api_req *r = m->req;
	json_error_t jerr;
	char e[MGMT_ECHO_MAX + 4];
	const char *key;
	json_t *v;

	if (r->body_too_big || r->body_len > MGMT_BODY_MAX) {
		api_reply_error(m->resp, 413, "the request body is larger than 16384 bytes");
		return NULL;
	}
	if (!media_is_json(r->content_type)) {
		api_reply_error(m->resp, 415, "the request body must be application/json");
		return NULL;
	}
	if (!r->body || r->body_len == 0) {
		reply_400(m, "the request body must be a JSON object");
		return NULL;
	}
	json_t *body = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!body) {
		reply_400(m, "the request body is not valid JSON: %s (line %d, column %d)",
			  echo(jerr.text, e), jerr.line, jerr.column);
		return NULL;
	}
	if (!json_is_object(body)) {
		json_decref(body);
		reply_400(m, "the request body must be a JSON object");
		return NULL;
	}
	json_object_foreach(body, key, v)
	{
		bool ok = false;
		for (const char *const *p = known; *p && !ok; p++)
			ok = !strcmp(*p, key);
		if (!ok) {
			reply_400(m, "unknown member '%s' in the request body", echo(key, e));
			json_decref(body);
			return NULL;
		}
	}
	return body;
}

/*
 * The string member name of body into *out (borrowed from body; NULL when
 * absent and not required). Answers 400 unless it is a string of 1..max
 * bytes without control characters (a reason may hold line breaks and tabs).
 */
static bool string_or_reply(struct mgmt *m, json_t *body, const char *name, size_t max,
			    bool required, const char **out)
{
	json_t *v = json_object_get(body, name);
	*out = NULL;
	if (!v) {
		if (!required)
			return true;
		reply_400(m, "the request body needs the member '%s'", name);
		return false;
	}
	if (!json_is_string(v)) {
		reply_400(m, "'%s' must be a string", name);
		return false;
	}
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	if (n == 0 || n > max) {
		reply_400(m, "'%s' must be 1 to %zu bytes long", name, max);
		return false;
	}
	bool text = !strcmp(name, "reason");
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if ((ch < 0x20 && !(text && (ch == '\n' || ch == '\t' || ch == '\r'))) ||
		    ch == 0x7f) {
			reply_400(m, "'%s' must not contain control characters", name);
			return false;
		}
	}
	*out = s;
	return true;
}

/* A body that names an object and a target: share requests, grants, revocations. */
struct share_body {
	struct object_ref obj;
	struct target_ref target;
	const char *reason;
};

static json_t *share_body_or_reply(struct mgmt *m, struct share_body *b)
{
	static const char *const known[] = {"api_root",	   "collection", "object", "target_org",
					    "target_user", "reason",	 NULL};
	json_t *body = body_or_reply(m, known);
	if (!body)
		return NULL;
	memset(b, 0, sizeof(*b));
	if (!string_or_reply(m, body, "api_root", MGMT_NAME_MAX, true, &b->obj.root) ||
	    !string_or_reply(m, body, "collection", MGMT_NAME_MAX, true, &b->obj.collection) ||
	    !string_or_reply(m, body, "object", MGMT_OBJECT_MAX, true, &b->obj.stix_id) ||
	    !string_or_reply(m, body, "target_org", MGMT_NAME_MAX, false, &b->target.org) ||
	    !string_or_reply(m, body, "target_user", MGMT_NAME_MAX, false, &b->target.user) ||
	    !string_or_reply(m, body, "reason", MGMT_REASON_MAX, true, &b->reason))
		goto fail;
	if (!stix_id_valid(b->obj.stix_id, NULL)) {
		reply_400(m, "'object' must be a STIX identifier (type--UUID)");
		goto fail;
	}
	if (!b->target.org == !b->target.user) {
		reply_400(m, "name exactly one target: 'target_org' or 'target_user'");
		goto fail;
	}
	return body;
fail:
	json_decref(body);
	return NULL;
}

/*
 * Answers for an error of sharing.c or agreements.c: the status of rc with
 * msg (when non-empty) as the description. The operations word msg so that
 * it never reveals what the requester may not see.
 */
static void reply_op_err(struct mgmt *m, err_t rc, const char *msg, const char *notfound)
{
	int status = 0;
	switch (rc) {
	case ERR_NOTFOUND: status = 404; break;
	case ERR_FORBIDDEN: status = 403; break;
	case ERR_INVALID: status = 400; break;
	case ERR_CONFLICT: status = 409; break;
	default: api_reply_err(m->resp, rc); return;
	}
	if (msg && msg[0])
		api_reply_error(m->resp, status, msg);
	else if (status == 404)
		api_reply_error(m->resp, 404, notfound);
	else
		api_reply_error(m->resp, status, "the request was refused");
}

/* ---- names of organisations, users and API roots ---- */

/* A few recent id -> name lookups, so that a page of the audit log does
 * not ask the store twice for the same organisation. */
struct name_cache {
	int64_t id[MGMT_NAME_CACHE];
	char name[MGMT_NAME_CACHE][STORE_NAME_MAX];
	unsigned n, next;
};

/* The name of organisation (is_org) or user id; NULL for id 0 or unknown. */
static const char *name_of(struct store_conn *c, struct name_cache *nc, bool is_org, int64_t id)
{
	struct org o;
	struct user u;
	const char *name;

	if (id == 0)
		return NULL;
	for (unsigned i = 0; i < nc->n; i++)
		if (nc->id[i] == id)
			return nc->name[i];
	if (is_org ? store_org_get(c, id, &o) : store_user_get(c, id, &u))
		return NULL;
	name = is_org ? o.name : u.name;
	unsigned slot = nc->n < MGMT_NAME_CACHE ? nc->n++ : nc->next++ % MGMT_NAME_CACHE;
	nc->id[slot] = id;
	snprintf(nc->name[slot], sizeof(nc->name[slot]), "%s", name);
	return nc->name[slot];
}

struct root_find {
	int64_t id;
	char *name;
	size_t n;
	bool found;
};

static err_t match_root(void *ctx, const struct api_root *r)
{
	struct root_find *f = ctx;
	if (r->id == f->id) {
		snprintf(f->name, f->n, "%s", r->name);
		f->found = true;
	}
	return ERR_OK;
}

/* The name of API root id into name. NEEDSWORK: the store has no
 * store_root_get by id, so this scans the (few) roots. */
static err_t root_name_of(struct store_conn *c, int64_t id, char *name, size_t n)
{
	struct root_find f = {id, name, n, false};
	err_t rc = store_root_list(c, match_root, &f);
	if (!rc && !f.found)
		rc = ERR_NOTFOUND;
	return rc;
}

/* ---- agreements ---- */

/* The requester's organisation's role in an agreement, or NULL for none. */
static const char *member_role(const struct rules *r, int64_t org)
{
	if (policy_is_party(&r->r, org))
		return "party";
	if (policy_is_community(&r->r, org))
		return "community";
	if (policy_is_escalation_body(&r->r, org))
		return "escalation";
	return NULL;
}

/* Auditors and administrators see every agreement; others, those whose
 * API root their organisation is a member or escalation body of. */
static bool agreement_visible(const struct mgmt *m, const struct rules *r)
{
	return r->present &&
	       (has_role(m, ROLE_AUDITOR | ROLE_ADMIN) || member_role(r, m->who->org.id) != NULL);
}

/*
 * The summary of one agreement: {key, api_root, generation, loaded, role,
 * status}. NULL on allocation failure.
 */
static json_t *agreement_summary(struct mgmt *m, const struct agreement_row *a,
				 const struct rules *r, day_t day)
{
	char root[STORE_NAME_MAX], loaded[TS_BUFSZ];
	if (root_name_of(m->c, a->root_id, root, sizeof(root)))
		snprintf(root, sizeof(root), "?");
	ts_format(a->loaded, loaded);
	json_t *o = json_pack("{s:s, s:s, s:I, s:s}", "key", a->key, "api_root", root, "generation",
			      (json_int_t)a->generation, "loaded", loaded);
	json_t *st = agreements_status_json(m->app, m->c, r, day);
	if (!o || !st) {
		json_decref(o);
		json_decref(st);
		return NULL;
	}
	const char *role = member_role(r, m->who->org.id);
	if (role)
		json_object_set_new(o, "role", json_string(role));
	json_object_set_new(o, "status", st);
	return o;
}

struct agreement_rows {
	struct agreement_row *v;
	size_t n, cap;
};

static err_t keep_agreement(void *ctx, const struct agreement_row *a)
{
	struct agreement_rows *rows = ctx;
	if (rows->n == rows->cap) {
		if (rows->cap >= MGMT_AGREEMENTS_MAX)
			return ERR_TOOBIG;
		size_t cap = rows->cap ? rows->cap * 2 : 8;
		void *p = reallocarray(rows->v, cap, sizeof(*rows->v));
		if (!p)
			return ERR_NOMEM;
		rows->v = p;
		rows->cap = cap;
	}
	rows->v[rows->n++] = *a;
	return ERR_OK;
}

/* GET /api/v1/agreements[?date=] */
static void h_agreement_list(struct mgmt *m)
{
	static const char *const known[] = {"date", NULL};
	struct agreement_rows rows = {0};
	struct rules *r = NULL;
	json_t *list = NULL;
	day_t day;
	err_t rc;

	if (!method_ok_or_reply(m, "GET") || !params_ok_or_reply(m, known) ||
	    !day_or_reply(m, &day))
		return;
	r = malloc(sizeof(*r));
	list = json_array();
	if (!r || !list) {
		rc = ERR_NOMEM;
		goto fail;
	}
	/* Collected first: the rules of each are read while no listing runs. */
	rc = store_agreement_list(m->c, keep_agreement, &rows);
	for (size_t i = 0; !rc && i < rows.n; i++) {
		rc = agreements_rules(m->app, m->c, rows.v[i].root_id, r);
		if (rc || !agreement_visible(m, r))
			continue;
		json_t *o = agreement_summary(m, &rows.v[i], r, day);
		if (!o || json_array_append_new(list, o))
			rc = ERR_NOMEM;
	}
	if (rc)
		goto fail;
	api_reply_json(m->resp, 200, json_pack("{s:O}", "agreements", list));
	goto out;
fail:
	api_reply_err(m->resp, rc);
out:
	json_decref(list);
	free(rows.v);
	free(r);
}

/*
 * Finds agreement key for the requester: its row, its rules into r and
 * (definition non-NULL) its definition text, which the caller frees.
 * Answers 404 for an agreement that does not exist or that the requester
 * may not see, and the store's errors.
 */
static bool agreement_or_reply(struct mgmt *m, const char *key, struct agreement_row *a,
			       struct rules *r, char **definition)
{
	err_t rc = ERR_NOTFOUND;
	if (definition)
		*definition = NULL;
	if (strlen(key) <= MGMT_NAME_MAX)
		rc = store_agreement_get(m->c, key, 0, a, definition);
	if (!rc)
		rc = agreements_rules(m->app, m->c, a->root_id, r);
	if (!rc && (!agreement_visible(m, r) || r->agreement_id != a->id))
		rc = ERR_NOTFOUND;
	if (!rc)
		return true;
	if (definition) {
		free(*definition);
		*definition = NULL;
	}
	if (rc == ERR_NOTFOUND)
		api_reply_error(m->resp, 404, "no such agreement");
	else
		api_reply_err(m->resp, rc);
	return false;
}

/* GET /api/v1/agreements/{key}[?date=] */
static void h_agreement_get(struct mgmt *m, const char *key)
{
	static const char *const known[] = {"date", NULL};
	struct agreement_row a;
	struct rules *r = NULL;
	char *definition = NULL;
	json_t *o = NULL, *def = NULL;
	day_t day;

	if (!method_ok_or_reply(m, "GET") || !params_ok_or_reply(m, known) ||
	    !day_or_reply(m, &day))
		return;
	r = malloc(sizeof(*r));
	if (!r) {
		api_reply_err(m->resp, ERR_NOMEM);
		return;
	}
	if (!agreement_or_reply(m, key, &a, r, &definition))
		goto out;
	def = definition ? json_loads(definition, 0, NULL) : NULL;
	if (!def) {
		log_error("agreement %s: the stored definition is not JSON", a.key);
		api_reply_err(m->resp, ERR_STORE);
		goto out;
	}
	o = agreement_summary(m, &a, r, day);
	if (!o || json_object_set(o, "definition", def)) {
		api_reply_err(m->resp, ERR_NOMEM);
		goto out;
	}
	api_reply_json(m->resp, 200, o);
	o = NULL;
out:
	json_decref(o);
	json_decref(def);
	free(definition);
	free(r);
}

/* GET /api/v1/agreements/{key}/status[?date=]: read-only, so a date other
 * than today serves planning (what the status will be on that day). */
static void h_agreement_status(struct mgmt *m, const char *key)
{
	static const char *const known[] = {"date", NULL};
	struct agreement_row a;
	struct rules *r = NULL;
	day_t day;

	if (!method_ok_or_reply(m, "GET") || !params_ok_or_reply(m, known) ||
	    !day_or_reply(m, &day))
		return;
	r = malloc(sizeof(*r));
	if (!r) {
		api_reply_err(m->resp, ERR_NOMEM);
		return;
	}
	if (agreement_or_reply(m, key, &a, r, NULL)) {
		json_t *st = agreements_status_json(m->app, m->c, r, day);
		if (st)
			api_reply_json(m->resp, 200, st);
		else
			api_reply_err(m->resp, ERR_NOMEM);
	}
	free(r);
}

/* POST /api/v1/agreements/{key}/objections {"reason"}: Art. 4, by an
 * administrator of a party (agreements_object decides party-ness). */
static void h_objection(struct mgmt *m, const char *key)
{
	static const char *const known[] = {"reason", NULL};
	struct agreement_row a;
	struct rules *r = NULL;
	json_t *body = NULL, *st = NULL;
	const char *reason = NULL;
	char msg[SHARING_MSG_MAX] = "";
	err_t rc;

	if (!method_ok_or_reply(m, "POST") || !params_ok_or_reply(m, NULL))
		return;
	r = malloc(sizeof(*r));
	if (!r) {
		api_reply_err(m->resp, ERR_NOMEM);
		return;
	}
	if (!agreement_or_reply(m, key, &a, r, NULL))
		goto out;
	if (!has_role(m, ROLE_ADMIN)) {
		api_reply_error(m->resp, 403,
				"objecting to an agreement's renewal needs the admin role");
		goto out;
	}
	body = body_or_reply(m, known);
	if (!body || !string_or_reply(m, body, "reason", MGMT_REASON_MAX, true, &reason))
		goto out;
	rc = agreements_object(m->app, m->c, r, m->who->user.id, m->who->org.id, reason, msg,
			       sizeof(msg));
	if (rc) {
		reply_op_err(m, rc, msg, "no such agreement");
		goto out;
	}
	/* The objection bumped the generation: these are the new rules. */
	rc = agreements_rules(m->app, m->c, a.root_id, r);
	st = rc ? NULL : agreements_status_json(m->app, m->c, r, term_day_of(app_now(m->app)));
	if (!st) {
		api_reply_err(m->resp, rc ? rc : ERR_NOMEM);
		goto out;
	}
	api_reply_json(m->resp, 201, json_pack("{s:s, s:o}", "message", msg, "status", st));
out:
	json_decref(body);
	free(r);
}

/* ---- share requests, grants, sharing state ---- */

/* POST /api/v1/share-requests */
static void h_share_request(struct mgmt *m)
{
	struct share_body b;
	char msg[SHARING_MSG_MAX] = "";
	json_t *result = NULL;

	if (!params_ok_or_reply(m, NULL))
		return;
	json_t *body = share_body_or_reply(m, &b);
	if (!body)
		return;
	err_t rc = sharing_request(m->app, m->c, m->who, &b.obj, &b.target, b.reason, &result, msg);
	if (rc) {
		reply_op_err(m, rc, msg, "no such object");
	} else {
		const char *status = json_string_value(json_object_get(result, "status"));
		bool nothing = status && !strcmp(status, "already-visible");
		api_reply_json(m->resp, nothing ? 200 : 201, result);
	}
	json_decref(body);
}

/* GET /api/v1/share-requests[?view=mine|awaiting] */
static void h_share_list(struct mgmt *m)
{
	static const char *const known[] = {"view", NULL};
	json_t *list = NULL;

	if (!params_ok_or_reply(m, known))
		return;
	const char *view = param(m, "view");
	bool awaiting = view && !strcmp(view, "awaiting");
	if (view && !awaiting && strcmp(view, "mine")) {
		reply_400(m, "view must be 'mine' or 'awaiting'");
		return;
	}
	err_t rc = sharing_list(m->app, m->c, m->who, awaiting, &list);
	if (rc)
		api_reply_err(m->resp, rc);
	else
		api_reply_json(m->resp, 200, json_pack("{s:o}", "share_requests", list));
}

/* GET /api/v1/share-requests/{id} */
static void h_share_get(struct mgmt *m, const char *id)
{
	json_t *result = NULL;
	err_t rc = ERR_NOTFOUND;

	if (!method_ok_or_reply(m, "GET") || !params_ok_or_reply(m, NULL))
		return;
	if (uuid_shaped(id))
		rc = sharing_get(m->app, m->c, m->who, id, &result);
	if (rc)
		reply_op_err(m, rc, NULL, "no such share request");
	else
		api_reply_json(m->resp, 200, result);
}

/* POST /api/v1/share-requests/{id}/approve|deny {"reason"} */
static void h_share_answer(struct mgmt *m, const char *id, bool approve)
{
	static const char *const known[] = {"reason", NULL};
	char msg[SHARING_MSG_MAX] = "";
	const char *reason = NULL;
	json_t *result = NULL;

	if (!method_ok_or_reply(m, "POST") || !params_ok_or_reply(m, NULL))
		return;
	/* A malformed id names no request: 404 before the body is looked at. */
	if (!uuid_shaped(id)) {
		api_reply_error(m->resp, 404, "no such share request");
		return;
	}
	json_t *body = body_or_reply(m, known);
	/* A denial says why; an approval may. */
	if (!body || !string_or_reply(m, body, "reason", MGMT_REASON_MAX, !approve, &reason))
		goto out;
	err_t rc = sharing_answer(m->app, m->c, m->who, id, approve, reason, &result, msg);
	/* sharing_answer words a request that exists but does not concern the
	 * requester differently ("... awaits your organisation"): one 404 text
	 * for both, so that the answer does not tell that it exists. */
	if (rc == ERR_NOTFOUND)
		msg[0] = '\0';
	if (rc)
		reply_op_err(m, rc, msg, "no such share request");
	else
		api_reply_json(m->resp, 200, result);
out:
	json_decref(body);
}

/* POST /api/v1/grants: the provider widens its object's scope at once. */
static void h_grant(struct mgmt *m)
{
	struct share_body b;
	char msg[SHARING_MSG_MAX] = "";
	json_t *result = NULL;

	if (!method_ok_or_reply(m, "POST") || !params_ok_or_reply(m, NULL))
		return;
	json_t *body = share_body_or_reply(m, &b);
	if (!body)
		return;
	err_t rc = sharing_grant(m->app, m->c, m->who, &b.obj, &b.target, b.reason, &result, msg);
	if (rc) {
		reply_op_err(m, rc, msg, "no such object");
	} else {
		/* sharing_grant names the organisation; say which person, too. */
		if (b.target.user)
			json_object_set_new(result, "target_user", json_string(b.target.user));
		api_reply_json(m->resp, 201, result);
	}
	json_decref(body);
}

/* POST /api/v1/grants/revoke: the provider narrows. */
static void h_revoke(struct mgmt *m)
{
	struct share_body b;
	char msg[SHARING_MSG_MAX] = "";

	if (!method_ok_or_reply(m, "POST") || !params_ok_or_reply(m, NULL))
		return;
	json_t *body = share_body_or_reply(m, &b);
	if (!body)
		return;
	err_t rc = sharing_revoke(m->app, m->c, m->who, &b.obj, &b.target, b.reason, msg);
	if (rc) {
		reply_op_err(m, rc, msg, "no such object");
	} else {
		json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "status", "revoked", "api_root",
				      b.obj.root, "collection", b.obj.collection, "object",
				      b.obj.stix_id);
		if (o)
			json_object_set_new(
				o, b.target.user ? "target_user" : "target_org",
				json_string(b.target.user ? b.target.user : b.target.org));
		api_reply_json(m->resp, 200, o);
	}
	json_decref(body);
}

/* GET /api/v1/objects/{api_root}/{collection}/{object-id}/sharing */
static void h_object_sharing(struct mgmt *m, const char *root, const char *col, const char *id)
{
	struct object_ref obj = {root, col, id};
	char msg[SHARING_MSG_MAX] = "";
	json_t *result = NULL;
	err_t rc = ERR_NOTFOUND;

	if (!method_ok_or_reply(m, "GET") || !params_ok_or_reply(m, NULL))
		return;
	/* Names that cannot exist answer like names that do not (split_path
	 * already bounds each segment). */
	if (strlen(root) <= MGMT_NAME_MAX && strlen(col) <= MGMT_NAME_MAX &&
	    stix_id_valid(id, NULL))
		rc = sharing_object_state(m->app, m->c, m->who, &obj, &result, msg);
	if (rc)
		reply_op_err(m, rc, msg, "no such object");
	else
		api_reply_json(m->resp, 200, result);
}

/* ---- the audit log (auditors only) ---- */

static bool auditor_or_reply(struct mgmt *m)
{
	if (has_role(m, ROLE_AUDITOR))
		return true;
	api_reply_error(m->resp, 403, "the audit log is for the auditor role");
	return false;
}

struct audit_page {
	struct store_conn *c;
	json_t *entries;
	size_t limit, n;
	int64_t last_seq;
	bool more;
	struct name_cache orgs, users;
};

static json_t *name_or_null(const char *name)
{
	return name ? json_string(name) : json_null();
}

static err_t audit_entry_json(void *ctx, const struct audit_row *row)
{
	struct audit_page *p = ctx;
	char t[TS_BUFSZ], hex[65];
	static const char digits[] = "0123456789abcdef";

	/* The store was asked for one more than the page: it says there is a next. */
	if (p->n == p->limit) {
		p->more = true;
		return ERR_OK;
	}
	ts_format(row->time, t);
	for (size_t i = 0; i < 32; i++) {
		hex[2 * i] = digits[row->hash[i] >> 4];
		hex[2 * i + 1] = digits[row->hash[i] & 15];
	}
	hex[64] = '\0';
	json_t *detail = json_loads(row->detail, JSON_DECODE_ANY, NULL);
	json_t *e = json_pack("{s:I, s:s, s:s, s:o, s:o, s:s, s:o, s:s}", "seq",
			      (json_int_t)row->seq, "time", t, "kind", row->kind, "user",
			      name_or_null(name_of(p->c, &p->users, false, row->user_id)), "org",
			      name_or_null(name_of(p->c, &p->orgs, true, row->org_id)), "object",
			      row->object, "detail", detail ? detail : json_null(), "hash", hex);
	if (!e || json_array_append_new(p->entries, e))
		return ERR_NOMEM;
	p->n++;
	p->last_seq = row->seq;
	return ERR_OK;
}

/* Parses the ?from / ?to timestamp named key into *us (left 0 when absent). */
static bool time_param_or_reply(struct mgmt *m, const char *key, int64_t *us)
{
	const char *v = param(m, key);
	*us = 0;
	if (v && (ts_parse(v, strlen(v), us, NULL) || *us <= 0)) {
		reply_400(m, "%s must be an RFC 3339 UTC timestamp like 2026-01-31T00:00:00Z", key);
		return false;
	}
	return true;
}

/* GET /api/v1/audit?from&to&org&object&kind&after&limit */
static void h_audit_list(struct mgmt *m)
{
	static const char *const known[] = {"from", "to",    "org",   "object",
					    "kind", "after", "limit", NULL};
	struct audit_filter f = {0};
	struct audit_page *p = NULL;
	char e[MGMT_ECHO_MAX + 4];
	int64_t v;
	err_t rc;

	if (!method_ok_or_reply(m, "GET") || !auditor_or_reply(m) ||
	    !params_ok_or_reply(m, known) || !time_param_or_reply(m, "from", &f.from) ||
	    !time_param_or_reply(m, "to", &f.to))
		return;
	if (f.from && f.to && f.to < f.from) {
		reply_400(m, "to must not be earlier than from");
		return;
	}
	const char *org = param(m, "org");
	if (org) {
		struct org o;
		rc = strlen(org) <= MGMT_NAME_MAX ? store_org_find(m->c, org, &o) : ERR_NOTFOUND;
		if (rc == ERR_NOTFOUND) {
			reply_400(m, "org: no organisation named '%s'", echo(org, e));
			return;
		}
		if (rc) {
			api_reply_err(m->resp, rc);
			return;
		}
		f.org_id = o.id;
	}
	f.object = param(m, "object");
	if (f.object && (!f.object[0] || strlen(f.object) > MGMT_OBJECT_MAX)) {
		reply_400(m, "object must be 1 to %d bytes long", MGMT_OBJECT_MAX);
		return;
	}
	f.kind = param(m, "kind");
	if (f.kind && (!f.kind[0] || strlen(f.kind) > MGMT_KIND_MAX)) {
		reply_400(m, "kind must be 1 to %d bytes long", MGMT_KIND_MAX);
		return;
	}
	const char *after = param(m, "after");
	if (after) {
		if (!parse_count(after, &v)) {
			reply_400(m, "after must be the seq of an entry (a number)");
			return;
		}
		f.after_seq = v;
	}
	size_t limit = MGMT_AUDIT_LIMIT;
	const char *lim = param(m, "limit");
	if (lim) {
		if (!parse_count(lim, &v) || v < 1 || v > MGMT_AUDIT_LIMIT_MAX) {
			reply_400(m, "limit must be a number from 1 to %d", MGMT_AUDIT_LIMIT_MAX);
			return;
		}
		limit = (size_t)v;
	}
	f.limit = limit + 1;

	p = calloc(1, sizeof(*p));
	if (!p) {
		api_reply_err(m->resp, ERR_NOMEM);
		return;
	}
	p->c = m->c;
	p->limit = limit;
	p->entries = json_array();
	rc = p->entries ? store_audit_list(m->c, &f, audit_entry_json, p) : ERR_NOMEM;
	if (rc) {
		api_reply_err(m->resp, rc);
		goto out;
	}
	json_t *o = json_pack("{s:O}", "entries", p->entries);
	if (o && p->more)
		json_object_set_new(o, "next", json_integer(p->last_seq));
	api_reply_json(m->resp, 200, o);
out:
	json_decref(p->entries);
	free(p);
}

/* GET /api/v1/audit/verify: recomputes the whole chain (DESIGN.md §3.8). */
static void h_audit_verify(struct mgmt *m)
{
	int64_t broken = 0, n = 0;

	if (!method_ok_or_reply(m, "GET") || !auditor_or_reply(m) || !params_ok_or_reply(m, NULL))
		return;
	err_t rc = store_audit_verify(m->c, &broken, &n);
	if (rc) {
		api_reply_err(m->resp, rc);
		return;
	}
	api_reply_json(m->resp, 200,
		       json_pack("{s:I, s:b, s:o}", "entries", (json_int_t)n, "intact", !broken,
				 "first_broken", broken ? json_integer(broken) : json_null()));
}

/* ---- routing ---- */

void mgmt_handle(struct app *app, struct store_conn *c, const struct principal *who,
		 const struct api_req *req, struct api_resp *resp, const char *const *seg,
		 size_t n_seg)
{
	struct mgmt m = {app, c, who, req, resp};
	const char *s2 = n_seg > 2 ? seg[2] : "";
	const char *s4 = n_seg > 4 ? seg[4] : "";

	resp->content_type = "application/json";
	resp->route = "mgmt";
	if (!c) {
		api_reply_err(resp, ERR_BUSY);
		return;
	}
	/* The API is versioned by its prefix: /api/v1/ is this one. */
	if (n_seg < 3 || strcmp(seg[0], "api") || strcmp(seg[1], "v1")) {
		api_reply_error(resp, 404, "no such resource");
		return;
	}
	if (!strcmp(s2, "agreements")) {
		if (n_seg == 3)
			h_agreement_list(&m);
		else if (n_seg == 4)
			h_agreement_get(&m, seg[3]);
		else if (n_seg == 5 && !strcmp(s4, "status"))
			h_agreement_status(&m, seg[3]);
		else if (n_seg == 5 && !strcmp(s4, "objections"))
			h_objection(&m, seg[3]);
		else
			api_reply_error(resp, 404, "no such resource");
	} else if (!strcmp(s2, "share-requests")) {
		if (n_seg == 3 && !strcmp(method_of(&m), "GET")) {
			h_share_list(&m);
		} else if (n_seg == 3 && !strcmp(method_of(&m), "POST")) {
			h_share_request(&m);
		} else if (n_seg == 3) {
			resp->allow = "GET, POST";
			api_reply_error(resp, 405, "this resource does not take that method");
		} else if (n_seg == 4) {
			h_share_get(&m, seg[3]);
		} else if (n_seg == 5 && (!strcmp(s4, "approve") || !strcmp(s4, "deny"))) {
			h_share_answer(&m, seg[3], !strcmp(s4, "approve"));
		} else {
			api_reply_error(resp, 404, "no such resource");
		}
	} else if (!strcmp(s2, "grants")) {
		if (n_seg == 3)
			h_grant(&m);
		else if (n_seg == 4 && !strcmp(seg[3], "revoke"))
			h_revoke(&m);
		else
			api_reply_error(resp, 404, "no such resource");
	} else if (!strcmp(s2, "objects") && n_seg == 7 && !strcmp(seg[6], "sharing")) {
		h_object_sharing(&m, seg[3], seg[4], seg[5]);
	} else if (!strcmp(s2, "audit")) {
		if (n_seg == 3)
			h_audit_list(&m);
		else if (n_seg == 4 && !strcmp(seg[3], "verify"))
			h_audit_verify(&m);
		else
			api_reply_error(resp, 404, "no such resource");
	} else {
		api_reply_error(resp, 404, "no such resource");
	}
}
