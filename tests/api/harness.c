/*
 * harness.c - the API tests' hub, processes, HTTP client and STIX builders
 * (see harness.h for the contracts).
 *
 * Depends on libcurl, jansson, cmocka and POSIX only, never on src/ (nor on
 * libpq: PostgreSQL is reached through psql). Every child is started with
 * PR_SET_PDEATHSIG, so that a test program that dies (a crash, a failed
 * assertion in a setup) never leaves a server running.
 */
#include "harness.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#define START_TIMEOUT_MS  30000
#define STOP_TIMEOUT_MS	  60000
#define REQUEST_TIMEOUT_S 120L

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_ALL);
}

int64_t rk_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static const char *renkei_bin(void)
{
	const char *b = getenv("RENKEI_BIN");
	return b && *b ? b : "build/renkei";
}

/* ---- strings ---- */

void rk_sb_add(struct rk_sb *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->s, cap);
		if (!p)
			abort(); /* a test machine out of memory: nothing to recover */
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void rk_sb_adds(struct rk_sb *b, const char *s)
{
	rk_sb_add(b, s, strlen(s));
}

void rk_sb_addf(struct rk_sb *b, const char *fmt, ...)
{
	va_list ap;
	char small[512];
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		rk_sb_add(b, small, (size_t)n);
		return;
	}
	char *big = malloc((size_t)n + 1);
	if (!big)
		abort();
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	rk_sb_add(b, big, (size_t)n);
	free(big);
}

void rk_sb_release(struct rk_sb *b)
{
	free(b->s);
	memset(b, 0, sizeof(*b));
}

int rk_write_file(const char *path, const char *data, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	size_t w = fwrite(data, 1, n, f);
	if (fclose(f) || w != n)
		return -1;
	return 0;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct rk_sb b = {0};
	char chunk[4096];
	size_t n;
	if (!f)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		rk_sb_add(&b, chunk, n);
	fclose(f);
	if (!b.s)
		rk_sb_add(&b, "", 0);
	return b.s;
}

/* ---- base64 (for Basic credentials) ---- */

void rk_basic(const char *user, const char *secret, char *out, size_t n)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char plain[512];
	int pl = snprintf(plain, sizeof(plain), "%s:%s", user, secret);
	size_t len = pl < 0 ? 0 : (size_t)pl, o = 0;
	int w = snprintf(out, n, "Basic ");
	o = w < 0 ? 0 : (size_t)w;
	for (size_t i = 0; i < len && o + 5 < n; i += 3) {
		unsigned v = (unsigned char)plain[i] << 16;
		if (i + 1 < len)
			v |= (unsigned char)plain[i + 1] << 8;
		if (i + 2 < len)
			v |= (unsigned char)plain[i + 2];
		out[o++] = tab[(v >> 18) & 63];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = i + 1 < len ? tab[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < len ? tab[v & 63] : '=';
	}
	out[o] = '\0';
}

/* ---- processes ---- */

/* In the child: die with the test program, and send stderr to the log. */
static void child_setup(const struct rk_hub *h, pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	int fd = open(h->log_file, O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (fd >= 0) {
		dup2(fd, 2);
		close(fd);
	}
}

static int exit_code(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return -1;
}

static int run_argv(struct rk_hub *h, const char *input, char **out, char **argv)
{
	int in[2] = {-1, -1}, outp[2] = {-1, -1};
	pid_t parent = getpid();
	struct rk_sb b = {0};

	if (out)
		*out = NULL;
	if (pipe(in) || pipe(outp)) {
		perror("pipe");
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		return -1;
	}
	if (pid == 0) {
		child_setup(h, parent);
		dup2(in[0], 0);
		dup2(outp[1], 1);
		close(in[0]);
		close(in[1]);
		close(outp[0]);
		close(outp[1]);
		execvp(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(outp[1]);
	/* Input is small (a password): it fits in the pipe before we read. */
	if (input) {
		size_t len = strlen(input);
		ssize_t w = write(in[1], input, len);
		(void)w;
	}
	close(in[1]);
	char chunk[4096];
	ssize_t n;
	while ((n = read(outp[0], chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		rk_sb_add(&b, chunk, (size_t)n);
	}
	close(outp[0]);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!b.s)
		rk_sb_add(&b, "", 0);
	if (out)
		*out = b.s;
	else
		free(b.s);
	return exit_code(st);
}

int rk_cli(struct rk_hub *h, const char *input, char **out, ...)
{
	char *argv[RK_MAX_ARGS + 4];
	size_t n = 0;
	va_list ap;

	argv[n++] = (char *)renkei_bin();
	va_start(ap, out);
	for (const char *a; (a = va_arg(ap, const char *)) && n < RK_MAX_ARGS;)
		argv[n++] = (char *)a;
	va_end(ap);
	argv[n++] = (char *)"--data";
	argv[n++] = h->data;
	argv[n] = NULL;
	return run_argv(h, input, out, argv);
}

int rk_run(struct rk_hub *h, char **out, const char *prog, ...)
{
	char *argv[RK_MAX_ARGS + 2];
	size_t n = 0;
	va_list ap;

	argv[n++] = (char *)prog;
	va_start(ap, prog);
	for (const char *a; (a = va_arg(ap, const char *)) && n < RK_MAX_ARGS;)
		argv[n++] = (char *)a;
	va_end(ap);
	argv[n] = NULL;
	return run_argv(h, NULL, out, argv);
}

static void rm_tree(const char *dir);

/* ---- the hub's database ---- */

static const char *psql_bin(void)
{
	const char *b = getenv("RENKEI_PSQL");
	return b && *b ? b : "psql";
}

static bool keep_files(void)
{
	const char *keep = getenv("RENKEI_TEST_KEEP");
	return keep && *keep && strcmp(keep, "0");
}

/* base (a DSN without a database name, perhaps with ?options) with the
 * database db: "postgresql://u@h:p" + "x" is "postgresql://u@h:p/x". */
static int pg_dsn(const char *base, const char *db, char *out, size_t n)
{
	size_t qpos = strcspn(base, "?"), len = qpos;
	while (len && base[len - 1] == '/')
		len--;
	int w = snprintf(out, n, "%.*s/%s%s", (int)len, base, db, base + qpos);
	return w < 0 || (size_t)w >= n ? -1 : 0;
}

bool rk_hub_is_pg(const struct rk_hub *h)
{
	return h->db_name[0] != '\0';
}

int rk_hub_db_prepare(struct rk_hub *h)
{
	static unsigned seq;
	const char *base = getenv("RENKEI_TEST_PG");
	char admin[RK_PATH_MAX], sql[128], conf[RK_PATH_MAX + 32], text[RK_PATH_MAX + 64];

	if (!base || !*base)
		return 0;
	unsigned n = __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED);
	snprintf(h->db_name, sizeof(h->db_name), "renkei_t_%ld_%u", (long)getpid(), n);
	if (pg_dsn(base, h->db_name, h->database, sizeof(h->database)) ||
	    pg_dsn(base, "postgres", admin, sizeof(admin))) {
		fprintf(stderr, "harness: RENKEI_TEST_PG too long: %s\n", base);
		goto fail;
	}
	if (mkdir(h->data, 0700) && errno != EEXIST) {
		fprintf(stderr, "harness: mkdir %s: %s\n", h->data, strerror(errno));
		goto fail;
	}
	/* The name is ours (digits and '_'): no quoting needed. */
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", h->db_name);
	int rc = rk_run(h, NULL, psql_bin(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", admin, "-c",
			sql, NULL);
	if (rc != 0) {
		fprintf(stderr, "harness: %s on %s failed (%d); see %s\n", sql, base, rc,
			h->log_file);
		goto fail;
	}
	snprintf(conf, sizeof(conf), "%s/renkei.conf", h->data);
	int len = snprintf(text, sizeof(text),
			   "# the test harness: a database of this hub's own\n"
			   "database = %s\n",
			   h->database);
	if (len < 0 || (size_t)len >= sizeof(text) || rk_write_file(conf, text, (size_t)len)) {
		fprintf(stderr, "harness: cannot write %s\n", conf);
		h->database[0] = '\0'; /* still drop what was created */
		return -1;
	}
	return 0;
fail:
	h->db_name[0] = '\0';
	h->database[0] = '\0';
	return -1;
}

/* Drops h's database (after its servers are gone; FORCE ends any session
 * left, a second node's say). */
static void db_drop(struct rk_hub *h)
{
	const char *base = getenv("RENKEI_TEST_PG");
	char admin[RK_PATH_MAX], sql[128];

	if (!h->db_name[0] || !base || !*base)
		return;
	if (keep_files()) {
		fprintf(stderr, "harness: kept database %s\n", h->db_name);
		return;
	}
	if (pg_dsn(base, "postgres", admin, sizeof(admin)))
		return;
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", h->db_name);
	if (rk_run(h, NULL, psql_bin(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", admin, "-c", sql,
		   NULL))
		fprintf(stderr, "harness: %s failed\n", sql);
	h->db_name[0] = '\0';
}

int rk_sql(struct rk_hub *h, char **out, const char *sql)
{
	if (out)
		*out = NULL;
	if (rk_hub_is_pg(h))
		return rk_run(h, out, psql_bin(), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
			      "-d", h->database, "-c", sql, NULL);
	char path[RK_PATH_MAX + 16];
	snprintf(path, sizeof(path), "%s/renkei.db", h->data);
	return rk_run(h, out, "sqlite3", "-batch", "-bail", path, sql, NULL);
}

struct rk_hub *rk_hub_node(struct rk_hub *h)
{
	static unsigned seq = 1;
	struct rk_hub *n = malloc(sizeof(*n));
	if (!n)
		return NULL;
	*n = *h;
	unsigned k = __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED);
	n->node = true;
	n->pid = 0;
	n->port = 0;
	n->url[0] = '\0';
	memset(n->serve_args, 0, sizeof(n->serve_args));
	n->n_serve_args = 0;
	snprintf(n->port_file, sizeof(n->port_file), "%s/port-node%u", h->dir, k);
	snprintf(n->log_file, sizeof(n->log_file), "%s/renkei-node%u.log", h->dir, k);
	return n;
}

/* Fills the ready-made Authorization values of c from its secrets. */
static void cred_finish(struct rk_cred *c)
{
	char tmp[sizeof(c->bearer)];
	rk_basic(c->user, c->password, c->basic, sizeof(c->basic));
	snprintf(tmp, sizeof(tmp), "Bearer %s", c->token);
	memcpy(c->bearer, tmp, sizeof(tmp));
}

struct rk_hub *rk_hub_new(void)
{
	struct rk_hub *h = calloc(1, sizeof(*h));
	char *out = NULL;

	pthread_once(&curl_once, curl_init_once);
	if (!h)
		return NULL;
	snprintf(h->dir, sizeof(h->dir), "/tmp/renkei-api.XXXXXX");
	if (!mkdtemp(h->dir)) {
		perror("mkdtemp");
		free(h);
		return NULL;
	}
	snprintf(h->data, sizeof(h->data), "%s/data", h->dir);
	snprintf(h->port_file, sizeof(h->port_file), "%s/port", h->dir);
	snprintf(h->log_file, sizeof(h->log_file), "%s/renkei.log", h->dir);
	if (rk_hub_db_prepare(h))
		goto fail;
	const char *demo = getenv("RENKEI_DEMO");
	if (!demo || !*demo)
		demo = "examples/demo/demo.json";
	int rc = rk_cli(h, NULL, &out, "init", "--demo", demo, NULL);
	free(out);
	if (rc != 0) {
		fprintf(stderr, "harness: renkei init --demo failed (%d); see %s\n", rc,
			h->log_file);
		goto fail;
	}

	char path[RK_PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/demo-credentials.txt", h->data);
	char *text = read_file(path);
	if (!text) {
		fprintf(stderr, "harness: cannot read %s\n", path);
		goto fail;
	}
	/* A header line, then "user org password token". */
	char *save = NULL, *line = strtok_r(text, "\n", &save);
	for (line = line ? strtok_r(NULL, "\n", &save) : NULL; line && h->n_creds < RK_MAX_CREDS;
	     line = strtok_r(NULL, "\n", &save)) {
		struct rk_cred *c = &h->creds[h->n_creds];
		if (sscanf(line, "%63s %63s %127s %127s", c->user, c->org, c->password, c->token) !=
		    4)
			continue;
		cred_finish(c);
		h->n_creds++;
	}
	free(text);
	if (h->n_creds < 7) {
		fprintf(stderr, "harness: only %zu demo credentials\n", h->n_creds);
		goto fail;
	}
	return h;
fail:
	db_drop(h);
	rm_tree(h->dir);
	free(h);
	return NULL;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void rm_tree(const char *dir)
{
	if (keep_files()) {
		fprintf(stderr, "harness: kept %s\n", dir);
		return;
	}
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void rk_hub_free(struct rk_hub *h)
{
	if (!h)
		return;
	if (h->pid > 0) {
		kill(h->pid, SIGKILL);
		while (waitpid(h->pid, NULL, 0) < 0 && errno == EINTR)
			;
		h->pid = 0;
	}
	for (size_t i = 0; i < h->n_serve_args; i++)
		free(h->serve_args[i]);
	if (!h->node) {
		db_drop(h);
		rm_tree(h->dir);
	}
	free(h);
}

const struct rk_cred *rk_cred(const struct rk_hub *h, const char *user)
{
	for (size_t i = 0; i < h->n_creds; i++)
		if (!strcmp(h->creds[i].user, user))
			return &h->creds[i];
	return NULL;
}

int rk_token_create(struct rk_hub *h, const char *user, char tok[128], long *id)
{
	char *out = NULL;
	int rc = rk_cli(h, NULL, &out, "token", "create", user, NULL);
	const char *t = out ? strstr(out, "rk_") : NULL;
	const char *n = out ? strstr(out, "token ") : NULL;
	tok[0] = '\0';
	if (rc == 0 && t) {
		size_t len = strcspn(t, " \r\n");
		if (len >= 128)
			len = 127;
		memcpy(tok, t, len);
		tok[len] = '\0';
	}
	if (id)
		*id = n ? strtol(n + 6, NULL, 10) : -1;
	free(out);
	return rc == 0 && tok[0] ? 0 : -1;
}

int rk_add_user(struct rk_hub *h, const char *name, const char *org, const char *password)
{
	char in[256];
	if (h->n_creds == RK_MAX_CREDS)
		return -1;
	snprintf(in, sizeof(in), "%s\n", password);
	if (rk_cli(h, in, NULL, "user", "add", name, "--org", org, "--roles", "reader,analyst",
		   "--password-stdin", NULL))
		return -1;
	struct rk_cred *c = &h->creds[h->n_creds];
	memset(c, 0, sizeof(*c));
	snprintf(c->user, sizeof(c->user), "%s", name);
	snprintf(c->org, sizeof(c->org), "%s", org);
	snprintf(c->password, sizeof(c->password), "%s", password);
	if (rk_token_create(h, name, c->token, NULL))
		return -1;
	cred_finish(c);
	h->n_creds++;
	return 0;
}

/* Whether the server answers GET /healthz with 200. */
static bool healthy(const struct rk_hub *h)
{
	struct rk_resp r;
	struct rk_req rq = {.path = "/healthz", .accept = ""};
	bool ok = rk_request(h, &rq, &r) == 0 && r.status == 200;
	rk_resp_release(&r);
	return ok;
}

/* Copies the end of the hub's log to stderr, for a failure's post-mortem. */
static void log_tail(const struct rk_hub *h)
{
	char *text = read_file(h->log_file);
	if (!text)
		return;
	size_t len = strlen(text), from = len > 3000 ? len - 3000 : 0;
	fprintf(stderr, "---- end of %s ----\n%s\n----\n", h->log_file, text + from);
	free(text);
}

int rk_log_count(const struct rk_hub *h, const char *needle)
{
	char *text = read_file(h->log_file);
	int n = 0;
	for (const char *p = text; p && (p = strstr(p, needle)); p += strlen(needle))
		n++;
	free(text);
	return n;
}

int rk_serve_start_again(struct rk_hub *h)
{
	char *argv[RK_MAX_ARGS + 16];
	size_t n = 0;
	pid_t parent = getpid();
	bool tls = false;

	if (h->pid > 0)
		return -1;
	argv[n++] = (char *)renkei_bin();
	argv[n++] = (char *)"serve";
	argv[n++] = (char *)"--data";
	argv[n++] = h->data;
	argv[n++] = (char *)"--port";
	argv[n++] = (char *)"0";
	argv[n++] = (char *)"--port-file";
	argv[n++] = h->port_file;
	for (size_t i = 0; i < h->n_serve_args; i++) {
		if (!strcmp(h->serve_args[i], "--tls-cert"))
			tls = true;
		argv[n++] = h->serve_args[i];
	}
	argv[n] = NULL;
	unlink(h->port_file);
	h->port = 0;

	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		return -1;
	}
	if (pid == 0) {
		child_setup(h, parent);
		int fd = open("/dev/null", O_RDWR);
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(2, 1); /* the log line goes to the log too */
			close(fd);
		}
		execv(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	h->pid = pid;

	int64_t until = rk_now_ms() + START_TIMEOUT_MS;
	while (rk_now_ms() < until) {
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			fprintf(stderr, "harness: renkei serve exited (%d) at start\n",
				exit_code(st));
			log_tail(h);
			h->pid = 0;
			return -1;
		}
		if (!h->port) {
			char *s = read_file(h->port_file);
			unsigned long p = 0;
			if (s && strchr(s, '\n'))
				p = strtoul(s, NULL, 10);
			free(s);
			if (p > 0 && p < 65536) {
				h->port = (unsigned)p;
				snprintf(h->url, sizeof(h->url), "%s://127.0.0.1:%u",
					 tls ? "https" : "http", h->port);
			}
		}
		if (h->port && healthy(h))
			return 0;
		sleep_ms(20);
	}
	fprintf(stderr, "harness: renkei serve did not come up in %d ms\n", START_TIMEOUT_MS);
	log_tail(h);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	h->pid = 0;
	return -1;
}

int rk_serve_start(struct rk_hub *h, ...)
{
	va_list ap;
	for (size_t i = 0; i < h->n_serve_args; i++)
		free(h->serve_args[i]);
	h->n_serve_args = 0;
	va_start(ap, h);
	for (const char *a; (a = va_arg(ap, const char *)) && h->n_serve_args < RK_MAX_ARGS;)
		h->serve_args[h->n_serve_args++] = strdup(a);
	va_end(ap);
	return rk_serve_start_again(h);
}

int rk_serve_stop(struct rk_hub *h)
{
	int st = 0;
	if (h->pid <= 0)
		return -1;
	kill(h->pid, SIGTERM);
	int64_t until = rk_now_ms() + STOP_TIMEOUT_MS;
	for (;;) {
		pid_t w = waitpid(h->pid, &st, WNOHANG);
		if (w == h->pid)
			break;
		if (w < 0 && errno != EINTR) {
			h->pid = 0;
			return -1;
		}
		if (rk_now_ms() > until) {
			fprintf(stderr, "harness: renkei serve ignored SIGTERM for %d ms\n",
				STOP_TIMEOUT_MS);
			kill(h->pid, SIGKILL);
			waitpid(h->pid, &st, 0);
			break;
		}
		sleep_ms(10);
	}
	h->pid = 0;
	int rc = exit_code(st);
	if (rc != 0) {
		fprintf(stderr, "harness: renkei serve exited with %d on SIGTERM\n", rc);
		log_tail(h);
	}
	return rc;
}

int rk_serve_restart(struct rk_hub *h)
{
	if (rk_serve_stop(h) != 0)
		return -1;
	return rk_serve_start_again(h);
}

/* ---- HTTP ---- */

struct xfer {
	struct rk_resp *r;
	struct rk_sb body;
	const char *up; /* a chunked upload's data */
	size_t up_len, up_off;
};

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
	struct xfer *x = ud;
	rk_sb_add(&x->body, p, size * nmemb);
	return size * nmemb;
}

static void header_value(const char *p, size_t n, size_t name_len, char *out, size_t outsz,
			 bool *has)
{
	const char *v = p + name_len;
	size_t len = n - name_len;
	while (len && (*v == ' ' || *v == '\t')) {
		v++;
		len--;
	}
	while (len && (v[len - 1] == '\r' || v[len - 1] == '\n' || v[len - 1] == ' '))
		len--;
	if (len >= outsz)
		len = outsz - 1;
	memcpy(out, v, len);
	out[len] = '\0';
	if (has)
		*has = true;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *ud)
{
	struct xfer *x = ud;
	struct rk_resp *r = x->r;
	size_t n = size * nmemb;
	static const struct {
		const char *name;
		size_t off, size, has_off;
	} known[] = {
		{"content-type:", offsetof(struct rk_resp, content_type), 256, 0},
		{"www-authenticate:", offsetof(struct rk_resp, www_authenticate), 256, 0},
		{"allow:", offsetof(struct rk_resp, allow), 128, 0},
		{"x-taxii-date-added-first:", offsetof(struct rk_resp, date_first), 64,
		 offsetof(struct rk_resp, has_date_first)},
		{"x-taxii-date-added-last:", offsetof(struct rk_resp, date_last), 64,
		 offsetof(struct rk_resp, has_date_last)},
	};

	if (n >= 5 && !strncmp(p, "HTTP/", 5)) {
		/* A new response (after a 100 Continue, say): forget the last. */
		r->content_type[0] = r->www_authenticate[0] = r->allow[0] = '\0';
		r->date_first[0] = r->date_last[0] = '\0';
		r->has_date_first = r->has_date_last = false;
		return n;
	}
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		size_t nl = strlen(known[i].name);
		if (n >= nl && !strncasecmp(p, known[i].name, nl)) {
			bool *has =
				known[i].has_off ? (bool *)((char *)r + known[i].has_off) : NULL;
			header_value(p, n, nl, (char *)r + known[i].off, known[i].size, has);
		}
	}
	return n;
}

static size_t on_read(char *p, size_t size, size_t nmemb, void *ud)
{
	struct xfer *x = ud;
	size_t n = size * nmemb, left = x->up_len - x->up_off;
	if (n > left)
		n = left;
	memcpy(p, x->up + x->up_off, n);
	x->up_off += n;
	return n;
}

int rk_request(const struct rk_hub *h, const struct rk_req *rq, struct rk_resp *r)
{
	struct xfer x = {.r = r};
	struct curl_slist *hdrs = NULL;
	struct rk_sb url = {0}, line = {0};
	char errbuf[CURL_ERROR_SIZE] = "";
	int ret = 0;

	pthread_once(&curl_once, curl_init_once);
	memset(r, 0, sizeof(*r));
	CURL *c = curl_easy_init();
	if (!c) {
		snprintf(r->error, sizeof(r->error), "curl_easy_init failed");
		r->body = strdup("");
		return -1;
	}
	rk_sb_adds(&url, rq->base_url ? rq->base_url : h->url);
	for (const char *p = rq->path ? rq->path : "/"; *p; p++) {
		if (*p == '[')
			rk_sb_adds(&url, "%5B");
		else if (*p == ']')
			rk_sb_adds(&url, "%5D");
		else
			rk_sb_add(&url, p, 1);
	}
	curl_easy_setopt(c, CURLOPT_URL, url.s);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (rq->timeout_ms)
		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, rq->timeout_ms);
	else
		curl_easy_setopt(c, CURLOPT_TIMEOUT, REQUEST_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &x);
	const char *ca = rq->cafile ? rq->cafile : h->cafile;
	if (ca && *ca)
		curl_easy_setopt(c, CURLOPT_CAINFO, ca);
	if (rq->ssl_version)
		curl_easy_setopt(c, CURLOPT_SSLVERSION, rq->ssl_version);

	const char *method = rq->method ? rq->method : rq->body ? "POST" : "GET";
	if (rq->body || !strcmp(method, "POST")) {
		const char *body = rq->body ? rq->body : "";
		size_t len = rq->body ? rq->len : 0;
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		if (rq->chunked) {
			x.up = body;
			x.up_len = len;
			curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
			curl_easy_setopt(c, CURLOPT_READDATA, &x);
			hdrs = curl_slist_append(hdrs, "Transfer-Encoding: chunked");
		} else {
			curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
			curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		}
		if (strcmp(method, "POST"))
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
		if (!rq->content_type)
			hdrs = curl_slist_append(hdrs, "Content-Type: " RK_TAXII);
		else if (!*rq->content_type)
			hdrs = curl_slist_append(hdrs, "Content-Type:");
		else {
			rk_sb_addf(&line, "Content-Type: %s", rq->content_type);
			hdrs = curl_slist_append(hdrs, line.s);
			rk_sb_release(&line);
		}
		hdrs = curl_slist_append(hdrs, "Expect:");
	} else if (!strcmp(method, "HEAD")) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else if (strcmp(method, "GET")) {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	}
	if (!rq->accept)
		hdrs = curl_slist_append(hdrs, "Accept: " RK_TAXII);
	else if (!*rq->accept)
		hdrs = curl_slist_append(hdrs, "Accept:");
	else {
		rk_sb_addf(&line, "Accept: %s", rq->accept);
		hdrs = curl_slist_append(hdrs, line.s);
		rk_sb_release(&line);
	}
	if (rq->auth) {
		rk_sb_addf(&line, "Authorization: %s", rq->auth);
		hdrs = curl_slist_append(hdrs, line.s);
		rk_sb_release(&line);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);

	CURLcode cc = curl_easy_perform(c);
	if (cc != CURLE_OK) {
		snprintf(r->error, sizeof(r->error), "%s: %s", curl_easy_strerror(cc), errbuf);
		r->status = 0;
		ret = -1;
	} else {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	}
	if (!x.body.s)
		rk_sb_add(&x.body, "", 0);
	r->body = x.body.s;
	r->len = x.body.len;
	if (ret == 0 && r->len)
		r->json = json_loadb(r->body, r->len, JSON_ALLOW_NUL, NULL);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	rk_sb_release(&url);
	return ret;
}

void rk_resp_release(struct rk_resp *r)
{
	free(r->body);
	json_decref(r->json);
	memset(r, 0, sizeof(*r));
}

static int vrequest(const struct rk_hub *h, struct rk_resp *r, const char *method, const char *user,
		    const char *body, const char *fmt, va_list ap)
{
	char path[2048];
	const struct rk_cred *c = user ? rk_cred(h, user) : NULL;
	vsnprintf(path, sizeof(path), fmt, ap);
	struct rk_req rq = {
		.method = method,
		.path = path,
		.auth = c ? c->basic : NULL,
		.body = body,
		.len = body ? strlen(body) : 0,
	};
	return rk_request(h, &rq, r);
}

int rk_get(const struct rk_hub *h, struct rk_resp *r, const char *user, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = vrequest(h, r, "GET", user, NULL, fmt, ap);
	va_end(ap);
	return rc;
}

int rk_post(const struct rk_hub *h, struct rk_resp *r, const char *user, const char *body,
	    const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = vrequest(h, r, "POST", user, body, fmt, ap);
	va_end(ap);
	return rc;
}

int rk_delete(const struct rk_hub *h, struct rk_resp *r, const char *user, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = vrequest(h, r, "DELETE", user, NULL, fmt, ap);
	va_end(ap);
	return rc;
}

/* ---- assertions ---- */

void rk_assert_taxii_type(const struct rk_resp *r)
{
	/* TAXII 2.1 §1.6.8: the media type with its version; parameters may be
	 * spaced, so compare without blanks. */
	char squeezed[256];
	size_t n = 0;
	for (const char *p = r->content_type; *p && n + 1 < sizeof(squeezed); p++)
		if (*p != ' ')
			squeezed[n++] = *p;
	squeezed[n] = '\0';
	if (strcasecmp(squeezed, RK_TAXII)) {
		fprintf(stderr, "Content-Type '%s', expected '%s' (status %ld)\n", r->content_type,
			RK_TAXII, r->status);
		fail();
	}
}

void rk_assert_error(const struct rk_resp *r, long status)
{
	if (r->status != status)
		fprintf(stderr, "status %ld, expected %ld; body: %.300s\n", r->status, status,
			r->body ? r->body : "");
	assert_int_equal(r->status, status);
	rk_assert_taxii_type(r);
	if (!json_is_object(r->json)) {
		fprintf(stderr, "error body is not a JSON object: %.300s\n", r->body);
		fail();
	}
	json_t *title = json_object_get(r->json, "title");
	assert_true(json_is_string(title));
	assert_true(json_string_length(title) > 0);
	json_t *d = json_object_get(r->json, "description");
	assert_true(d == NULL || json_is_string(d));
	json_t *hs = json_object_get(r->json, "http_status");
	assert_non_null(hs);
	assert_true(json_is_string(hs));
	char want[16];
	snprintf(want, sizeof(want), "%ld", status);
	assert_string_equal(json_string_value(hs), want);
}

json_t *rk_assert_ok(const struct rk_resp *r)
{
	if (r->status != 200)
		fprintf(stderr, "status %ld (%s), expected 200; body: %.300s\n", r->status,
			r->error, r->body ? r->body : "");
	assert_int_equal(r->status, 200);
	rk_assert_taxii_type(r);
	if (!json_is_object(r->json)) {
		fprintf(stderr, "body is not a JSON object: %.300s\n", r->body);
		fail();
	}
	return r->json;
}

bool rk_is_micro_ts(const char *s)
{
	static const char pat[] = "dddd-dd-ddTdd:dd:dd.ddddddZ";
	if (!s || strlen(s) != sizeof(pat) - 1)
		return false;
	for (size_t i = 0; pat[i]; i++) {
		if (pat[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != pat[i])
			return false;
	}
	return true;
}

void rk_ts_shift(const char *ts, long delta, char out[64])
{
	struct tm tm = {0};
	char frac[16] = "";
	long us = 0;
	sscanf(ts, "%d-%d-%dT%d:%d:%d.%15[0-9]", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
	       &tm.tm_min, &tm.tm_sec, frac);
	/* frac is zero-filled: missing digits count as 0. */
	for (int i = 0; i < 6; i++)
		us = us * 10 + (frac[i] ? frac[i] - '0' : 0);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	long long t = (long long)timegm(&tm) * 1000000 + us + delta;
	time_t secs = (time_t)(t / 1000000);
	gmtime_r(&secs, &tm);
	snprintf(out, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, t % 1000000);
}

/* ---- STIX ---- */

void rk_uuid4(char out[37])
{
	unsigned char b[16];
	static const char hex[] = "0123456789abcdef";
	int fd = open("/dev/urandom", O_RDONLY);
	if (fd < 0 || read(fd, b, sizeof(b)) != (ssize_t)sizeof(b))
		abort();
	close(fd);
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	size_t o = 0;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[b[i] >> 4];
		out[o++] = hex[b[i] & 15];
	}
	out[o] = '\0';
}

static void add_json_string(struct rk_sb *b, const char *s)
{
	rk_sb_add(b, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			char e[2] = {'\\', (char)*p};
			rk_sb_add(b, e, 2);
		} else if (*p < 0x20) {
			rk_sb_addf(b, "\\u%04x", *p);
		} else {
			rk_sb_add(b, (const char *)p, 1);
		}
	}
	rk_sb_add(b, "\"", 1);
}

char *rk_stix(const struct rk_obj *o, char id_out[RK_ID_MAX])
{
	struct rk_sb b = {0};
	const char *type = o->type ? o->type : "indicator";
	const char *modified = o->modified ? o->modified : "2025-01-01T00:00:00.000Z";
	const char *created = o->created ? o->created : modified;
	char id[RK_ID_MAX];

	if (o->id) {
		snprintf(id, sizeof(id), "%s", o->id);
	} else {
		char u[37];
		rk_uuid4(u);
		snprintf(id, sizeof(id), "%s--%s", type, u);
	}
	if (id_out)
		snprintf(id_out, RK_ID_MAX, "%s", id);
	rk_sb_addf(&b,
		   "{\"type\":\"%s\",\"spec_version\":\"%s\",\"id\":\"%s\",\"created\":\"%s\","
		   "\"modified\":\"%s\",\"name\":",
		   type, o->spec_version ? o->spec_version : "2.1", id, created, modified);
	add_json_string(&b, o->name ? o->name : "test object");
	if (o->description) {
		rk_sb_adds(&b, ",\"description\":");
		add_json_string(&b, o->description);
	}
	if (!strcmp(type, "indicator"))
		rk_sb_addf(&b,
			   ",\"indicator_types\":[\"malicious-activity\"],"
			   "\"pattern\":\"[ipv4-addr:value = '198.51.100.7']\","
			   "\"pattern_type\":\"stix\",\"valid_from\":\"%s\"",
			   created);
	if (o->created_by_ref)
		rk_sb_addf(&b, ",\"created_by_ref\":\"%s\"", o->created_by_ref);
	rk_sb_adds(&b, "}");
	return b.s;
}

char *rk_indicator(const char *modified, char id_out[RK_ID_MAX])
{
	struct rk_obj o = {.modified = modified};
	return rk_stix(&o, id_out);
}

char *rk_envelope(char *const *objs, size_t n)
{
	struct rk_sb b = {0};
	rk_sb_adds(&b, "{\"objects\":[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			rk_sb_adds(&b, ",");
		rk_sb_adds(&b, objs[i]);
	}
	rk_sb_adds(&b, "]}");
	return b.s;
}

/* ---- walks and metrics ---- */

long rk_walk(const struct rk_hub *h, const char *user, const char *path, unsigned limit,
	     json_t *ids, long max_pages)
{
	char next[512] = "";
	long pages = 0;
	const char *sep = strchr(path, '?') ? "&" : "?";

	while (pages < max_pages) {
		struct rk_resp r;
		if (next[0])
			rk_get(h, &r, user, "%s%slimit=%u&next=%s", path, sep, limit, next);
		else
			rk_get(h, &r, user, "%s%slimit=%u", path, sep, limit);
		if (r.status != 200 || !json_is_object(r.json)) {
			fprintf(stderr, "walk %s: status %ld: %.200s\n", path, r.status, r.body);
			rk_resp_release(&r);
			return -1;
		}
		pages++;
		json_t *list = json_object_get(r.json, "objects");
		for (size_t i = 0; i < json_array_size(list); i++)
			json_array_append(ids, json_object_get(json_array_get(list, i), "id"));
		json_t *more = json_object_get(r.json, "more");
		json_t *nx = json_object_get(r.json, "next");
		if (!json_is_true(more)) {
			rk_resp_release(&r);
			break;
		}
		if (!json_is_string(nx)) {
			fprintf(stderr, "walk %s: more without next\n", path);
			rk_resp_release(&r);
			return -1;
		}
		snprintf(next, sizeof(next), "%s", json_string_value(nx));
		rk_resp_release(&r);
	}
	return pages;
}

double rk_metric(const char *text, const char *series)
{
	size_t pl = strlen(series);
	for (const char *p = text; p && *p;) {
		if (!strncmp(p, series, pl) && p[pl] == ' ') {
			const char *eol = strchr(p, '\n');
			const char *sp = p + pl;
			const char *last = NULL;
			for (const char *q = sp; q < (eol ? eol : sp + strlen(sp)); q++)
				if (*q == ' ')
					last = q;
			if (last)
				return strtod(last + 1, NULL);
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}
