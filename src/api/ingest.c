/*
 * ingest.c - validation and storage of posted objects, and their status
 * resource (TAXII 2.1 §4.3, §5.5). Depends on stix/, store/, common/.
 */
#include "ingest.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/sec.h"
#include "../common/timeutil.h"
#include "../stix/stix.h"
#include "agreements.h"
#include "audit.h"
#include "../common/banned.h"

void ingest_format_version(int64_t us, char out[TS_BUFSZ])
{
	if (us % 1000 == 0)
		ts_format_ms(us, out);
	else
		ts_format(us, out);
}

/* Appends a status-details record (§4.3.1: id and version required). */
static err_t add_detail(json_t *list, const char *id, const char *version, const char *message)
{
	json_t *d = json_pack("{s:s, s:s}", "id", id, "version", version);
	if (!d)
		return ERR_NOMEM;
	if (message && json_object_set_new(d, "message", json_string(message))) {
		json_decref(d);
		return ERR_NOMEM;
	}
	return json_array_append_new(list, d) ? ERR_NOMEM : ERR_OK;
}

/* renkei's extensions (DESIGN.md §4.4). */
#define EXT_SCOPE    "extension-definition--895f0377-2635-4adc-a078-037972c6a4dc"
#define EXT_CATEGORY "extension-definition--eae82a6d-fc6e-4bfe-8869-3aa40b815a71"

struct ingest {
	struct app *app;
	struct store_conn *c;
	const struct ingest_who *who;
	const struct collection *col;
	struct rules *rules;
	day_t day;
	int64_t default_scope;
	int default_category;
	int64_t base, stored;
	size_t ok, bad;
	json_t *successes, *failures, *audit_refused;
	json_t *refused_markings; /* ids of marking-definitions refused in this envelope */
	struct buf arena;	  /* the strings of the prep records */
	struct buf audit_stored;  /* the audit's "stored" list, JSON text without brackets */
	struct buf doc_ok;	  /* the status' "successes" list, the same way */
};

/*
 * What the first pass learns about one object - all that storing it needs
 * from its text -, without the store, so that no writer holds the write lock
 * while it parses. Strings are offsets into in->arena (NUL-terminated).
 */
struct prep {
	err_t vrc;	  /* stix_object_check's verdict */
	bool marking;	  /* a marking-definition: taken first */
	bool has_version; /* version: meta.version */
	bool cbr_present; /* has created_by_ref */
	bool cbr_bad;	  /* ... and it is not the poster's identity */
	bool has_cat;	  /* has the category extension; cat: its parse */
	int cat;
	int64_t version;
	size_t id, type, spec, msg; /* msg: the refusal, when vrc */
	size_t refs, n_refs;	    /* object_marking_refs' strings, one after another */
	json_t *scope_ext;	    /* a scope marking-definition's extension (its object's) */
	json_t *obj;		    /* the object that holds scope_ext, or NULL */
};

static const char *astr(const struct ingest *in, size_t off)
{
	return in->arena.data + off;
}

static err_t aput(struct ingest *in, const char *s, size_t *off)
{
	*off = in->arena.len;
	return buf_add(&in->arena, s, strlen(s) + 1);
}

static err_t refuse(struct ingest *in, const char *id, const char *version, const char *why)
{
	in->bad++;
	if (!strncmp(id, "marking-definition--", 20) &&
	    json_object_set_new(in->refused_markings, id, json_true()))
		return ERR_NOMEM;
	json_t *a = json_pack("[s, s, s]", id, version, why);
	if (!a || json_array_append_new(in->audit_refused, a))
		return ERR_NOMEM;
	return add_detail(in->failures, id, version, why);
}

/*
 * The scope that a scope marking-definition defines (DESIGN.md §4.4):
 * recipients are identities of organisations or users of the hub, and
 * members of the agreement; escalation bodies are reached only through
 * all parties' approval (Art. 3.2), never by a scope.
 */
static err_t scope_of_marking(struct ingest *in, json_t *ext, int64_t *scope_id, char *why,
			      size_t n)
{
	int64_t orgs[POLICY_MAX_MEMBERS], users[POLICY_MAX_MEMBERS];
	struct scope_def def = {.orgs = orgs, .users = users};
	size_t i;
	json_t *v;
	json_t *rec = json_object_get(ext, "recipients");
	json_t *groups = json_object_get(ext, "recipient_groups");

	if ((rec && !json_is_array(rec)) || (groups && !json_is_array(groups)) ||
	    json_array_size(rec) > POLICY_MAX_MEMBERS) {
		snprintf(why, n,
			 "sharing scope: 'recipients' and 'recipient_groups' are lists "
			 "(at most %d recipients)",
			 POLICY_MAX_MEMBERS);
		return ERR_INVALID;
	}
	json_array_foreach(groups, i, v)
	{
		const char *g = json_string_value(v);
		if (g && !strcmp(g, "parties"))
			def.groups |= GROUP_PARTIES;
		else if (g && !strcmp(g, "community"))
			def.groups |= GROUP_COMMUNITY;
		else {
			snprintf(why, n,
				 "sharing scope: recipient_groups[%zu] is not \"parties\" or "
				 "\"community\"",
				 i);
			return ERR_INVALID;
		}
	}
	json_array_foreach(rec, i, v)
	{
		int64_t org = 0, user = 0;
		const char *id = json_string_value(v);
		err_t rc = id ? store_identity_find(in->c, id, &org, &user) : ERR_NOTFOUND;
		if (rc == ERR_NOTFOUND) {
			snprintf(why, n,
				 "sharing scope: recipients[%zu] is not the identity of an "
				 "organisation or user of this hub",
				 i);
			return ERR_INVALID;
		}
		if (rc)
			return rc;
		if (user) {
			struct user u;
			rc = store_user_get(in->c, user, &u);
			if (rc)
				return rc;
			org = u.org_id;
		}
		if (in->rules->present) {
			const struct agreement_rules *a = &in->rules->r;
			if (policy_is_escalation_body(a, org)) {
				snprintf(why, n,
					 "sharing scope: recipients[%zu] is an escalation body; "
					 "it sees information only once every party approves "
					 "(Art. 3.2): file a share request",
					 i);
				return ERR_INVALID;
			}
			if (!policy_is_member(a, org) && org != in->who->org_id) {
				snprintf(why, n,
					 "sharing scope: recipients[%zu] is not a member of "
					 "agreement %s",
					 i, in->rules->key);
				return ERR_INVALID;
			}
		}
		if (user)
			users[def.n_users++] = user;
		else
			orgs[def.n_orgs++] = org;
	}
	return store_scope_get_or_add(in->c, &def, scope_id);
}

/*
 * Reads what DESIGN.md §3.2-§3.3 needs from a valid object: its TLP, its
 * scope and its category. Returns ERR_INVALID with the reason in why when
 * the rules refuse it.
 */
static err_t sharing_of(struct ingest *in, const struct prep *pr, struct obj_put *put,
			bool *defines_scope, char *why, size_t n)
{
	const struct agreement_rules *a = &in->rules->r;
	size_t n_tlp = 0, n_scope = 0;
	const char *type = astr(in, pr->type);
	err_t rc;

	*defines_scope = false;
	put->tlp = TLP_UNMARKED;
	put->scope_id = in->default_scope;
	put->category = in->default_category;

	if (in->rules->present) {
		char day[16];
		if (!policy_in_force(a, in->day)) {
			term_day_format(in->day, day);
			snprintf(why, n,
				 "agreement %s is not in force on %s: nothing new is shared "
				 "under it (Art. 4)",
				 in->rules->key, day);
			return ERR_INVALID;
		}
		if (!policy_is_member(a, in->who->org_id)) {
			snprintf(why, n,
				 "your organisation is not a party or community member of "
				 "agreement %s",
				 in->rules->key);
			return ERR_INVALID;
		}
	}

	const char *ref = astr(in, pr->refs);
	for (size_t k = 0; k < pr->n_refs; k++, ref += strlen(ref) + 1) {
		int64_t owner, scope;
		enum tlp t = policy_tlp_of_marking(ref);
		if (t != TLP_UNMARKED) {
			if (++n_tlp > 1) {
				snprintf(why, n, "more than one TLP marking (DESIGN.md §3.2)");
				return ERR_INVALID;
			}
			put->tlp = t;
			continue;
		}
		/* A scope marking refused in this envelope must not leave its
		 * objects under the (wider) collection default. */
		if (json_object_get(in->refused_markings, ref)) {
			snprintf(why, n, "its marking %s was refused (see that failure)", ref);
			return ERR_INVALID;
		}
		rc = store_scope_marking_find(in->c, ref, &owner, &scope);
		if (rc == ERR_NOTFOUND)
			continue; /* another kind of marking (PAP, a statement): carried as is */
		if (rc)
			return rc;
		if (owner != in->who->org_id) {
			snprintf(why, n,
				 "sharing scope %s belongs to another organisation: a scope "
				 "is set by the provider (Art. 3.1)",
				 ref);
			return ERR_INVALID;
		}
		if (++n_scope > 1) {
			snprintf(why, n, "more than one sharing scope marking");
			return ERR_INVALID;
		}
		put->scope_id = scope;
	}

	/* A scope marking-definition: its own audience is the scope it defines. */
	json_t *ext = pr->scope_ext;
	if (ext) {
		if (!pr->cbr_present) {
			snprintf(why, n,
				 "a sharing scope marking needs created_by_ref: the provider "
				 "that sets it (DESIGN.md §4.4)");
			return ERR_INVALID;
		}
		rc = scope_of_marking(in, ext, &put->scope_id, why, n);
		if (rc)
			return rc;
		*defines_scope = true;
	}

	if (pr->has_cat) {
		enum category c = (enum category)pr->cat;
		if (c == CAT_NONE) {
			snprintf(why, n,
				 "category extension: 'category' must be one of attack-methods, "
				 "threat-intelligence, recurrence-prevention, countermeasures, "
				 "research (Art. 2.2)");
			return ERR_INVALID;
		}
		put->category = c;
	}
	/* Markings carry no information of their own: no category to originate. */
	if (!strcmp(type, "marking-definition"))
		return ERR_OK;
	if (in->rules->present && put->category < 0) {
		snprintf(why, n,
			 "no information category: add the category extension (Art. 2.2), "
			 "or post to a collection that has a default one");
		return ERR_INVALID;
	}
	if (in->rules->present &&
	    !policy_may_originate(a, in->who->org_id, (enum category)put->category)) {
		snprintf(why, n,
			 "your organisation may not originate category '%s' under agreement "
			 "%s (%s)",
			 policy_category_key((enum category)put->category), in->rules->key,
			 policy_category_article((enum category)put->category));
		return ERR_INVALID;
	}
	return ERR_OK;
}

/* Whether the span holds a marking-definition (a cheap scan, no parse). */
static bool is_marking(const char *body, const struct stix_span *sp)
{
	char type[32];
	return stix_scan_member_string(body + sp->off, sp->len, "type", type, sizeof(type)) &&
	       !strcmp(type, "marking-definition");
}

/* The first pass over the object at span sp (the i'th): parse and validate. */
static err_t prep_one(struct ingest *in, const char *body, const struct stix_span *sp, size_t i,
		      struct prep *pr)
{
	struct stix_meta meta;
	char smsg[STIX_MSG_MAX], why[STIX_MSG_MAX + 64];
	json_t *obj = NULL;
	err_t rc;

	memset(pr, 0, sizeof(*pr));
	memset(&meta, 0, sizeof(meta));
	pr->vrc = stix_object_check(body + sp->off, sp->len, &in->app->limits, &obj, &meta, smsg);
	if (pr->vrc == ERR_NOMEM)
		return ERR_NOMEM;
	rc = aput(in, meta.id, &pr->id);
	if (!rc)
		rc = aput(in, meta.type, &pr->type);
	if (rc)
		goto out;
	if (pr->vrc) {
		pr->marking = is_marking(body, sp);
		snprintf(why, sizeof(why), "object %zu: %s", i + 1, smsg);
		rc = aput(in, why, &pr->msg);
		goto out;
	}
	pr->marking = !strcmp(meta.type, "marking-definition");
	pr->has_version = meta.has_version;
	pr->version = meta.version;
	rc = aput(in, meta.spec_version[0] ? meta.spec_version : "2.1", &pr->spec);
	if (rc)
		goto out;
	json_t *cbr = json_object_get(obj, "created_by_ref");
	pr->cbr_present = cbr != NULL;
	pr->cbr_bad = cbr && (!json_is_string(cbr) ||
			      strcmp(json_string_value(cbr), in->who->org_identity));
	size_t k;
	json_t *v;
	pr->refs = in->arena.len;
	json_array_foreach(json_object_get(obj, "object_marking_refs"), k, v)
	{
		const char *ref = json_string_value(v);
		size_t off;
		if (!ref)
			continue;
		rc = aput(in, ref, &off);
		if (rc)
			goto out;
		pr->n_refs++;
	}
	json_t *exts = json_object_get(obj, "extensions");
	json_t *cat = json_object_get(exts, EXT_CATEGORY);
	if (cat) {
		const char *key = json_string_value(json_object_get(cat, "category"));
		pr->has_cat = true;
		pr->cat = key ? (int)policy_category_parse(key) : (int)CAT_NONE;
	}
	json_t *ext = json_object_get(exts, EXT_SCOPE);
	if (ext && pr->marking) {
		pr->scope_ext = ext;
		pr->obj = obj; /* markings are few: keep the object for its scope */
		obj = NULL;
	}
out:
	json_decref(obj);
	return rc;
}

/*
 * The first pass is most of an envelope's CPU (json_loadb), and each object's
 * is independent of the others': the objects are cut into chunks, and the
 * writer and up to (processors - 1) helper threads of the whole process take
 * chunks until none is left. A chunk writes its strings into an arena of its
 * own; the arenas are joined in order afterwards, so the result is what one
 * thread would have made. With several writers the processors are busy
 * already and the helpers are few or none.
 */
#define PREP_CHUNK	  64
#define PREP_PARALLEL_MIN (2 * PREP_CHUNK)
#define PREP_HELPERS_MAX  16

static atomic_int prep_helpers; /* helper threads running, process-wide */

struct prep_run {
	const struct ingest *in;
	const char *body;
	const struct stix_span *spans;
	struct prep *preps;
	size_t n, n_chunks;
	atomic_size_t next; /* the next chunk to take */
	struct buf *arenas; /* one per chunk */
	err_t *rcs;	    /* one per chunk */
};

/* One past the last object of chunk k of n objects. */
static size_t chunk_end(size_t k, size_t n)
{
	return (k + 1) * PREP_CHUNK < n ? (k + 1) * PREP_CHUNK : n;
}

static void prep_chunks(struct prep_run *r)
{
	for (;;) {
		size_t k = atomic_fetch_add(&r->next, 1);
		if (k >= r->n_chunks)
			return;
		struct ingest local = *r->in;
		local.arena = r->arenas[k];
		size_t end = chunk_end(k, r->n);
		err_t rc = ERR_OK;
		for (size_t i = k * PREP_CHUNK; i < end && !rc; i++)
			rc = prep_one(&local, r->body, &r->spans[i], i, &r->preps[i]);
		r->arenas[k] = local.arena;
		r->rcs[k] = rc;
	}
}

static void *prep_helper(void *arg)
{
	prep_chunks(arg);
	atomic_fetch_sub(&prep_helpers, 1);
	return NULL;
}

static pthread_once_t prep_cpus_once = PTHREAD_ONCE_INIT;
static long prep_cpus;

/* sysconf reads /sys at every call: once per process is enough. */
static void prep_cpus_init(void)
{
	prep_cpus = sysconf(_SC_NPROCESSORS_ONLN);
}

/* How many helpers this envelope may start: processors - 1 in all. */
static int prep_helpers_take(size_t n_chunks)
{
	pthread_once(&prep_cpus_once, prep_cpus_init);
	int want = prep_cpus > 1 ? (int)(prep_cpus - 1) : 0;
	if (want > PREP_HELPERS_MAX)
		want = PREP_HELPERS_MAX;
	if ((size_t)want > n_chunks - 1)
		want = (int)(n_chunks - 1);
	int got = 0;
	while (got < want) {
		int cur = atomic_load(&prep_helpers);
		if (cur >= want)
			break;
		if (atomic_compare_exchange_weak(&prep_helpers, &cur, cur + 1))
			got++;
	}
	return got;
}

/* Runs prep_one over every object, on several processors when it pays. */
static err_t prep_all(struct ingest *in, const char *body, const struct stix_span *spans, size_t n,
		      struct prep *preps)
{
	err_t rc = ERR_OK;
	if (n < PREP_PARALLEL_MIN) {
		for (size_t i = 0; i < n && !rc; i++)
			rc = prep_one(in, body, &spans[i], i, &preps[i]);
		return rc;
	}
	struct prep_run r = {
		.in = in,
		.body = body,
		.spans = spans,
		.preps = preps,
		.n = n,
		.n_chunks = (n + PREP_CHUNK - 1) / PREP_CHUNK,
	};
	atomic_init(&r.next, 0);
	r.arenas = calloc(r.n_chunks, sizeof(*r.arenas));
	r.rcs = calloc(r.n_chunks, sizeof(*r.rcs));
	if (!r.arenas || !r.rcs) {
		free(r.arenas);
		free(r.rcs);
		return ERR_NOMEM;
	}
	for (size_t k = 0; k < r.n_chunks; k++)
		buf_init(&r.arenas[k], SIZE_MAX / 2);

	pthread_t tids[PREP_HELPERS_MAX];
	int started = 0, allowed = prep_helpers_take(r.n_chunks);
	for (; started < allowed; started++)
		if (pthread_create(&tids[started], NULL, prep_helper, &r))
			break;
	/* Those not started give their places back; the writer does the rest. */
	atomic_fetch_sub(&prep_helpers, allowed - started);
	prep_chunks(&r);
	for (int t = 0; t < started; t++)
		pthread_join(tids[t], NULL);

	/* Join the arenas in order and move each chunk's offsets with it. */
	for (size_t k = 0; k < r.n_chunks; k++) {
		if (!rc)
			rc = r.rcs[k];
		size_t base = in->arena.len;
		if (!rc && buf_add(&in->arena, r.arenas[k].data, r.arenas[k].len))
			rc = ERR_NOMEM;
		for (size_t i = k * PREP_CHUNK; i < chunk_end(k, n); i++) {
			preps[i].id += base;
			preps[i].type += base;
			preps[i].spec += base;
			preps[i].msg += base;
			preps[i].refs += base;
		}
		buf_release(&r.arenas[k]);
	}
	free(r.arenas);
	free(r.rcs);
	return rc;
}

/*
 * Appends s as a JSON string. The texts given are identifiers that passed
 * stix_id_valid and formatted timestamps: nothing to escape, as jansson would
 * write them.
 */
static err_t add_plain_string(struct buf *b, const char *s)
{
	err_t rc = buf_addc(b, '"');
	if (!rc)
		rc = buf_adds(b, s);
	if (!rc)
		rc = buf_addc(b, '"');
	return rc;
}

/* Records a stored (or already stored) object: status and audit entries. */
static err_t record_ok(struct ingest *in, const char *id, const char *ver, bool same, int64_t seq)
{
	err_t rc = ERR_OK;

	/* The status resource's record (§4.3.1), as json_dumps writes it. */
	if (in->doc_ok.len)
		rc |= buf_addc(&in->doc_ok, ',');
	rc |= buf_adds(&in->doc_ok, "{\"id\":");
	rc |= add_plain_string(&in->doc_ok, id);
	rc |= buf_adds(&in->doc_ok, ",\"version\":");
	rc |= add_plain_string(&in->doc_ok, ver);
	if (same)
		rc |= buf_adds(&in->doc_ok, ",\"message\":\"already stored; nothing changed\"");
	rc |= buf_addc(&in->doc_ok, '}');
	/* The audit's: the row's number lets disclosures name versions by it
	 * (taxii.c). */
	if (in->audit_stored.len)
		rc |= buf_addc(&in->audit_stored, ',');
	rc |= buf_addc(&in->audit_stored, '[');
	rc |= add_plain_string(&in->audit_stored, id);
	rc |= buf_addc(&in->audit_stored, ',');
	rc |= add_plain_string(&in->audit_stored, ver);
	if (!same)
		rc |= buf_addf(&in->audit_stored, ",%lld", (long long)seq);
	rc |= buf_addc(&in->audit_stored, ']');
	if (rc)
		return ERR_NOMEM;

	/* The status resource handed back to the caller. */
	json_t *d = json_object();
	if (!d)
		return ERR_NOMEM;
	if (json_object_set_new_nocheck(d, "id", json_string_nocheck(id)) ||
	    json_object_set_new_nocheck(d, "version", json_string_nocheck(ver)) ||
	    (same &&
	     json_object_set_new_nocheck(d, "message",
					 json_string_nocheck("already stored; nothing changed")))) {
		json_decref(d);
		return ERR_NOMEM;
	}
	return json_array_append_new(in->successes, d) ? ERR_NOMEM : ERR_OK;
}

/* Checks and stores the object that pr describes (the second pass, in the
 * transaction). */
static err_t ingest_one(struct ingest *in, const char *body, const struct stix_span *sp,
			const struct prep *pr)
{
	char why[STIX_MSG_MAX + 64], vbuf[TS_BUFSZ];
	const char *id = astr(in, pr->id);
	err_t rc;

	if (pr->vrc)
		return refuse(in, id, "", astr(in, pr->msg));
	if (pr->has_version)
		ingest_format_version(pr->version, vbuf);
	else
		vbuf[0] = '\0';
	/* DESIGN.md §3.2: nobody posts in another organisation's name. */
	if (pr->cbr_bad) {
		snprintf(why, sizeof(why),
			 "created_by_ref is not the identity of the posting organisation (%s)",
			 in->who->org_identity);
		return refuse(in, id, vbuf, why);
	}
	struct obj_put put = {
		.stix_id = id,
		.type = astr(in, pr->type),
		.spec_version = astr(in, pr->spec),
		.version = pr->version,
		.has_version = pr->has_version,
		.org_id = in->who->org_id,
		.body = body + sp->off,
		.body_len = sp->len,
	};
	bool defines_scope = false;
	rc = sharing_of(in, pr, &put, &defines_scope, why, sizeof(why));
	if (rc == ERR_INVALID)
		return refuse(in, id, vbuf, why);
	if (rc)
		return rc;

	enum obj_put_result res;
	int64_t date_added = in->who->one_date_added ? in->base : in->base + in->stored++;
	int64_t version, seq;
	rc = store_object_put(in->c, in->col->id, &put, date_added, &res, &version, &seq);
	if (rc)
		return rc;
	ingest_format_version(version, vbuf);
	switch (res) {
	case OBJ_PUT_ADDED:
	case OBJ_PUT_SAME:
		in->ok++;
		if (defines_scope) {
			rc = store_scope_marking_add(in->c, id, in->who->org_id, put.scope_id);
			if (rc)
				return rc;
		}
		/* §5.5: an exact duplicate MUST NOT be an error. */
		return record_ok(in, id, vbuf, res == OBJ_PUT_SAME, seq);
	case OBJ_PUT_CONFLICT:
		return refuse(in, id, vbuf,
			      "another object with this id and version is stored; a change needs "
			      "a later 'modified'");
	case OBJ_PUT_NOT_OWNER:
		return refuse(in, id, vbuf,
			      "this id was first shared by another organisation; only it may add "
			      "versions (DESIGN.md §3.2)");
	}
	return ERR_OK;
}

/* Appends the JSON text of v (compact, keys sorted when sort). */
static err_t add_dump(struct buf *b, json_t *v, bool sort)
{
	char *t = json_dumps(v, JSON_COMPACT | (sort ? JSON_SORT_KEYS : 0));
	if (!t)
		return ERR_NOMEM;
	err_t rc = buf_adds(b, t);
	free(t);
	return rc;
}

/*
 * The status resource's text, as json_dumps(st, JSON_COMPACT) writes it,
 * built from the records (the successes are most of it).
 */
static err_t status_doc(struct ingest *in, const char *uuid, const char *ts, size_t n,
			struct buf *b)
{
	err_t rc = ERR_OK;

	rc |= buf_addf(b,
		       "{\"id\":\"%s\",\"status\":\"complete\",\"request_timestamp\":\"%s\","
		       "\"total_count\":%zu,\"success_count\":%zu,\"failure_count\":%zu,"
		       "\"pending_count\":0",
		       uuid, ts, n, in->ok, in->bad);
	if (in->ok) {
		rc |= buf_adds(b, ",\"successes\":[");
		rc |= buf_add(b, in->doc_ok.data, in->doc_ok.len);
		rc |= buf_addc(b, ']');
	}
	if (in->bad) {
		rc |= buf_adds(b, ",\"failures\":");
		rc |= add_dump(b, in->failures, false);
	}
	rc |= buf_addc(b, '}');
	return rc ? ERR_NOMEM : ERR_OK;
}

/* The audit entry's detail, as audit_write writes it (compact, keys sorted). */
static err_t audit_detail(struct ingest *in, const char *uuid, struct buf *b)
{
	err_t rc = ERR_OK;

	rc |= buf_adds(b, "{\"refused\":");
	rc |= add_dump(b, in->audit_refused, true);
	rc |= buf_addf(b, ",\"status\":\"%s\",\"stored\":[", uuid);
	rc |= buf_add(b, in->audit_stored.data, in->audit_stored.len);
	rc |= buf_adds(b, "]}");
	return rc ? ERR_NOMEM : ERR_OK;
}

err_t ingest_envelope(struct app *app, struct store_conn *c, const struct ingest_who *who,
		      const struct collection *col, const char *body, size_t len, json_t **status,
		      char *msg, size_t msgsz)
{
	struct stix_span *spans = NULL;
	struct prep *preps = NULL;
	size_t n = 0;
	enum stix_envelope_kind kind;
	char smsg[STIX_MSG_MAX], vbuf[TS_BUFSZ], uuid[SEC_UUID_LEN + 1];
	json_t *st = NULL;
	struct buf doc, detail;
	int64_t now = app_now(app);
	struct ingest in = {.app = app, .c = c, .who = who, .col = col, .day = term_day_of(now)};
	err_t rc;

	*status = NULL;
	buf_init(&doc, SIZE_MAX / 2);
	buf_init(&detail, SIZE_MAX / 2);
	buf_init(&in.arena, SIZE_MAX / 2);
	buf_init(&in.audit_stored, SIZE_MAX / 2);
	buf_init(&in.doc_ok, SIZE_MAX / 2);
	rc = stix_envelope_split(body, len, &app->limits, &spans, &n, &kind, smsg);
	if (rc) {
		snprintf(msg, msgsz, "%s", smsg);
		return rc == ERR_NOMEM ? rc : (rc == ERR_TOOBIG ? ERR_TOOBIG : ERR_UNPROCESSABLE);
	}
	in.rules = malloc(sizeof(*in.rules));
	preps = calloc(n ? n : 1, sizeof(*preps));
	in.successes = json_array();
	in.failures = json_array();
	in.audit_refused = json_array();
	in.refused_markings = json_object();
	if (!in.rules || !preps || !in.successes || !in.failures || !in.audit_refused ||
	    !in.refused_markings) {
		rc = ERR_NOMEM;
		goto out;
	}

	/* Parse and validate before taking the write lock: the other writers
	 * store meanwhile. */
	rc = prep_all(&in, body, spans, n, preps);
	if (rc)
		goto out;

	rc = store_tx_begin(c);
	if (!rc)
		rc = agreements_rules(app, c, who->root_id, in.rules);
	if (!rc)
		rc = store_collection_defaults(c, col->id, &in.default_scope, &in.default_category);
	if (!rc)
		rc = store_next_date_added(c, col->id, now, &in.base);
	/* Scope markings first, so that objects of the same envelope can use them. */
	for (size_t i = 0; i < n && !rc; i++)
		if (preps[i].marking)
			rc = ingest_one(&in, body, &spans[i], &preps[i]);
	for (size_t i = 0; i < n && !rc; i++)
		if (!preps[i].marking)
			rc = ingest_one(&in, body, &spans[i], &preps[i]);
	if (rc)
		goto out;

	sec_uuid4(uuid);
	ts_format(now, vbuf);
	st = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I}", "id", uuid, "status", "complete",
		       "request_timestamp", vbuf, "total_count", (json_int_t)n, "success_count",
		       (json_int_t)in.ok, "failure_count", (json_int_t)in.bad, "pending_count",
		       (json_int_t)0);
	if (!st) {
		rc = ERR_NOMEM;
		goto out;
	}
	/* §2: empty lists are omitted, never sent as []. */
	if (in.ok && json_object_set(st, "successes", in.successes))
		rc = ERR_NOMEM;
	if (in.bad && json_object_set(st, "failures", in.failures))
		rc = ERR_NOMEM;
	if (!rc)
		rc = status_doc(&in, uuid, vbuf, n, &doc);
	if (rc)
		goto out;
	struct status_rec rec = {
		.root_id = who->root_id,
		.org_id = who->org_id,
		.request_time = now,
		.doc = buf_cstr(&doc),
		.doc_len = doc.len,
	};
	snprintf(rec.id, sizeof(rec.id), "%s", uuid);
	int64_t keep = (int64_t)app->cfg.status_retention_hours * 3600 * 1000000;
	/* Expired status resources go as new ones come: an indexed delete. */
	rc = store_status_purge(c, now);
	if (!rc)
		rc = store_status_put(c, &rec, now + keep);
	/* DESIGN.md §3.8: every accepted or refused write, in the same
	 * transaction. */
	if (!rc)
		rc = audit_detail(&in, uuid, &detail);
	if (!rc)
		rc = audit_write_text(app, c, "object.post", who->user_id, who->org_id, col->uuid,
				      buf_cstr(&detail));
out:
	rc = store_tx_end(c, rc);
	if (rc) {
		json_decref(st);
		st = NULL;
	}
	*status = st;
	for (size_t i = 0; preps && i < n; i++)
		json_decref(preps[i].obj);
	free(preps);
	free(spans);
	free(in.rules);
	buf_release(&doc);
	buf_release(&detail);
	buf_release(&in.arena);
	buf_release(&in.audit_stored);
	buf_release(&in.doc_ok);
	json_decref(in.successes);
	json_decref(in.failures);
	json_decref(in.audit_refused);
	json_decref(in.refused_markings);
	return rc;
}
