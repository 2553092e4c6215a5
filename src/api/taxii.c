/*
 * taxii.c - the TAXII 2.1 endpoints (OASIS Standard, 10 June 2021) and the
 * routing of every request: discovery, API roots, status, collections,
 * manifest, objects, object, versions; plus /healthz and /metrics.
 *
 * Objects are served as the exact bytes received: a page is the stored
 * bodies joined by commas inside an envelope, never re-serialised.
 *
 * Depends on store/, stix/, common/ and the other files of api/.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/log.h"
#include "../common/timeutil.h"
#include "api.h"
#include "agreements.h"
#include "auth.h"
#include "ingest.h"
#include "metrics.h"
#include "mgmt.h"
#include "query.h"
#include "../common/banned.h"

#define TAXII_MEDIA	"application/taxii+json;version=2.1"
#define STIX_MEDIA	"application/stix+json;version=2.1"
#define MAX_SEGMENTS	8
#define MAX_SEGMENT_LEN 300

void api_resp_init(struct api_resp *resp, size_t max_body)
{
	memset(resp, 0, sizeof(*resp));
	resp->status = 500;
	resp->content_type = TAXII_MEDIA;
	resp->route = "other";
	snprintf(resp->user, sizeof(resp->user), "-");
	snprintf(resp->org, sizeof(resp->org), "-");
	buf_init(&resp->body, max_body);
}

void api_resp_release(struct api_resp *resp)
{
	buf_release(&resp->body);
}

/* ---- errors (TAXII 2.1 §3.6.1) ---- */

static const char *status_title(int status)
{
	switch (status) {
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Entity";
	case 503: return "Service Unavailable";
	default: return "Internal Server Error";
	}
}

/*
 * Answers with a TAXII error resource. description is for the client: it
 * must never carry database text, internals, or anything about objects the
 * requester may not see.
 */
void api_reply_error(struct api_resp *resp, int status, const char *description)
{
	char code[8];
	snprintf(code, sizeof(code), "%d", status);
	json_t *e = json_pack("{s:s, s:s, s:s}", "title", status_title(status), "description",
			      description, "http_status", code);
	if (!e) /* a description that is not valid UTF-8 is not sent */
		e = json_pack("{s:s, s:s}", "title", status_title(status), "http_status", code);
	char *s = e ? json_dumps(e, JSON_COMPACT) : NULL;
	buf_reset(&resp->body);
	resp->status = status;
	resp->has_date_headers = false;
	if (s)
		buf_adds(&resp->body, s);
	free(s);
	json_decref(e);
}

/* Answers for an err_t that is not the client's fault, or maps it. */
void api_reply_err(struct api_resp *resp, err_t rc)
{
	switch (rc) {
	case ERR_BUSY: api_reply_error(resp, 503, "the store is busy; try again"); break;
	case ERR_TOOBIG:
		api_reply_error(resp, 413,
				"the request or its result is larger than this server allows");
		break;
	case ERR_NOTFOUND: api_reply_error(resp, 404, "not found"); break;
	default:
		api_reply_error(
			resp, 500,
			"the server could not complete the request; the log has the detail");
		break;
	}
}

/* Sends a JSON value as the 200 (or other) body. Steals v. */
void api_reply_json(struct api_resp *resp, int status, json_t *v)
{
	char *s = v ? json_dumps(v, JSON_COMPACT) : NULL;
	json_decref(v);
	if (!s) {
		api_reply_error(resp, 500, "out of memory");
		return;
	}
	buf_reset(&resp->body);
	if (buf_adds(&resp->body, s)) {
		free(s);
		api_reply_error(resp, 500, "response too large");
		return;
	}
	free(s);
	resp->status = status;
}

/* ---- media types (TAXII 2.1 §1.6.8) ---- */

/*
 * Whether one media type (with parameters) names TAXII 2.1: type and
 * subtype compare case-insensitively; a version parameter, when present,
 * must be 2.1; other parameters are ignored. With allow_wild, "* / *" and
 * "application/ *" also match (an Accept range); a q of 0 refuses.
 */
static bool media_is_taxii(const char *s, size_t len, bool allow_wild)
{
	static const char want[] = "application/taxii+json";
	size_t i = 0;

	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	size_t start = i;
	while (i < len && s[i] != ';' && s[i] != ' ' && s[i] != '\t')
		i++;
	size_t tlen = i - start;
	bool ok = (tlen == sizeof(want) - 1 && !strncasecmp(s + start, want, tlen)) ||
		  (allow_wild && tlen == 3 && !strncmp(s + start, "*/*", 3)) ||
		  (allow_wild && tlen == 13 && !strncasecmp(s + start, "application/*", 13));
	if (!ok)
		return false;
	bool wild = s[start + tlen - 1] == '*';
	/* Parameters: name=value pairs separated by ';'. */
	while (i < len) {
		while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == ';'))
			i++;
		size_t ns = i;
		while (i < len && s[i] != '=' && s[i] != ';')
			i++;
		size_t nlen = i - ns;
		while (nlen && (s[ns + nlen - 1] == ' ' || s[ns + nlen - 1] == '\t'))
			nlen--;
		if (i >= len || s[i] != '=') {
			continue;
		}
		i++;
		while (i < len && (s[i] == ' ' || s[i] == '\t'))
			i++;
		size_t vs = i;
		while (i < len && s[i] != ';')
			i++;
		size_t vlen = i - vs;
		while (vlen && (s[vs + vlen - 1] == ' ' || s[vs + vlen - 1] == '\t'))
			vlen--;
		if (vlen >= 2 && s[vs] == '"' && s[vs + vlen - 1] == '"') {
			vs++;
			vlen -= 2;
		}
		if (nlen == 7 && !strncasecmp(s + ns, "version", 7) && !wild) {
			if (vlen != 3 || strncmp(s + vs, "2.1", 3))
				return false;
		} else if (nlen == 1 && (s[ns] == 'q' || s[ns] == 'Q')) {
			bool zero = vlen >= 1 && s[vs] == '0';
			for (size_t k = 1; zero && k < vlen; k++)
				if (s[vs + k] != '0' && s[vs + k] != '.')
					zero = false;
			if (zero)
				return false;
		}
	}
	return true;
}

/* Whether the Accept header admits a TAXII 2.1 answer. No header: yes. */
static bool accept_ok(const char *accept)
{
	if (!accept || !*accept)
		return true;
	const char *p = accept;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (media_is_taxii(p, len, true))
			return true;
		if (!comma)
			return false;
		p = comma + 1;
	}
}

/* ---- request context ---- */

struct ctx {
	struct app *app;
	const struct api_req *req;
	struct api_resp *resp;
	struct store_conn *c;
	struct principal who;
	const char *seg[MAX_SEGMENTS];
	size_t n_seg;
	char segbuf[2048];
	struct api_root root;
	struct rules *rules;	   /* the API root's agreement, if any */
	struct obj_visibility vis; /* what the requester may see (DESIGN.md §3.1) */
	struct collection col;
	struct grant grant;
};

/* Splits "/a/b/c/" into segments; false for an empty or overlong one. */
static bool split_path(struct ctx *x, bool *trailing)
{
	const char *path = x->req->path;
	size_t len = strlen(path);
	if (len == 0 || path[0] != '/' || len >= sizeof(x->segbuf))
		return false;
	memcpy(x->segbuf, path, len + 1);
	*trailing = path[len - 1] == '/';
	x->n_seg = 0;
	char *p = x->segbuf + 1;
	while (*p) {
		char *slash = strchr(p, '/');
		if (slash)
			*slash = '\0';
		if (!*p || strlen(p) > MAX_SEGMENT_LEN || x->n_seg == MAX_SEGMENTS)
			return false;
		x->seg[x->n_seg++] = p;
		if (!slash)
			break;
		p = slash + 1;
	}
	return true;
}

static bool method_is(const struct ctx *x, const char *m)
{
	return !strcmp(x->req->method, m);
}

/* ---- discovery and API roots (§4.1, §4.2) ---- */

static err_t add_root_url(void *ctx, const struct api_root *r)
{
	json_t *list = ctx;
	char url[STORE_NAME_MAX + 4];
	snprintf(url, sizeof(url), "/%s/", r->name);
	return json_array_append_new(list, json_string(url)) ? ERR_NOMEM : ERR_OK;
}

static void h_discovery(struct ctx *x)
{
	json_t *roots = json_array();
	json_t *d = json_pack("{s:s, s:s}", "title", x->app->cfg.title, "description",
			      "renkei: cyber threat information sharing under the agreement of "
			      "27 December 2024 (MoD, METI, IPA)");
	err_t rc = roots && d ? store_root_list(x->c, add_root_url, roots) : ERR_NOMEM;
	if (rc) {
		json_decref(roots);
		json_decref(d);
		api_reply_err(x->resp, rc);
		return;
	}
	if (x->app->cfg.contact[0])
		json_object_set_new(d, "contact", json_string(x->app->cfg.contact));
	if (json_array_size(roots)) {
		json_object_set(d, "default", json_array_get(roots, 0));
		json_object_set(d, "api_roots", roots);
	}
	json_decref(roots);
	api_reply_json(x->resp, 200, d);
}

static void h_api_root(struct ctx *x)
{
	json_t *r = json_pack("{s:s, s:[s], s:I}", "title", x->root.title, "versions", TAXII_MEDIA,
			      "max_content_length", (json_int_t)x->app->cfg.max_content_length);
	if (r && x->root.description[0])
		json_object_set_new(r, "description", json_string(x->root.description));
	api_reply_json(x->resp, 200, r);
}

static void h_status(struct ctx *x, const char *id)
{
	struct status_rec st;
	char *doc = NULL;
	struct read_hint hint = {.user_id = x->who.user.id};
	err_t rc = store_read_status(x->app->store, x->c, &hint, id, app_now(x->app), &st, &doc);
	/* A status belongs to the organisation that posted: others get 404. */
	if (rc == ERR_NOTFOUND ||
	    (!rc && (st.root_id != x->root.id || st.org_id != x->who.org.id))) {
		free(doc);
		api_reply_error(x->resp, 404,
				"no such status resource (they are kept for a limited time)");
		return;
	}
	if (rc) {
		api_reply_err(x->resp, rc);
		return;
	}
	buf_reset(&x->resp->body);
	if (buf_add(&x->resp->body, doc, st.doc_len))
		api_reply_error(x->resp, 500, "response too large");
	else
		x->resp->status = 200;
	free(doc);
}

/* ---- collections (§5.1, §5.2) ---- */

static json_t *collection_json(const struct collection *col, const struct grant *g)
{
	json_t *o = json_pack("{s:s, s:s, s:b, s:b, s:[s]}", "id", col->uuid, "title", col->title,
			      "can_read", g->can_read, "can_write", g->can_write, "media_types",
			      STIX_MEDIA);
	if (o && col->description[0])
		json_object_set_new(o, "description", json_string(col->description));
	if (o && col->alias[0])
		json_object_set_new(o, "alias", json_string(col->alias));
	return o;
}

struct coll_list {
	struct ctx *x;
	json_t *list;
};

static err_t add_collection(void *ctx, const struct collection *col)
{
	struct coll_list *cl = ctx;
	struct grant g;
	err_t rc = store_grant_get(cl->x->c, col->id, cl->x->who.org.id, &g);
	if (rc)
		return rc;
	if (!g.can_read && !g.can_write)
		return ERR_OK; /* not this organisation's: not listed */
	json_t *o = collection_json(col, &g);
	if (!o)
		return ERR_NOMEM;
	return json_array_append_new(cl->list, o) ? ERR_NOMEM : ERR_OK;
}

static void h_collections(struct ctx *x)
{
	struct coll_list cl = {x, json_array()};
	err_t rc =
		cl.list ? store_collection_list(x->c, x->root.id, add_collection, &cl) : ERR_NOMEM;
	if (rc) {
		json_decref(cl.list);
		api_reply_err(x->resp, rc);
		return;
	}
	json_t *o = json_object();
	if (o && json_array_size(cl.list))
		json_object_set(o, "collections", cl.list);
	json_decref(cl.list);
	api_reply_json(x->resp, 200, o);
}

/* Finds the collection of segment 3 and the requester's grant on it;
 * answers 404 for a collection the organisation has no right on at all. */
static bool find_collection_or_reply(struct ctx *x, const char *key)
{
	err_t rc = store_collection_find(x->c, x->root.id, key, &x->col);
	if (!rc)
		rc = store_grant_get(x->c, x->col.id, x->who.org.id, &x->grant);
	if (rc == ERR_NOTFOUND || (!rc && !x->grant.can_read && !x->grant.can_write)) {
		api_reply_error(x->resp, 404, "no such collection");
		return false;
	}
	if (rc) {
		api_reply_err(x->resp, rc);
		return false;
	}
	return true;
}

static void h_collection(struct ctx *x)
{
	api_reply_json(x->resp, 200, collection_json(&x->col, &x->grant));
}

/* ---- object queries (§3.4, §5.3, §5.4, §5.6, §5.8) ---- */

enum page_kind { PAGE_OBJECTS, PAGE_MANIFEST, PAGE_VERSIONS };

struct page {
	struct ctx *x;
	enum page_kind kind;
	size_t n;
	size_t max_bytes;
	int64_t first_date, last_date, last_seq;
	bool cut;		     /* stopped early because the page is full */
	json_t *list;		     /* manifest records or version strings */
	struct buf disclosed;	     /* the rows sent, as seq ranges "a-b,c", for the audit */
	int64_t run_first, run_last; /* the range being built */
};

#define STOP_PAGE ERR_TOOBIG

/* Appends the finished run of row numbers to the disclosure record. */
static err_t disclose_run(struct page *pg)
{
	if (pg->disclosed.len && buf_addc(&pg->disclosed, ','))
		return ERR_NOMEM;
	if (pg->run_first == pg->run_last)
		return buf_addf(&pg->disclosed, "%lld", (long long)pg->run_first);
	return buf_addf(&pg->disclosed, "%lld-%lld", (long long)pg->run_first,
			(long long)pg->run_last);
}

static err_t page_row(void *ctx, const struct obj_row *row)
{
	struct page *pg = ctx;
	struct buf *b = &pg->x->resp->body;
	char ts[TS_BUFSZ], ver[TS_BUFSZ];
	err_t rc = ERR_OK;

	/* Past the byte budget, end the page here (the first row always fits). */
	if (pg->n && b->len + row->body_len + 64 > pg->max_bytes) {
		pg->cut = true;
		return STOP_PAGE;
	}
	if (pg->kind == PAGE_OBJECTS) {
		if (pg->n)
			rc = buf_addc(b, ',');
		if (!rc)
			rc = buf_add(b, row->body, row->body_len);
	} else if (pg->kind == PAGE_MANIFEST) {
		ts_format(row->date_added, ts);
		ingest_format_version(row->version, ver);
		json_t *r = json_pack("{s:s, s:s, s:s, s:s}", "id", row->stix_id, "date_added", ts,
				      "version", ver, "media_type", STIX_MEDIA);
		rc = r && !json_array_append_new(pg->list, r) ? ERR_OK : ERR_NOMEM;
	} else {
		ingest_format_version(row->version, ver);
		rc = json_array_append_new(pg->list, json_string(ver)) ? ERR_NOMEM : ERR_OK;
	}
	if (rc)
		return rc;
	/*
	 * Disclosures name the rows by their insertion number (the object.post
	 * entries of the audit map it to id and version): pages are runs of
	 * consecutive numbers, so the record stays a few bytes long.
	 */
	if (pg->n && row->seq == pg->run_last + 1) {
		pg->run_last = row->seq;
	} else {
		if (pg->n)
			rc = disclose_run(pg);
		pg->run_first = pg->run_last = row->seq;
	}
	if (rc)
		return rc;
	if (!pg->n)
		pg->first_date = row->date_added;
	pg->last_date = row->date_added;
	pg->last_seq = row->seq;
	pg->n++;
	return ERR_OK;
}

/* Fills an obj_query from the parsed filter and the server's limits. */
static void query_from_filter(struct ctx *x, const struct taxii_filter *f, struct obj_query *q)
{
	memset(q, 0, sizeof(*q));
	q->vis = x->vis;
	q->collection_id = x->col.id;
	q->ids = f->ids;
	q->n_ids = f->n_ids;
	q->types = f->types;
	q->n_types = f->n_types;
	q->version_mode = f->version_mode;
	q->versions = f->versions;
	q->n_versions = f->n_versions;
	q->spec_versions = f->spec_versions;
	q->n_spec_versions = f->n_spec_versions;
	q->has_added_after = f->has_added_after;
	q->added_after = f->added_after;
	q->has_cursor = f->has_next;
	q->cursor_date = f->next_date;
	q->cursor_seq = f->next_seq;
	/* §3.4.1: a limit above the server's maximum gets the maximum. */
	size_t lim = f->has_limit ? f->limit : x->app->cfg.page_default;
	q->limit = lim > x->app->cfg.page_max ? x->app->cfg.page_max : lim;
}

static bool parse_filter_or_reply(struct ctx *x, unsigned allowed, struct taxii_filter *f)
{
	char msg[QUERY_MSG_MAX];
	if (x->req->too_many_params) {
		api_reply_error(x->resp, 400, "too many query parameters");
		return false;
	}
	err_t rc = taxii_filter_parse(x->req->params, x->req->n_params, allowed, f, msg);
	if (rc == ERR_NOMEM) {
		api_reply_err(x->resp, rc);
		return false;
	}
	if (rc) {
		api_reply_error(x->resp, 400, msg);
		return false;
	}
	return true;
}

struct provider_ctx {
	bool found;
	int64_t provider;
};

static err_t note_provider(void *ctx, const struct obj_row *row)
{
	struct provider_ctx *p = ctx;
	p->found = true;
	p->provider = row->org_id;
	return ERR_OK;
}

/* Whether the requester sees any version of stix_id, and who provided it. */
static err_t provider_of(struct ctx *x, const char *stix_id, bool *exists, int64_t *provider)
{
	struct obj_query q = {.vis = x->vis,
			      .collection_id = x->col.id,
			      .stix_id = stix_id,
			      .version_mode = VERSION_ALL,
			      .limit = 1};
	struct provider_ctx p = {0};
	bool more;
	err_t rc = store_object_query(x->c, &q, note_provider, &p, &more);
	*exists = p.found;
	*provider = p.provider;
	return rc;
}

/*
 * Runs a page query and answers it: an envelope of stored bytes, a
 * manifest, or a list of versions, with the date headers of §3.2 and `more`
 * / `next` of §3.7.
 */
static void serve_page(struct ctx *x, enum page_kind kind, const char *stix_id, unsigned allowed)
{
	struct taxii_filter f;
	struct obj_query q;
	struct page pg = {.x = x, .kind = kind, .max_bytes = x->app->cfg.max_page_bytes};
	struct buf *b = &x->resp->body;
	char cursor[CURSOR_MAX];
	bool more = false;
	err_t rc;

	if (!parse_filter_or_reply(x, allowed, &f))
		goto out;
	query_from_filter(x, &f, &q);
	q.stix_id = stix_id;
	q.want_body = kind == PAGE_OBJECTS;
	if (kind == PAGE_VERSIONS)
		q.version_mode = VERSION_ALL; /* §5.8: every version, no match[version] */
	buf_init(&pg.disclosed, (size_t)1 << 24);
	if (kind != PAGE_OBJECTS && !(pg.list = json_array())) {
		api_reply_err(x->resp, ERR_NOMEM);
		goto out;
	}

	buf_reset(b);
	if (kind == PAGE_OBJECTS && buf_adds(b, "{\"objects\":[")) {
		api_reply_err(x->resp, ERR_NOMEM);
		goto out;
	}
	struct read_hint hint = {
		.user_id = x->who.user.id,
		.collection_id = q.collection_id,
		.has_cursor = q.has_cursor,
		.cursor_date = q.cursor_date,
		.cursor_seq = q.cursor_seq,
	};
	rc = store_read_query(x->app->store, x->c, &hint, &q, page_row, &pg, &more);
	if (rc == STOP_PAGE && pg.cut) {
		rc = ERR_OK;
		more = true;
	}
	if (rc) {
		api_reply_err(x->resp, rc);
		goto out;
	}
	if (stix_id && pg.n == 0 && !f.has_next) {
		/* §5.6, §5.8: an unknown object is 404; a known one that the
		 * filters exclude is an empty answer. */
		bool exists = false;
		int64_t provider;
		rc = provider_of(x, stix_id, &exists, &provider);
		if (rc) {
			api_reply_err(x->resp, rc);
			goto out;
		}
		if (!exists) {
			api_reply_error(x->resp, 404, "no object with this id in this collection");
			goto out;
		}
	}

	if (pg.n == 0) {
		/* §3.7: nothing matched is an empty envelope (likewise manifest
		 * and versions), with no date headers to give. */
		buf_reset(b);
		rc = buf_adds(b, "{}");
	} else if (kind == PAGE_OBJECTS) {
		rc = buf_addf(b, "],\"more\":%s", more ? "true" : "false");
		if (!rc && more) {
			taxii_cursor_encode(pg.last_date, pg.last_seq, cursor);
			rc = buf_addf(b, ",\"next\":\"%s\"", cursor);
		}
		if (!rc)
			rc = buf_addc(b, '}');
	} else {
		json_t *o = json_pack("{s:b}", "more", more);
		if (o && more) {
			/* The manifest and versions resources have no `next` in
			 * §5.3.1 / §5.8.1, but clients may page them with the same
			 * cursor: we offer it, and accept it back. */
			taxii_cursor_encode(pg.last_date, pg.last_seq, cursor);
			json_object_set_new(o, "next", json_string(cursor));
		}
		if (o)
			json_object_set(o, kind == PAGE_MANIFEST ? "objects" : "versions", pg.list);
		char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
		json_decref(o);
		buf_reset(b);
		rc = s ? buf_adds(b, s) : ERR_NOMEM;
		free(s);
	}
	if (rc) {
		api_reply_err(x->resp, rc);
		goto out;
	}
	if (pg.n) {
		/* DESIGN.md §3.8: who received which versions, recorded before
		 * anything is sent; what cannot be recorded is not disclosed. */
		rc = disclose_run(&pg);
		if (!rc)
			rc = audit_event(x->app, x->c, "disclosure", x->who.user.id, x->who.org.id,
					 x->col.uuid,
					 json_pack("{s:s, s:I, s:s}", "route", x->resp->route,
						   "count", (json_int_t)pg.n, "rows",
						   buf_cstr(&pg.disclosed)));
		if (rc) {
			api_reply_err(x->resp, rc);
			goto out;
		}
	}
	x->resp->status = 200;
	if (pg.n) {
		x->resp->has_date_headers = true;
		ts_format(pg.first_date, x->resp->date_first);
		ts_format(pg.last_date, x->resp->date_last);
	}
out:
	json_decref(pg.list);
	buf_release(&pg.disclosed);
	taxii_filter_release(&f);
}

/* §5.4: can_read, else 403 (the collection is known to the requester). */
static bool require_read_or_reply(struct ctx *x)
{
	if (x->grant.can_read)
		return true;
	api_reply_error(x->resp, 403, "your organisation may not read this collection");
	return false;
}

static void h_objects_post(struct ctx *x)
{
	char msg[STIX_MSG_MAX + 64];
	json_t *status = NULL;

	if (!x->grant.can_write) {
		api_reply_error(x->resp, 403,
				"your organisation may not add objects to this collection");
		return;
	}
	if (!x->req->content_type ||
	    !media_is_taxii(x->req->content_type, strlen(x->req->content_type), false)) {
		api_reply_error(x->resp, 415, "send the envelope as Content-Type: " TAXII_MEDIA);
		return;
	}
	if (x->req->body_too_big) {
		api_reply_error(x->resp, 413, "the request body is larger than max_content_length");
		return;
	}
	struct ingest_who who = {
		.user_id = x->who.user.id,
		.org_id = x->who.org.id,
		.org_identity = x->who.org.identity_id,
		.root_id = x->root.id,
	};
	err_t rc = ingest_envelope(x->app, x->c, &who, &x->col, x->req->body, x->req->body_len,
				   &status, msg, sizeof(msg));
	if (rc == ERR_UNPROCESSABLE) {
		char d[STIX_MSG_MAX + 96];
		snprintf(d, sizeof(d), "the body is not a TAXII envelope: %.300s", msg);
		api_reply_error(x->resp, 422, d);
		return;
	}
	if (rc == ERR_TOOBIG) {
		api_reply_error(x->resp, 413,
				"the envelope holds more objects than this server takes at once");
		return;
	}
	if (rc) {
		api_reply_err(x->resp, rc);
		return;
	}
	api_reply_json(x->resp, 202, status);
}

static void h_object_delete(struct ctx *x, const char *stix_id)
{
	struct taxii_filter f;
	struct obj_query q;
	size_t n = 0;

	/* §5.7: DELETE needs both rights; one of them alone is 403. */
	if (!x->grant.can_read || !x->grant.can_write) {
		api_reply_error(x->resp, 403,
				"deleting needs both read and write rights on the collection");
		return;
	}
	if (!parse_filter_or_reply(x, QF_VERSION | QF_SPEC_VERSION, &f))
		goto out;
	query_from_filter(x, &f, &q);
	q.stix_id = stix_id;
	/* Without match[version], DELETE removes the object: every version. */
	if (!f.version_mode)
		q.version_mode = VERSION_ALL;
	/* An object the requester may not see is as absent as one that never
	 * was; one it sees but did not provide is not its to delete. */
	bool exists = false;
	int64_t provider = 0;
	err_t rc = provider_of(x, stix_id, &exists, &provider);
	if (rc) {
		api_reply_err(x->resp, rc);
		goto out;
	}
	if (!exists) {
		api_reply_error(x->resp, 404, "no object with this id in this collection");
		goto out;
	}
	if (provider != x->who.org.id) {
		api_reply_error(x->resp, 403,
				"only the organisation that provided an object may delete it");
		goto out;
	}
	q.vis.mode = VIS_OWN;
	rc = store_tx_begin(x->c);
	if (!rc)
		rc = store_object_delete(x->c, &q, &n);
	if (!rc && n)
		rc = audit_write(x->app, x->c, "object.delete", x->who.user.id, x->who.org.id,
				 stix_id,
				 json_pack("{s:s, s:I}", "collection", x->col.uuid, "versions",
					   (json_int_t)n));
	rc = store_tx_end(x->c, rc);
	if (rc) {
		api_reply_err(x->resp, rc);
		goto out;
	}
	if (n == 0) {
		api_reply_error(x->resp, 404,
				"no object with this id and version in this collection");
		goto out;
	}
	buf_reset(&x->resp->body);
	x->resp->status = 200;
out:
	taxii_filter_release(&f);
}

/* ---- operations endpoints ---- */

static void h_healthz(struct app *app, struct api_resp *resp)
{
	struct store_conn *c = NULL;
	resp->route = "healthz";
	resp->content_type = "application/json";
	store_conn_get(app->store, &c);
	err_t rc = store_ping(c);
	store_conn_put(app->store, c);
	buf_reset(&resp->body);
	if (rc) {
		resp->status = 503;
		buf_adds(&resp->body, "{\"status\":\"unavailable\"}");
		return;
	}
	resp->status = 200;
	buf_adds(&resp->body, "{\"status\":\"ok\"}");
}

static void h_metrics(struct app *app, struct api_resp *resp)
{
	struct store_conn *c = NULL;
	int64_t n = 0;
	resp->route = "metrics";
	store_conn_get(app->store, &c);
	err_t rc = store_object_count(c, &n);
	store_conn_put(app->store, c);
	buf_reset(&resp->body);
	if (!rc)
		rc = metrics_render(app->metrics, n, &resp->body);
	if (!rc) {
		uint64_t primary, standby;
		store_read_counts(app->store, &primary, &standby);
		rc = buf_addf(&resp->body,
			      "# HELP renkei_store_reads_total Object queries, by the server that "
			      "answered.\n"
			      "# TYPE renkei_store_reads_total counter\n"
			      "renkei_store_reads_total{server=\"primary\"} %llu\n"
			      "renkei_store_reads_total{server=\"standby\"} %llu\n",
			      (unsigned long long)primary, (unsigned long long)standby);
	}
	if (!rc) {
		uint64_t batches, entries;
		audit_queue_counts(app->audit_q, &batches, &entries);
		rc = buf_addf(
			&resp->body,
			"# HELP renkei_audit_commits_total Transactions that recorded events "
			"(disclosures, failed logins), several to one when they come together.\n"
			"# TYPE renkei_audit_commits_total counter\n"
			"renkei_audit_commits_total %llu\n"
			"# HELP renkei_audit_events_total Events recorded in those transactions.\n"
			"# TYPE renkei_audit_events_total counter\n"
			"renkei_audit_events_total %llu\n",
			(unsigned long long)batches, (unsigned long long)entries);
	}
	if (!rc) {
		store_conn_get(app->store, &c);
		rc = agreements_check(app, c, &resp->body, false);
		store_conn_put(app->store, c);
	}
	if (rc) {
		api_reply_err(resp, rc);
		return;
	}
	resp->status = 200;
	resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
}

/* ---- routing ---- */

/* Answers 405 unless the request's method is one of allow ("GET, POST"). */
static bool method_ok_or_reply(struct ctx *x, const char *allow)
{
	/* HEAD is GET without the body (RFC 9110 §9.3.2); libmicrohttpd drops it. */
	const char *m = strcmp(x->req->method, "HEAD") ? x->req->method : "GET";
	size_t n = strlen(m);
	for (const char *p = allow; (p = strstr(p, m)); p += n)
		if ((p == allow || p[-1] == ' ') && (p[n] == ',' || p[n] == '\0'))
			return true;
	x->resp->allow = allow;
	api_reply_error(x->resp, 405, "this resource does not take that method");
	return false;
}

#define PAGE_FILTERS                                                                               \
	(QF_ADDED_AFTER | QF_LIMIT | QF_NEXT | QF_ID | QF_TYPE | QF_VERSION | QF_SPEC_VERSION)
#define OBJECT_FILTERS	 (QF_ADDED_AFTER | QF_LIMIT | QF_NEXT | QF_VERSION | QF_SPEC_VERSION)
#define VERSIONS_FILTERS (QF_ADDED_AFTER | QF_LIMIT | QF_NEXT | QF_SPEC_VERSION)

/* The resources under one API root, by their path segments. */
static void route_collection(struct ctx *x)
{
	const char **seg = x->seg;
	size_t n = x->n_seg;

	if (n == 3) {
		x->resp->route = "collection";
		if (method_ok_or_reply(x, "GET"))
			h_collection(x);
	} else if (n == 4 && !strcmp(seg[3], "manifest")) {
		x->resp->route = "manifest";
		if (method_ok_or_reply(x, "GET") && require_read_or_reply(x))
			serve_page(x, PAGE_MANIFEST, NULL, PAGE_FILTERS);
	} else if (n == 4 && !strcmp(seg[3], "objects")) {
		x->resp->route = method_is(x, "POST") ? "objects_post" : "objects_get";
		if (!method_ok_or_reply(x, "GET, POST"))
			return;
		if (method_is(x, "POST"))
			h_objects_post(x);
		else if (require_read_or_reply(x))
			serve_page(x, PAGE_OBJECTS, NULL, PAGE_FILTERS);
	} else if (n == 5 && !strcmp(seg[3], "objects")) {
		x->resp->route = method_is(x, "DELETE") ? "object_delete" : "object_get";
		if (!method_ok_or_reply(x, "GET, DELETE"))
			return;
		if (method_is(x, "DELETE"))
			h_object_delete(x, seg[4]);
		else if (require_read_or_reply(x))
			serve_page(x, PAGE_OBJECTS, seg[4], OBJECT_FILTERS);
	} else if (n == 6 && !strcmp(seg[3], "objects") && !strcmp(seg[5], "versions")) {
		x->resp->route = "versions";
		if (method_ok_or_reply(x, "GET") && require_read_or_reply(x))
			serve_page(x, PAGE_VERSIONS, seg[4], VERSIONS_FILTERS);
	} else {
		api_reply_error(x->resp, 404, "no such resource");
	}
}

static void route_taxii(struct ctx *x)
{
	const char **seg = x->seg;
	size_t n = x->n_seg;
	err_t rc;

	if (n == 1 && !strcmp(seg[0], "taxii2")) {
		x->resp->route = "discovery";
		if (method_ok_or_reply(x, "GET"))
			h_discovery(x);
		return;
	}
	rc = store_root_find(x->c, seg[0], &x->root);
	if (rc == ERR_NOTFOUND) {
		api_reply_error(x->resp, 404, "no such API root");
		return;
	}
	if (rc) {
		api_reply_err(x->resp, rc);
		return;
	}
	x->rules = malloc(sizeof(*x->rules));
	rc = x->rules ? agreements_rules(x->app, x->c, x->root.id, x->rules) : ERR_NOMEM;
	if (rc) {
		api_reply_err(x->resp, rc);
		return;
	}
	agreements_visibility(x->rules, x->who.org.id, x->who.user.id, term_day_of(app_now(x->app)),
			      &x->vis);
	if (n == 1) {
		x->resp->route = "api_root";
		if (method_ok_or_reply(x, "GET"))
			h_api_root(x);
	} else if (n == 3 && !strcmp(seg[1], "status")) {
		x->resp->route = "status";
		if (method_ok_or_reply(x, "GET"))
			h_status(x, seg[2]);
	} else if (n == 2 && !strcmp(seg[1], "collections")) {
		x->resp->route = "collections";
		if (method_ok_or_reply(x, "GET"))
			h_collections(x);
	} else if (n >= 3 && !strcmp(seg[1], "collections")) {
		if (find_collection_or_reply(x, seg[2]))
			route_collection(x);
	} else {
		api_reply_error(x->resp, 404, "no such resource");
	}
}

/* The operations endpoints answer GET (and HEAD) without authentication. */
static bool ops_route(struct app *app, const struct api_req *req, struct api_resp *resp)
{
	bool health = !strcmp(req->path, "/healthz") || !strcmp(req->path, "/healthz/");
	bool metrics = !strcmp(req->path, "/metrics") || !strcmp(req->path, "/metrics/");
	if (!health && !metrics)
		return false;
	if (strcmp(req->method, "GET") && strcmp(req->method, "HEAD")) {
		resp->allow = "GET";
		api_reply_error(resp, 405, "use GET");
	} else if (health) {
		h_healthz(app, resp);
	} else {
		h_metrics(app, resp);
	}
	return true;
}

void api_handle(struct app *app, const struct api_req *req, struct api_resp *resp)
{
	struct ctx *x = NULL;
	bool trailing = false;
	err_t rc;

	if (ops_route(app, req, resp))
		return;
	bool mgmt = !strncmp(req->path, "/api/", 5);

	/* §1.6.8: a request that will not take TAXII 2.1 gets 406. */
	if (!mgmt && !accept_ok(req->accept)) {
		api_reply_error(resp, 406, "this server answers with " TAXII_MEDIA);
		return;
	}

	x = calloc(1, sizeof(*x));
	if (!x) {
		api_reply_err(resp, ERR_NOMEM);
		return;
	}
	x->app = app;
	x->req = req;
	x->resp = resp;
	if (!split_path(x, &trailing) || x->n_seg == 0) {
		api_reply_error(resp, 404, "no such resource");
		goto out;
	}
	store_conn_get(app->store, &x->c);
	store_read_begin(x->c);
	unsigned delay = 0;
	rc = auth_check(app, x->c, req->authorization, req->remote, &x->who, &delay);
	if (rc == ERR_UNAUTH) {
		resp->www_authenticate = true;
		resp->delay_ms = delay;
		api_reply_error(resp, 401, "authentication required: HTTP Basic or a Bearer token");
		goto out;
	}
	if (rc) {
		api_reply_err(resp, rc);
		goto out;
	}
	snprintf(resp->user, sizeof(resp->user), "%s", x->who.user.name);
	snprintf(resp->org, sizeof(resp->org), "%s", x->who.org.name);
	if (mgmt) {
		mgmt_handle(app, x->c, &x->who, req, resp, x->seg, x->n_seg);
		goto out;
	}
	if (!trailing) {
		/* §3.1: every TAXII URL ends with '/'. */
		api_reply_error(resp, 404, "no such resource (TAXII URLs end with '/')");
		goto out;
	}
	route_taxii(x);
out:
	if (x->c)
		store_conn_put(app->store, x->c);
	/* Read-your-writes through a standby: after a request that wrote, the
	 * writer's reads wait for the standby to replay it. (A refused request
	 * wrote nothing the writer reads back.) */
	if (x->who.user.id && resp->status >= 200 && resp->status < 300 &&
	    strcmp(req->method, "GET") && strcmp(req->method, "HEAD"))
		store_note_write(app->store, x->who.user.id);
	free(x->rules);
	free(x);
}
