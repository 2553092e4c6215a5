/*
 * cmd_audit.c - 'renkei audit verify|show': the hash-chained audit log
 * (DESIGN.md §3.8). verify recomputes the whole chain and names the first
 * broken link; show lists entries, filtered inside the store's query, and
 * pages through them so that a long log never sits in memory at once.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/timeutil.h"
#include "cli.h"
#include "commands.h"
#include "../common/banned.h"

/* Entries per store query when show pages on its own. */
#define AUDIT_PAGE 1000
/* The most entries one --limit may ask for. */
#define AUDIT_LIMIT_MAX 1000000

static const char audit_help[] =
	"usage: renkei audit verify [--json]\n"
	"       renkei audit show [--from TS] [--to TS] [--org ORG] [--object ID]\n"
	"                         [--kind PREFIX] [--limit N] [--json]\n\n"
	"verify recomputes the hash chain of the whole audit log; it exits 0 when the\n"
	"chain holds and 1, naming the first entry that does not match, when it is\n"
	"broken.\n\n"
	"show prints the entries in order, one a line: sequence number, time, kind,\n"
	"user, organisation, object, detail. --from and --to (RFC 3339 UTC, e.g.\n"
	"2026-11-26T00:00:00Z, both included) bound the time; --org the acting\n"
	"organisation; --object what an entry is about (a STIX id, a name); --kind a\n"
	"prefix of the kind (share., agreement., admin.); --limit the number of\n"
	"entries (default: all). --json prints a JSON array.\n\n";

static void hex(const unsigned char *p, char out[65])
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < 32; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[64] = '\0';
}

/* Prints s with control characters shown as '?': an object or a user name
 * may come from a client (a failed login), and the terminal is the
 * operator's. */
static void print_clean(const char *s)
{
	for (; *s; s++)
		putchar((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
}

/* A small cache of names: the same few actors fill most of a log. */
#define NAME_SLOTS 64
struct names {
	struct {
		int64_t id;
		char name[STORE_NAME_MAX];
	} user[NAME_SLOTS], org[NAME_SLOTS];
};

static const char *user_name(struct store_conn *c, struct names *n, int64_t id)
{
	if (!id)
		return "-";
	size_t k = (size_t)id % NAME_SLOTS;
	if (n->user[k].id != id) {
		struct user u;
		n->user[k].id = id;
		snprintf(n->user[k].name, sizeof(n->user[k].name), "%s",
			 store_user_get(c, id, &u) ? "?" : u.name);
	}
	return n->user[k].name;
}

static const char *org_name(struct store_conn *c, struct names *n, int64_t id)
{
	if (!id)
		return "-";
	size_t k = (size_t)id % NAME_SLOTS;
	if (n->org[k].id != id) {
		struct org o;
		n->org[k].id = id;
		snprintf(n->org[k].name, sizeof(n->org[k].name), "%s",
			 store_org_get(c, id, &o) ? "?" : o.name);
	}
	return n->org[k].name;
}

/* s as a JSON string; a damaged row's bytes need not be UTF-8. */
static json_t *text(const char *s)
{
	json_t *j = json_string(s);
	return j ? j : json_string("(not UTF-8)");
}

struct show_ctx {
	struct store_conn *c;
	struct names *names;
	bool json;
	size_t n;	  /* entries printed */
	int64_t last_seq; /* for the next page */
	size_t page_n;	  /* entries of the current page */
};

static err_t show_one(void *ctx, const struct audit_row *r)
{
	struct show_ctx *s = ctx;
	char t[TS_BUFSZ];
	s->last_seq = r->seq;
	s->page_n++;
	if (s->json) {
		char prev[65], hash[65];
		ts_format(r->time, t);
		hex(r->prev, prev);
		hex(r->hash, hash);
		/* A detail that is not JSON (a damaged row) is shown as text. */
		json_t *d = json_loads(r->detail, JSON_DECODE_ANY, NULL);
		if (!d)
			d = text(r->detail);
		json_t *e = json_object();
		if (e) {
			json_object_set_new(e, "seq", json_integer(r->seq));
			json_object_set_new(e, "time", json_string(t));
			json_object_set_new(e, "kind", text(r->kind));
			json_object_set_new(e, "user",
					    r->user_id ? text(user_name(s->c, s->names, r->user_id))
						       : json_null());
			json_object_set_new(e, "user_id", json_integer(r->user_id));
			json_object_set_new(e, "org",
					    r->org_id ? text(org_name(s->c, s->names, r->org_id))
						      : json_null());
			json_object_set_new(e, "org_id", json_integer(r->org_id));
			json_object_set_new(e, "object", text(r->object));
			json_object_set_new(e, "detail", d);
			json_object_set_new(e, "prev", json_string(prev));
			json_object_set_new(e, "hash", json_string(hash));
		} else {
			json_decref(d);
		}
		char *out = e ? json_dumps(e, JSON_COMPACT) : NULL;
		json_decref(e);
		if (!out)
			return ERR_NOMEM;
		printf("%s\n  %s", s->n ? "," : "", out);
		free(out);
	} else {
		ts_format_ms(r->time, t);
		printf("%-6lld %s %-20s %-16s %-12s ", (long long)r->seq, t, r->kind,
		       user_name(s->c, s->names, r->user_id), org_name(s->c, s->names, r->org_id));
		print_clean(*r->object ? r->object : "-");
		putchar(' ');
		print_clean(r->detail);
		putchar('\n');
	}
	s->n++;
	return ERR_OK;
}

static bool parse_ts(const char *opt, const char *s, int64_t *out)
{
	if (ts_parse(s, strlen(s), out, NULL)) {
		cli_error("audit",
			  "--%s: an RFC 3339 UTC time such as 2026-11-26T00:00:00Z, not '%s'", opt,
			  s);
		return false;
	}
	return true;
}

static err_t do_show(struct store_conn *c, struct audit_filter *f, bool json)
{
	struct show_ctx s = {.c = c, .json = json};
	bool limited = f->limit > 0;
	err_t rc = ERR_OK;

	s.names = calloc(1, sizeof(*s.names));
	if (!s.names)
		return ERR_NOMEM;
	if (json)
		printf("[");
	do {
		if (!limited)
			f->limit = AUDIT_PAGE;
		s.page_n = 0;
		rc = store_audit_list(c, f, show_one, &s);
		f->after_seq = s.last_seq;
	} while (!rc && !limited && s.page_n == AUDIT_PAGE);
	if (json)
		printf("%s]\n", s.n ? "\n" : "");
	free(s.names);
	return rc;
}

int cmd_audit(int argc, char **argv)
{
	const char *from = NULL, *to = NULL, *org = NULL, *object = NULL, *kind = NULL,
		   *limit_s = NULL;
	bool json = false;
	struct cli_opt opts[] = {{"from", &from, NULL}, {"to", &to, NULL},
				 {"org", &org, NULL},	{"object", &object, NULL},
				 {"kind", &kind, NULL}, {"limit", &limit_s, NULL},
				 {"json", NULL, &json}, {NULL, NULL, NULL}};
	struct audit_filter f = {0};
	struct cli_args a;
	struct app app;
	struct store_conn *c = NULL;
	err_t rc = ERR_OK;

	if (!cli_parse("audit", argc, argv, opts, &a))
		return EXIT_USAGE;
	if (a.help || !a.n_pos) {
		printf("%s%s", audit_help, cli_common_help);
		return a.help ? EXIT_OK : EXIT_USAGE;
	}
	bool verify = !strcmp(a.pos[0], "verify");
	if (!verify && strcmp(a.pos[0], "show")) {
		cli_error("audit", "unknown subcommand '%s' (see --help)", a.pos[0]);
		return EXIT_USAGE;
	}
	if (a.n_pos != 1) {
		cli_error("audit", "%s takes no arguments (see --help)", a.pos[0]);
		return EXIT_USAGE;
	}
	if (verify && (from || to || org || object || kind || limit_s)) {
		cli_error("audit", "verify checks the whole chain: it takes no filter");
		return EXIT_USAGE;
	}
	if ((from && !parse_ts("from", from, &f.from)) || (to && !parse_ts("to", to, &f.to)))
		return EXIT_USAGE;
	if (from && to && f.from > f.to) {
		cli_error("audit", "--from is after --to");
		return EXIT_USAGE;
	}
	if (limit_s) {
		char *end = NULL;
		errno = 0;
		long long v = strtoll(limit_s, &end, 10);
		if (errno || !*limit_s || *end || v < 1 || v > AUDIT_LIMIT_MAX) {
			cli_error("audit", "--limit: a whole number from 1 to %d", AUDIT_LIMIT_MAX);
			return EXIT_USAGE;
		}
		f.limit = (size_t)v;
	}
	f.object = object;
	f.kind = kind;
	if (!cli_open(&a, false, &app))
		return EXIT_FAIL;
	store_conn_get(app.store, &c);
	if (verify) {
		int64_t broken = 0, n = 0;
		rc = store_audit_verify(c, &broken, &n);
		if (rc) {
			cli_error("audit", "verify failed: %s", err_name(rc));
		} else if (json) {
			json_t *o = json_pack("{s:b, s:I}", "intact", !broken, "entries",
					      (json_int_t)n);
			if (o && broken)
				json_object_set_new(o, "broken_at", json_integer(broken));
			char *s = o ? json_dumps(o, JSON_INDENT(2)) : NULL;
			if (s)
				printf("%s\n", s);
			free(s);
			json_decref(o);
		} else if (broken) {
			printf("audit chain broken at entry %lld (of %lld)\n", (long long)broken,
			       (long long)n);
		} else {
			printf("audit chain intact: %lld entr%s\n", (long long)n,
			       n == 1 ? "y" : "ies");
		}
		if (!rc && broken)
			rc = ERR_CONFLICT; /* exits 1: the chain does not hold */
		goto out;
	}
	if (org) {
		struct org o;
		rc = store_org_find(c, org, &o);
		if (rc) {
			cli_error("audit", rc == ERR_NOTFOUND ? "no organisation named '%s'" : "%s",
				  rc == ERR_NOTFOUND ? org : err_name(rc));
			goto out;
		}
		f.org_id = o.id;
	}
	rc = do_show(c, &f, json);
	if (rc)
		cli_error("audit", "show failed: %s", err_name(rc));
out:
	store_conn_put(app.store, c);
	app_close(&app);
	return cli_exit_code(rc);
}
