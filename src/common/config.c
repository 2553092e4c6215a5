/*
 * config.c - the settings table: one row per setting, with its type, its
 * place in struct config and its bounds, so that the file parser, the flag
 * parser and the printer share one list. Depends only on common/.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

enum kind { K_STR, K_UINT, K_SIZE };

struct setting {
	const char *key;
	enum kind kind;
	size_t off;
	size_t size;	       /* K_STR: buffer size */
	uint64_t min, max;     /* K_UINT / K_SIZE bounds */
	const char *enum_vals; /* K_STR: '|'-separated allowed values, or NULL */
};

#define STR(k, f, e)                                                                               \
	{                                                                                          \
		k, K_STR, offsetof(struct config, f), sizeof(((struct config *)0)->f), 0, 0, e     \
	}
#define UINT(k, f, lo, hi)                                                                         \
	{                                                                                          \
		k, K_UINT, offsetof(struct config, f), 0, lo, hi, NULL                             \
	}
#define SIZE(k, f, lo, hi)                                                                         \
	{                                                                                          \
		k, K_SIZE, offsetof(struct config, f), 0, lo, hi, NULL                             \
	}

static const struct setting settings[] = {
	STR("data_dir", data_dir, NULL),
	STR("database", database, NULL),
	STR("read_database", read_database, NULL),
	STR("listen", listen, NULL),
	UINT("port", port, 0, 65535),
	STR("port_file", port_file, NULL),
	UINT("threads", threads, 1, 256),
	UINT("io_threads", io_threads, 1, 64),
	SIZE("max_content_length", max_content_length, 1024, (uint64_t)1 << 34),
	SIZE("max_object_bytes", max_object_bytes, 256, (uint64_t)1 << 30),
	SIZE("max_depth", max_depth, 4, 1000),
	SIZE("max_objects", max_objects, 1, 10000000),
	SIZE("page_default", page_default, 1, 100000),
	SIZE("page_max", page_max, 1, 100000),
	SIZE("max_page_bytes", max_page_bytes, 65536, (uint64_t)1 << 32),
	UINT("status_retention_hours", status_retention_hours, 24, 24 * 365),
	STR("tls_cert", tls_cert, NULL),
	STR("tls_key", tls_key, NULL),
	STR("log_format", log_format, "text|json"),
	STR("log_level", log_level, "error|warn|info|debug"),
	STR("title", title, NULL),
	STR("contact", contact, NULL),
	UINT("auth_cache_seconds", auth_cache_seconds, 0, 3600),
	STR("test_clock", test_clock, NULL),
};

void config_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->data_dir, sizeof(c->data_dir), "data");
	snprintf(c->listen, sizeof(c->listen), "127.0.0.1");
	c->port = 8080;
	c->threads = 4;
	c->io_threads = 1;
	c->max_content_length = 100u * 1024 * 1024;
	c->max_object_bytes = 1024 * 1024;
	c->max_depth = 32;
	c->max_objects = 100000;
	c->page_default = 100;
	c->page_max = 1000;
	c->max_page_bytes = 16u * 1024 * 1024;
	c->status_retention_hours = 72;
	snprintf(c->log_format, sizeof(c->log_format), "text");
	snprintf(c->log_level, sizeof(c->log_level), "info");
	snprintf(c->title, sizeof(c->title), "renkei cyber threat information hub");
	c->auth_cache_seconds = 60;
}

static bool in_list(const char *v, const char *list)
{
	size_t n = strlen(v);
	for (const char *p = list; *p;) {
		const char *e = strchr(p, '|');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == n && !strncmp(p, v, n))
			return true;
		if (!e)
			break;
		p = e + 1;
	}
	return false;
}

err_t config_set(struct config *c, const char *key, const char *value, char *msg, size_t n)
{
	for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++) {
		const struct setting *s = &settings[i];
		if (strcmp(s->key, key))
			continue;
		char *field = (char *)c + s->off;
		if (s->kind == K_STR) {
			if (strlen(value) >= s->size) {
				snprintf(msg, n, "%s: value too long (at most %zu bytes)", key,
					 s->size - 1);
				return ERR_INVALID;
			}
			if (s->enum_vals && !in_list(value, s->enum_vals)) {
				snprintf(msg, n, "%s: must be one of %s", key, s->enum_vals);
				return ERR_INVALID;
			}
			snprintf(field, s->size, "%s", value);
			return ERR_OK;
		}
		char *end = NULL;
		errno = 0;
		if (!isdigit((unsigned char)value[0])) {
			snprintf(msg, n, "%s: not a number: '%.40s'", key, value);
			return ERR_INVALID;
		}
		unsigned long long v = strtoull(value, &end, 10);
		if (errno || *end || v < s->min || v > s->max) {
			snprintf(msg, n, "%s: must be a whole number from %llu to %llu", key,
				 (unsigned long long)s->min, (unsigned long long)s->max);
			return ERR_INVALID;
		}
		if (s->kind == K_UINT)
			*(unsigned *)(void *)field = (unsigned)v;
		else
			*(size_t *)(void *)field = (size_t)v;
		return ERR_OK;
	}
	snprintf(msg, n, "unknown setting '%.60s'", key);
	return ERR_NOTFOUND;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

err_t config_load(struct config *c, const char *path, char *msg, size_t n)
{
	FILE *f = fopen(path, "r");
	char line[2048], sub[512];
	unsigned lineno = 0;
	err_t rc = ERR_OK;

	if (!f) {
		snprintf(msg, n, "%s: cannot open: %s", path, strerror(errno));
		return ERR_IO;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(msg, n, "%s:%u: line too long", path, lineno);
			rc = ERR_INVALID;
			break;
		}
		char *p = trim(line);
		if (!*p || *p == '#')
			continue;
		char *eq = strchr(p, '=');
		if (!eq) {
			snprintf(msg, n, "%s:%u: expected 'key = value'", path, lineno);
			rc = ERR_INVALID;
			break;
		}
		*eq = '\0';
		rc = config_set(c, trim(p), trim(eq + 1), sub, sizeof(sub));
		if (rc) {
			snprintf(msg, n, "%s:%u: %s", path, lineno, sub);
			break;
		}
	}
	fclose(f);
	return rc;
}

void config_finish(struct config *c)
{
	if (!c->database[0])
		snprintf(c->database, sizeof(c->database), "%.1000s/renkei.db", c->data_dir);
	if (c->page_default > c->page_max)
		c->page_default = c->page_max;
}

void config_print(const struct config *c, void *file)
{
	FILE *f = file;
	for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++) {
		const struct setting *s = &settings[i];
		const char *field = (const char *)c + s->off;
		if (s->kind == K_STR)
			fprintf(f, "%s = %s\n", s->key, field);
		else if (s->kind == K_UINT)
			fprintf(f, "%s = %u\n", s->key, *(const unsigned *)(const void *)field);
		else
			fprintf(f, "%s = %zu\n", s->key, *(const size_t *)(const void *)field);
	}
}
