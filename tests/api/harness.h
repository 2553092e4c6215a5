/*
 * harness.h - what the API tests need to drive the real `renkei` binary: a
 * temporary demo hub, the CLI, `renkei serve` on 127.0.0.1 and an ephemeral
 * port, HTTP(S) through libcurl, STIX object builders, and the assertions
 * that every test repeats (the TAXII error resource, the media type).
 *
 * Depends on libcurl, jansson, cmocka and POSIX only, never on src/: the
 * tests talk to the server as any TAXII client would. The binary is $RENKEI_BIN
 * (default build/renkei, relative to the repository root, which must be the
 * working directory); the demo is $RENKEI_DEMO (default
 * examples/demo/demo.json). $RENKEI_TEST_KEEP=1 keeps the temporary directory (and
 * the server's log in it) for a post-mortem.
 *
 * $RENKEI_TEST_PG, when set, is the base DSN of a PostgreSQL cluster without a
 * database name (postgresql://USER@127.0.0.1:PORT, as scripts/pg.sh prints):
 * each hub then gets a fresh database of its own there, named in
 * DATA/renkei.conf before `renkei init`, and dropped when the hub is freed.
 * The harness reaches PostgreSQL through psql ($RENKEI_PSQL, default psql on
 * $PATH), so that no test links libpq.
 */
#ifndef RENKEI_TESTS_API_HARNESS_H
#define RENKEI_TESTS_API_HARNESS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define RK_TAXII "application/taxii+json;version=2.1"
#define RK_STIX	 "application/stix+json;version=2.1"
#define RK_ROOT	 "/kyotei-2024/"
#define RK_COLLS RK_ROOT "collections/"

/* Identity ids of the demo organisations (examples/demo/demo.json). */
#define RK_MOD_IDENTITY	 "identity--b37e34fd-a2d2-45d2-ab33-416af02d8c49"
#define RK_METI_IDENTITY "identity--5e45c7a4-f3d4-4be3-8e2b-e0602bcb07dd"

#define RK_PATH_MAX  256
#define RK_MAX_CREDS 32
#define RK_MAX_ARGS  24
#define RK_ID_MAX    96 /* "type--UUID" with room for long type names */

#define RK_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* One line of DIR/demo-credentials.txt, or a user a test added. */
struct rk_cred {
	char user[64];
	char org[64];
	char password[128];
	char token[128];
	char basic[256];  /* "Basic base64(user:password)" */
	char bearer[160]; /* "Bearer TOKEN" */
};

/* A temporary hub directory and, while it runs, its `renkei serve`. */
struct rk_hub {
	char dir[64];		/* mkdtemp'd under /tmp */
	char data[RK_PATH_MAX]; /* dir/data, given as --data */
	char port_file[RK_PATH_MAX];
	char log_file[RK_PATH_MAX]; /* stderr of every child, appended */
	char cafile[RK_PATH_MAX];   /* the certificate to trust; "" for http */
	pid_t pid;		    /* the running server; 0 when none */
	unsigned port;
	char url[64];		       /* "http://127.0.0.1:PORT" (or https) */
	char *serve_args[RK_MAX_ARGS]; /* extra flags of serve, kept for restarts */
	size_t n_serve_args;
	struct rk_cred creds[RK_MAX_CREDS];
	size_t n_creds;
	char db_name[64];	    /* its PostgreSQL database; "" on SQLite */
	char database[RK_PATH_MAX]; /* the DSN in DATA/renkei.conf; "" on SQLite */
	bool node;		    /* made by rk_hub_node(): shares another's hub */
};

/* ---- the hub and its processes ---- */

/*
 * Makes a temporary directory and a demo hub in it (renkei init --demo
 * $RENKEI_DEMO) and reads the demo credentials. Returns a heap
 * hub that rk_hub_free() releases, or NULL (with a message on stderr).
 */
struct rk_hub *rk_hub_new(void);

/*
 * Kills a server still running (SIGKILL, then waits for it), drops the hub's
 * PostgreSQL database and removes the temporary directory (neither when
 * $RENKEI_TEST_KEEP is set) and frees h. For a hub of rk_hub_node(), only
 * kills its server and frees it. Accepts NULL.
 */
void rk_hub_free(struct rk_hub *h);

/*
 * When $RENKEI_TEST_PG is set: creates a fresh, empty database for h in that
 * cluster, makes h->data and writes DATA/renkei.conf naming the database,
 * and records it in h->db_name and h->database (rk_hub_free() drops it).
 * Otherwise does nothing. h->dir, h->data and h->log_file must be set; call
 * it before `renkei init`. rk_hub_new() calls it; a test that builds its
 * own hub calls it too. Returns 0, or -1 (with a message on stderr).
 */
int rk_hub_db_prepare(struct rk_hub *h);

/* Whether h's hub lives on PostgreSQL. */
bool rk_hub_is_pg(const struct rk_hub *h);

/*
 * Another node of h's hub: a heap hub that shares h's data directory (so
 * its renkei.conf and database), with h's credentials as they are now, but
 * a port file and log of its own in h's directory, for a second
 * `renkei serve` beside h's (rk_serve_start() on it, then rk_get() and the
 * rest on it reach that node). Free it with rk_hub_free() before h. Returns
 * NULL when out of memory.
 */
struct rk_hub *rk_hub_node(struct rk_hub *h);

/*
 * Runs one SQL text on the hub's database as its owner: through psql on
 * PostgreSQL, through the sqlite3 shell on DATA/renkei.db otherwise. Stores
 * what it prints (psql -At: one row a line, columns joined by '|'),
 * NUL-terminated and owned by the caller, in *out when out is not NULL.
 * Returns the program's exit code (0 when every statement succeeded), or -1.
 */
int rk_sql(struct rk_hub *h, char **out, const char *sql);

/*
 * Runs `renkei ARGS... --data DIR` to completion, with input (when not NULL)
 * on its standard input. Stores its standard output, NUL-terminated and
 * owned by the caller, in *out when out is not NULL; its standard error goes
 * to the hub's log. The argument list ends with NULL. Returns the exit code,
 * 128 + the signal when it died of one, or -1 when it could not be run.
 */
int rk_cli(struct rk_hub *h, const char *input, char **out, ...) __attribute__((sentinel));

/*
 * Runs PROG ARGS... (found on $PATH; the list ends with NULL) as rk_cli()
 * does, without adding --data. Returns as rk_cli().
 */
int rk_run(struct rk_hub *h, char **out, const char *prog, ...) __attribute__((sentinel));

/*
 * Adds user NAME of organisation ORG (roles "reader,analyst") with password
 * PASSWORD and one API token, and records the credentials for rk_cred().
 * Returns 0, or -1 when a command failed.
 */
int rk_add_user(struct rk_hub *h, const char *name, const char *org, const char *password);

/*
 * Creates an API token for user and returns it in tok (and its id in *id
 * when id is not NULL). Returns 0 or -1.
 */
int rk_token_create(struct rk_hub *h, const char *user, char tok[128], long *id);

/*
 * Starts `renkei serve --data DIR --port 0 --port-file F` plus the extra
 * flags (a NULL-terminated list, remembered for rk_serve_restart()), then
 * waits until the port file is written and /healthz answers 200. When the
 * extra flags contain --tls-cert, h->url is https and h->cafile must name
 * the certificate to trust. Returns 0, or -1 when the server did not come
 * up within 30 s (it is then killed).
 */
int rk_serve_start(struct rk_hub *h, ...) __attribute__((sentinel));

/* As rk_serve_start() with the flags of the previous start. */
int rk_serve_start_again(struct rk_hub *h);

/*
 * Sends SIGTERM and waits (at most 60 s, then SIGKILL) for the server to
 * end. Returns its exit code, 128 + the signal that ended it, or -1 when no
 * server was running.
 */
int rk_serve_stop(struct rk_hub *h);

/* Stops (expecting exit 0) and starts again with the same flags: 0 or -1. */
int rk_serve_restart(struct rk_hub *h);

/* How many times needle occurs in the hub's log (the stderr of every child
 * so far): a test waits for a count to grow to see the server react. */
int rk_log_count(const struct rk_hub *h, const char *needle);

/* The credentials of user, or NULL for a user nobody made. */
const struct rk_cred *rk_cred(const struct rk_hub *h, const char *user);

/* "Basic base64(user:secret)" into out (size n). */
void rk_basic(const char *user, const char *secret, char *out, size_t n);

/* ---- HTTP ---- */

struct rk_req {
	const char *method;	  /* NULL: GET, or POST when body is set */
	const char *path;	  /* path and query; '[' ']' are %-encoded */
	const char *auth;	  /* the Authorization value; NULL: none */
	const char *accept;	  /* NULL: RK_TAXII; "": no Accept header */
	const char *content_type; /* with a body: NULL: RK_TAXII; "": none */
	const char *body;
	size_t len;
	bool chunked;	      /* send the body without Content-Length */
	const char *base_url; /* NULL: h->url */
	const char *cafile;   /* NULL: h->cafile; "": the system's */
	long ssl_version;     /* CURLOPT_SSLVERSION value; 0: default */
	long timeout_ms;      /* the whole transfer; 0: 120 s */
};

struct rk_resp {
	long status; /* 0 when the transfer failed */
	char *body;  /* NUL-terminated; never NULL after rk_request */
	size_t len;
	char content_type[256];
	char www_authenticate[256];
	char allow[128];
	char date_first[64]; /* X-TAXII-Date-Added-First; "" when absent */
	char date_last[64];  /* X-TAXII-Date-Added-Last */
	bool has_date_first, has_date_last;
	json_t *json;	 /* the body parsed, or NULL */
	char error[256]; /* libcurl's message when status is 0 */
};

/*
 * Performs one request on a fresh connection (thread-safe; 120 s timeout) and
 * fills *r, which rk_resp_release() empties. Returns 0 when an HTTP answer
 * came, -1 when the transfer failed (r->status 0, r->error says why).
 */
int rk_request(const struct rk_hub *h, const struct rk_req *rq, struct rk_resp *r);

void rk_resp_release(struct rk_resp *r);

/* GET, POST (TAXII media type) and DELETE as user (Basic with password).
 * The path is a printf format. Return as rk_request(). */
int rk_get(const struct rk_hub *h, struct rk_resp *r, const char *user, const char *fmt, ...)
	RK_PRINTF(4, 5);
int rk_post(const struct rk_hub *h, struct rk_resp *r, const char *user, const char *body,
	    const char *fmt, ...) RK_PRINTF(5, 6);
int rk_delete(const struct rk_hub *h, struct rk_resp *r, const char *user, const char *fmt, ...)
	RK_PRINTF(4, 5);

/* ---- assertions (cmocka) ---- */

/* Asserts the TAXII media type (with version=2.1) as the Content-Type. */
void rk_assert_taxii_type(const struct rk_resp *r);

/*
 * Asserts an error answer: this status, the TAXII media type, and a body that
 * is a TAXII error resource (§3.6.1: title a string; description a string
 * when present; http_status, when present, the status as a string).
 */
void rk_assert_error(const struct rk_resp *r, long status);

/* Asserts status 200 and the TAXII media type, and returns r->json. */
json_t *rk_assert_ok(const struct rk_resp *r);

/* Whether s is "YYYY-MM-DDTHH:MM:SS.ffffffZ" (exactly six digits). */
bool rk_is_micro_ts(const char *s);

/* ts ("YYYY-MM-DDTHH:MM:SS[.f]Z") moved by delta microseconds, written in
 * the six-digit form to out. */
void rk_ts_shift(const char *ts, long delta, char out[64]);

/* ---- STIX ---- */

/* A fresh version 4 UUID, lower case. */
void rk_uuid4(char out[37]);

/* What rk_stix() builds. */
struct rk_obj {
	const char *type;	    /* "indicator" (default) or "campaign" */
	const char *id;		    /* NULL: a fresh type--UUID */
	const char *created;	    /* NULL: the modified time */
	const char *modified;	    /* NULL: "2025-01-01T00:00:00.000Z" */
	const char *name;	    /* NULL: "test object"; any UTF-8 */
	const char *description;    /* NULL: none */
	const char *created_by_ref; /* NULL: none */
	const char *spec_version;   /* NULL: "2.1" */
};

/*
 * The object o as compact JSON (keys in a fixed order, strings escaped as
 * JSON needs, UTF-8 kept as is), malloc'd for the caller. Writes its id to
 * id_out when not NULL.
 */
char *rk_stix(const struct rk_obj *o, char id_out[RK_ID_MAX]);

/* An indicator with a fresh id and the given modified (also created). */
char *rk_indicator(const char *modified, char id_out[RK_ID_MAX]);

/* {"objects":[o0,o1,...]} of n objects, malloc'd. */
char *rk_envelope(char *const *objs, size_t n);

/* ---- strings ---- */

struct rk_sb {
	char *s;
	size_t len, cap;
};

void rk_sb_add(struct rk_sb *b, const char *s, size_t n);
void rk_sb_adds(struct rk_sb *b, const char *s);
void rk_sb_addf(struct rk_sb *b, const char *fmt, ...) RK_PRINTF(2, 3);
void rk_sb_release(struct rk_sb *b);

/* Writes n bytes to path: 0 or -1. */
int rk_write_file(const char *path, const char *data, size_t n);

/* ---- queries over a whole collection ---- */

/*
 * Walks GET path (a manifest or objects URL with its own query, without
 * '?limit' - the walk adds limit and next) as user, limit records a page,
 * appending every record's id to ids (a JSON array, owned by the caller) and
 * returning the number of pages, or -1 on an unexpected answer. Stops after
 * max_pages.
 */
long rk_walk(const struct rk_hub *h, const char *user, const char *path, unsigned limit,
	     json_t *ids, long max_pages);

/* The value of the Prometheus sample named series (name and labels exactly
 * as the line shows them, e.g. 'x{a="b"}'), or -1 when there is none. */
double rk_metric(const char *text, const char *series);

/* Milliseconds on a monotonic clock. */
int64_t rk_now_ms(void);

#endif
