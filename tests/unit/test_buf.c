/*
 * test_buf.c - unit tests of common/buf (the capped growable buffer) and
 * common/config (the settings table, config_set and config_load).
 *
 * Files are made under $TMPDIR (or /tmp) and removed again. Depends on cmocka
 * and common/ only.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../src/common/buf.h"
#include "../../src/common/config.h"

/* A temporary file holding len bytes of data; the caller unlinks path. */
static void temp_file(char path[256], const void *data, size_t len)
{
	const char *dir = getenv("TMPDIR");
	snprintf(path, 256, "%s/renkei-unit-XXXXXX", dir && *dir ? dir : "/tmp");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* A snapshot of a buffer, to check that a failed call left it alone. */
struct snap {
	char *data;
	size_t len, cap;
	char bytes[2048];
};

static void take(struct snap *s, const struct buf *b)
{
	s->data = b->data;
	s->len = b->len;
	s->cap = b->cap;
	assert_true(b->len < sizeof(s->bytes));
	memcpy(s->bytes, buf_cstr(b), b->len + 1);
}

static void unchanged(const struct snap *s, const struct buf *b)
{
	assert_ptr_equal(b->data, s->data);
	assert_int_equal(b->len, s->len);
	assert_int_equal(b->cap, s->cap);
	assert_memory_equal(buf_cstr(b), s->bytes, s->len + 1);
}

static void test_buf_empty(void **state)
{
	(void)state;
	struct buf b;
	size_t len = 99;
	buf_init(&b, 100);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_cstr(&b), "");
	assert_null(buf_detach(&b, &len));
	assert_int_equal(len, 0);
	buf_reset(&b);
	assert_string_equal(buf_cstr(&b), "");
	buf_release(&b);
	buf_release(&b);
	buf_release(NULL);
}

static void test_buf_add(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 1000);
	assert_int_equal(buf_adds(&b, "hello"), ERR_OK);
	assert_int_equal(buf_addc(&b, ','), ERR_OK);
	assert_int_equal(buf_add(&b, " world!!", 6), ERR_OK);
	assert_int_equal(buf_add(&b, NULL, 0), ERR_OK);
	assert_int_equal(buf_adds(&b, ""), ERR_OK);
	assert_string_equal(buf_cstr(&b), "hello, world");
	assert_int_equal(b.len, 12);
	/* binary bytes, including NUL, are kept and counted */
	assert_int_equal(buf_add(&b, "\0x", 2), ERR_OK);
	assert_int_equal(b.len, 14);
	assert_memory_equal(b.data, "hello, world\0x", 15);
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_non_null(b.data);
	assert_string_equal(buf_cstr(&b), "");
	assert_int_equal(buf_adds(&b, "again"), ERR_OK);
	assert_string_equal(buf_cstr(&b), "again");
	buf_release(&b);
	assert_null(b.data);
	/* reusable after release, with the same cap */
	assert_int_equal(buf_adds(&b, "more"), ERR_OK);
	assert_string_equal(buf_cstr(&b), "more");
	buf_release(&b);
}

/* Filling up to the cap works; one byte more fails and changes nothing. */
static void test_buf_cap(void **state)
{
	(void)state;
	static const size_t caps[] = {0, 1, 2, 255, 256, 257, 300, 511, 512, 1000};
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		size_t max = caps[i];
		struct buf b;
		struct snap s;
		buf_init(&b, max);
		for (size_t j = 0; j < max; j++)
			assert_int_equal(buf_addc(&b, (char)('a' + j % 26)), ERR_OK);
		assert_int_equal(b.len, max);
		assert_int_equal(strlen(buf_cstr(&b)), max);
		take(&s, &b);
		assert_int_equal(buf_addc(&b, 'x'), ERR_TOOBIG);
		unchanged(&s, &b);
		assert_int_equal(buf_adds(&b, "xyz"), ERR_TOOBIG);
		unchanged(&s, &b);
		assert_int_equal(buf_addf(&b, "%d", 7), ERR_TOOBIG);
		unchanged(&s, &b);
		assert_int_equal(buf_add(&b, "", 0), ERR_OK); /* nothing is not too much */
		buf_release(&b);
	}

	/* a single add larger than the cap, into a buffer with content */
	struct buf b;
	struct snap s;
	char big[600];
	memset(big, 'q', sizeof(big));
	buf_init(&b, 500);
	assert_int_equal(buf_adds(&b, "abc"), ERR_OK);
	take(&s, &b);
	assert_int_equal(buf_add(&b, big, 498), ERR_TOOBIG);
	unchanged(&s, &b);
	assert_int_equal(buf_add(&b, big, sizeof(big)), ERR_TOOBIG);
	unchanged(&s, &b);
	/* sizes that overflow size_t are refused before anything is read */
	assert_int_equal(buf_add(&b, big, SIZE_MAX), ERR_TOOBIG);
	unchanged(&s, &b);
	assert_int_equal(buf_add(&b, big, SIZE_MAX - 2), ERR_TOOBIG);
	unchanged(&s, &b);
	assert_int_equal(buf_add(&b, big, 497), ERR_OK);
	assert_int_equal(b.len, 500);
	buf_release(&b);
}

/*
 * With the cap at SIZE_MAX, a length that makes len + 1 wrap must still be
 * refused rather than copied. Run in a child: a wrong answer is a crash.
 */
static void test_buf_cap_size_max(void **state)
{
	(void)state;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* cmocka's handlers would carry on with the other tests in the child */
		signal(SIGSEGV, SIG_DFL);
		signal(SIGBUS, SIG_DFL);
		signal(SIGABRT, SIG_DFL);
		struct buf b;
		buf_init(&b, SIZE_MAX);
		if (buf_adds(&b, "a"))
			_exit(2);
		err_t rc = buf_add(&b, "x", SIZE_MAX - 1);
		_exit(rc == ERR_OK ? 3 : 0);
	}
	int st = 0;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("buf_add(len SIZE_MAX-1) with max SIZE_MAX: %s %d",
			 WIFSIGNALED(st) ? "killed by signal" : "exit status",
			 WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
}

static void test_buf_addf(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 1 << 20);
	assert_int_equal(buf_addf(&b, "%s=%d;", "a", 1), ERR_OK);
	assert_int_equal(buf_addf(&b, "%05.1f|%x|%c", 2.5, 255u, 'z'), ERR_OK);
	assert_string_equal(buf_cstr(&b), "a=1;002.5|ff|z");
	assert_int_equal(buf_addf(&b, "%s", ""), ERR_OK);
	assert_int_equal(b.len, 14);

	/* long output goes the second way; each length around the 256-byte scratch */
	static const size_t lens[] = {254, 255, 256, 257, 1000, 4096, 100000};
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		char *s = malloc(lens[i] + 1);
		assert_non_null(s);
		for (size_t j = 0; j < lens[i]; j++)
			s[j] = (char)('A' + j % 23);
		s[lens[i]] = '\0';
		buf_reset(&b);
		assert_int_equal(buf_adds(&b, "<"), ERR_OK);
		assert_int_equal(buf_addf(&b, "%s>%zu", s, lens[i]), ERR_OK);
		char tail[32];
		snprintf(tail, sizeof(tail), ">%zu", lens[i]);
		assert_int_equal(b.len, 1 + lens[i] + strlen(tail));
		assert_memory_equal(b.data + 1, s, lens[i]);
		assert_string_equal(b.data + 1 + lens[i], tail);
		free(s);
	}
	buf_release(&b);

	/* a long format past the cap leaves the buffer alone */
	struct snap sn;
	char long_s[400];
	memset(long_s, 'w', sizeof(long_s) - 1);
	long_s[sizeof(long_s) - 1] = '\0';
	buf_init(&b, 300);
	assert_int_equal(buf_adds(&b, "keep"), ERR_OK);
	take(&sn, &b);
	assert_int_equal(buf_addf(&b, "%s", long_s), ERR_TOOBIG);
	unchanged(&sn, &b);
	assert_int_equal(buf_addf(&b, "%.296s", long_s), ERR_OK);
	assert_int_equal(b.len, 300);
	buf_release(&b);
}

/* Many small appends grow the buffer and keep every byte. */
static void test_buf_growth(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 1 << 22);
	for (unsigned i = 0; i < 100000; i++)
		assert_int_equal(buf_addf(&b, "%u,", i), ERR_OK);
	assert_true(b.cap > b.len);
	const char *p = buf_cstr(&b);
	for (unsigned i = 0; i < 100000; i++) {
		char *end = NULL;
		unsigned long v = strtoul(p, &end, 10);
		assert_int_equal(v, i);
		assert_int_equal(*end, ',');
		p = end + 1;
	}
	assert_int_equal(*p, '\0');
	buf_release(&b);
}

static void test_buf_detach(void **state)
{
	(void)state;
	struct buf b;
	size_t len = 0;
	buf_init(&b, 100);
	assert_int_equal(buf_adds(&b, "owned"), ERR_OK);
	char *p = buf_detach(&b, &len);
	assert_non_null(p);
	assert_int_equal(len, 5);
	assert_string_equal(p, "owned");
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	assert_string_equal(buf_cstr(&b), "");
	/* b is empty and reusable, the detached memory is independent */
	assert_int_equal(buf_adds(&b, "new"), ERR_OK);
	assert_string_equal(p, "owned");
	free(p);
	p = buf_detach(&b, NULL);
	assert_string_equal(p, "new");
	free(p);
	/* detaching after reset gives an empty string, not NULL */
	assert_int_equal(buf_adds(&b, "x"), ERR_OK);
	buf_reset(&b);
	p = buf_detach(&b, &len);
	assert_non_null(p);
	assert_int_equal(len, 0);
	assert_string_equal(p, "");
	free(p);
	buf_release(&b);
}

static void test_buf_read_file(void **state)
{
	(void)state;
	char path[256];
	struct buf b;

	/* a file bigger than one read chunk, with NUL bytes in it */
	size_t n = 200000;
	unsigned char *data = malloc(n);
	assert_non_null(data);
	for (size_t i = 0; i < n; i++)
		data[i] = (unsigned char)(i * 7 + i / 251);
	temp_file(path, data, n);
	buf_init(&b, n);
	assert_int_equal(buf_adds(&b, ""), ERR_OK);
	assert_int_equal(buf_read_file(&b, path), ERR_OK);
	assert_int_equal(b.len, n);
	assert_memory_equal(b.data, data, n);
	assert_int_equal(b.data[n], '\0');
	buf_release(&b);

	/* appends to what is there */
	buf_init(&b, n + 3);
	assert_int_equal(buf_adds(&b, "pre"), ERR_OK);
	assert_int_equal(buf_read_file(&b, path), ERR_OK);
	assert_int_equal(b.len, n + 3);
	assert_memory_equal(b.data + 3, data, n);
	buf_release(&b);

	/* one byte past the cap */
	buf_init(&b, n - 1);
	assert_int_equal(buf_read_file(&b, path), ERR_TOOBIG);
	assert_true(b.len <= n - 1);
	buf_release(&b);

	/* standard input, "-" */
	assert_non_null(freopen(path, "rb", stdin));
	buf_init(&b, n);
	assert_int_equal(buf_read_file(&b, "-"), ERR_OK);
	assert_int_equal(b.len, n);
	assert_memory_equal(b.data, data, n);
	buf_release(&b);
	assert_non_null(freopen("/dev/null", "rb", stdin));
	unlink(path);

	/* an empty file */
	temp_file(path, "", 0);
	buf_init(&b, 10);
	assert_int_equal(buf_read_file(&b, path), ERR_OK);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_cstr(&b), "");
	buf_release(&b);
	unlink(path);

	/* missing files and directories */
	buf_init(&b, 10);
	assert_int_equal(buf_read_file(&b, path), ERR_IO);
	assert_int_equal(buf_read_file(&b, "/nonexistent/renkei/file"), ERR_IO);
	assert_int_equal(buf_read_file(&b, "/"), ERR_IO);
	assert_int_equal(b.len, 0);
	buf_release(&b);
	free(data);
}

/*
 * config_set cases: key, value, expected rc, and either the value that
 * config_print then shows (NULL: value itself) or a piece of the error.
 */
struct set_case {
	const char *key;
	const char *value;
	err_t rc;
	const char *want;
};

#define S63  "123456789012345678901234567890123456789012345678901234567890123"
#define S255 S63 S63 S63 S63 "abc"

static const struct set_case set_cases[] = {
	/* strings */
	{"data_dir", "/var/lib/renkei", ERR_OK, NULL},
	{"data_dir", "", ERR_OK, NULL},
	{"database", "postgresql://u@h/db?x=1", ERR_OK, NULL},
	{"listen", "::1", ERR_OK, NULL},
	{"listen", S63, ERR_OK, NULL},
	{"listen", S63 "4", ERR_INVALID, "too long"},
	{"title", S255, ERR_OK, NULL},
	{"title", S255 "d", ERR_INVALID, "too long"},
	{"contact", "ops@example.org", ERR_OK, NULL},
	{"port_file", "/run/renkei.port", ERR_OK, NULL},
	{"tls_cert", "/etc/renkei/cert.pem", ERR_OK, NULL},
	{"tls_key", "/etc/renkei/key.pem", ERR_OK, NULL},
	{"test_clock", "2024-01-01T00:00:00Z", ERR_OK, NULL},
	/* enumerations */
	{"log_format", "text", ERR_OK, NULL},
	{"log_format", "json", ERR_OK, NULL},
	{"log_format", "xml", ERR_INVALID, "one of"},
	{"log_format", "", ERR_INVALID, "one of"},
	{"log_format", "TEXT", ERR_INVALID, "one of"},
	{"log_format", "tex", ERR_INVALID, "one of"},
	{"log_format", "texts", ERR_INVALID, "one of"},
	{"log_format", "text|", ERR_INVALID, "one of"},
	{"log_format", "text|json", ERR_INVALID, "too long"},
	{"log_format", "json ", ERR_INVALID, "one of"},
	{"log_format", "|", ERR_INVALID, "one of"},
	{"log_level", "error", ERR_OK, NULL},
	{"log_level", "warn", ERR_OK, NULL},
	{"log_level", "info", ERR_OK, NULL},
	{"log_level", "debug", ERR_OK, NULL},
	{"log_level", "warning", ERR_INVALID, "one of"},
	{"log_level", "trace", ERR_INVALID, "one of"},
	/* unsigned settings and their bounds */
	{"port", "0", ERR_OK, NULL},
	{"port", "8443", ERR_OK, NULL},
	{"port", "65535", ERR_OK, NULL},
	{"port", "00080", ERR_OK, "80"},
	{"port", "65536", ERR_INVALID, "0 to 65535"},
	{"port", "-1", ERR_INVALID, "port"},
	{"port", "", ERR_INVALID, "port"},
	{"port", " 80", ERR_INVALID, "port"},
	{"port", "80 ", ERR_INVALID, "port"},
	{"port", "+80", ERR_INVALID, "port"},
	{"port", "8e3", ERR_INVALID, "port"},
	{"port", "0x50", ERR_INVALID, "port"},
	{"port", "80.0", ERR_INVALID, "port"},
	{"port", "abc", ERR_INVALID, "not a number"},
	{"port", "99999999999999999999999", ERR_INVALID, "port"},
	{"port", "4294967376", ERR_INVALID, "port"}, /* 2^32 + 80 must not wrap to 80 */
	{"threads", "0", ERR_INVALID, "1 to 256"},
	{"threads", "1", ERR_OK, NULL},
	{"threads", "256", ERR_OK, NULL},
	{"threads", "257", ERR_INVALID, "1 to 256"},
	{"status_retention_hours", "23", ERR_INVALID, "24"},
	{"status_retention_hours", "24", ERR_OK, NULL},
	{"status_retention_hours", "8760", ERR_OK, NULL},
	{"status_retention_hours", "8761", ERR_INVALID, "8760"},
	{"auth_cache_seconds", "0", ERR_OK, NULL},
	{"auth_cache_seconds", "3600", ERR_OK, NULL},
	{"auth_cache_seconds", "3601", ERR_INVALID, "3600"},
	/* size settings and their bounds */
	{"max_content_length", "1023", ERR_INVALID, "1024"},
	{"max_content_length", "1024", ERR_OK, NULL},
	{"max_content_length", "17179869184", ERR_OK, NULL},
	{"max_content_length", "17179869185", ERR_INVALID, "17179869184"},
	{"max_object_bytes", "255", ERR_INVALID, "256"},
	{"max_object_bytes", "256", ERR_OK, NULL},
	{"max_object_bytes", "1073741824", ERR_OK, NULL},
	{"max_object_bytes", "1073741825", ERR_INVALID, "1073741824"},
	{"max_depth", "3", ERR_INVALID, "4"},
	{"max_depth", "4", ERR_OK, NULL},
	{"max_depth", "1000", ERR_OK, NULL},
	{"max_depth", "1001", ERR_INVALID, "1000"},
	{"max_objects", "0", ERR_INVALID, "max_objects"},
	{"max_objects", "1", ERR_OK, NULL},
	{"max_objects", "10000000", ERR_OK, NULL},
	{"max_objects", "10000001", ERR_INVALID, "max_objects"},
	{"page_default", "0", ERR_INVALID, "page_default"},
	{"page_default", "100000", ERR_OK, NULL},
	{"page_default", "100001", ERR_INVALID, "page_default"},
	{"page_max", "0", ERR_INVALID, "page_max"},
	{"page_max", "1", ERR_OK, NULL},
	{"page_max", "100001", ERR_INVALID, "page_max"},
	{"max_page_bytes", "65535", ERR_INVALID, "65536"},
	{"max_page_bytes", "65536", ERR_OK, NULL},
	{"max_page_bytes", "4294967296", ERR_OK, NULL},
	{"max_page_bytes", "4294967297", ERR_INVALID, "4294967296"},
	{"max_page_bytes", "18446744073709551617", ERR_INVALID, "max_page_bytes"},
	/* unknown keys */
	{"nope", "1", ERR_NOTFOUND, "unknown setting 'nope'"},
	{"", "1", ERR_NOTFOUND, "unknown"},
	{"Port", "80", ERR_NOTFOUND, "unknown"},
	{"port ", "80", ERR_NOTFOUND, "unknown"},
	{"--port", "80", ERR_NOTFOUND, "unknown"},
};

/* The value config_print shows for key, in out (cap bytes). */
static void printed(const struct config *c, const char *key, char *out, size_t cap)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	config_print(c, f);
	assert_int_equal(fclose(f), 0);
	out[0] = '\0';
	size_t klen = strlen(key);
	for (char *line = text; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (!strncmp(line, key, klen) && !strncmp(line + klen, " = ", 3)) {
			snprintf(out, cap, "%s", line + klen + 3);
			break;
		}
		line = nl ? nl + 1 : NULL;
	}
	free(text);
}

static void test_config_set(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(set_cases) / sizeof(set_cases[0]); i++) {
		const struct set_case *t = &set_cases[i];
		struct config c, before;
		char msg[256] = "", shown[512];
		config_defaults(&c);
		memcpy(&before, &c, sizeof(c));
		err_t rc = config_set(&c, t->key, t->value, msg, sizeof(msg));
		if (rc != t->rc)
			fail_msg("config_set(%s, \"%s\") = %d (%s), want %d", t->key, t->value,
				 (int)rc, msg, (int)t->rc);
		if (rc == ERR_OK) {
			printed(&c, t->key, shown, sizeof(shown));
			if (strcmp(shown, t->want ? t->want : t->value))
				fail_msg("after config_set(%s, \"%s\") it shows \"%s\"", t->key,
					 t->value, shown);
		} else {
			if (!strstr(msg, t->want))
				fail_msg("config_set(%s, \"%s\"): \"%s\" lacks \"%s\"", t->key,
					 t->value, msg, t->want);
			assert_null(strchr(msg, '\n'));
			/* a refused value changes nothing */
			assert_memory_equal(&c, &before, sizeof(c));
		}
	}
}

/* A short message buffer truncates without overrunning. */
static void test_config_set_short_msg(void **state)
{
	(void)state;
	struct config c;
	char msg[8];
	memset(msg, 'z', sizeof(msg));
	config_defaults(&c);
	assert_int_equal(config_set(&c, "port", "abcdefghijklmnop", msg, sizeof(msg)), ERR_INVALID);
	assert_int_equal(strlen(msg), sizeof(msg) - 1);
}

static void test_config_defaults_finish(void **state)
{
	(void)state;
	struct config c;
	config_defaults(&c);
	assert_int_equal(c.port, 8080);
	assert_string_equal(c.listen, "127.0.0.1");
	assert_string_equal(c.log_format, "text");
	assert_string_equal(c.database, "");
	config_finish(&c);
	assert_string_equal(c.database, "data/renkei.db");
	/* an explicit database is kept; page_default never exceeds page_max */
	char msg[128];
	config_defaults(&c);
	assert_int_equal(config_set(&c, "database", "/x.db", msg, sizeof(msg)), ERR_OK);
	assert_int_equal(config_set(&c, "page_default", "500", msg, sizeof(msg)), ERR_OK);
	assert_int_equal(config_set(&c, "page_max", "50", msg, sizeof(msg)), ERR_OK);
	config_finish(&c);
	assert_string_equal(c.database, "/x.db");
	assert_int_equal(c.page_default, 50);
}

static void test_config_load(void **state)
{
	(void)state;
	static const char text[] = "# renkei.conf\n"
				   "   # an indented comment\n"
				   "\n"
				   "   \t \n"
				   "port = 9090\n"
				   "listen=0.0.0.0\n"
				   "\t title  =   My hub = the best  \n"
				   "log_format = json\r\n"
				   "contact =\n"
				   "max_depth = 64";
	char path[256], msg[512] = "";
	struct config c;
	temp_file(path, text, sizeof(text) - 1);
	config_defaults(&c);
	assert_int_equal(config_load(&c, path, msg, sizeof(msg)), ERR_OK);
	assert_int_equal(c.port, 9090);
	assert_string_equal(c.listen, "0.0.0.0");
	assert_string_equal(c.title, "My hub = the best");
	assert_string_equal(c.log_format, "json");
	assert_string_equal(c.contact, "");
	assert_int_equal(c.max_depth, 64);
	unlink(path);

	/* an empty file changes nothing */
	struct config d, e;
	temp_file(path, "", 0);
	config_defaults(&d);
	memcpy(&e, &d, sizeof(d));
	assert_int_equal(config_load(&d, path, msg, sizeof(msg)), ERR_OK);
	assert_memory_equal(&d, &e, sizeof(d));
	unlink(path);
}

/* A file that must be refused, and the "line: reason" its message carries. */
struct load_case {
	const char *text;
	const char *want;
};

static const struct load_case load_cases[] = {
	{"port = abc\n", ":1: port"},
	{"# c\n\nport = 70000\n", ":3: port"},
	{"port = 1\nlisten\n", ":2: expected 'key = value'"},
	{"port 8080\n", ":1: expected"},
	{"nope = 1\n", ":1: unknown setting 'nope'"},
	{"port = 1\n= 5\n", ":2: unknown setting ''"},
	{"log_level = loud\n", ":1: log_level"},
	{"\n\n\n\nthreads = 0", ":5: threads"},
	{"port = 80 # inline comments are not comments\n", ":1: port"},
};

static void test_config_load_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(load_cases) / sizeof(load_cases[0]); i++) {
		char path[256], msg[512] = "";
		struct config c;
		temp_file(path, load_cases[i].text, strlen(load_cases[i].text));
		config_defaults(&c);
		assert_int_not_equal(config_load(&c, path, msg, sizeof(msg)), ERR_OK);
		if (strncmp(msg, path, strlen(path)) || !strstr(msg, load_cases[i].want))
			fail_msg("file \"%s\": message \"%s\" lacks path and \"%s\"",
				 load_cases[i].text, msg, load_cases[i].want);
		unlink(path);
	}

	/* an overlong line */
	char path[256], msg[512] = "";
	struct config c;
	size_t n = 5000;
	char *text = malloc(n + 32);
	assert_non_null(text);
	snprintf(text, n + 32, "port = 1\ntitle = ");
	size_t len = strlen(text);
	memset(text + len, 't', n - len);
	memcpy(text + n, "\nport = 2\n", 11);
	temp_file(path, text, strlen(text));
	config_defaults(&c);
	assert_int_equal(config_load(&c, path, msg, sizeof(msg)), ERR_INVALID);
	assert_non_null(strstr(msg, ":2: line too long"));
	unlink(path);
	free(text);

	/* a file that is not there */
	config_defaults(&c);
	assert_int_equal(config_load(&c, path, msg, sizeof(msg)), ERR_IO);
	assert_non_null(strstr(msg, path));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_empty),
		cmocka_unit_test(test_buf_add),
		cmocka_unit_test(test_buf_cap),
		cmocka_unit_test(test_buf_cap_size_max),
		cmocka_unit_test(test_buf_addf),
		cmocka_unit_test(test_buf_growth),
		cmocka_unit_test(test_buf_detach),
		cmocka_unit_test(test_buf_read_file),
		cmocka_unit_test(test_config_set),
		cmocka_unit_test(test_config_set_short_msg),
		cmocka_unit_test(test_config_defaults_finish),
		cmocka_unit_test(test_config_load),
		cmocka_unit_test(test_config_load_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
