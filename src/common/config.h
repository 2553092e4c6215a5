/*
 * config.h - every setting of renkei, its default, and how it is read from
 * the configuration file ("key = value" lines, '#' comments) and from
 * command-line flags (--key value). docs/configuration.md lists them all.
 * Depends only on common/.
 */
#ifndef RENKEI_CONFIG_H
#define RENKEI_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define CONFIG_PATH_MAX 1024

struct config {
	char data_dir[CONFIG_PATH_MAX];	     /* where renkei.db lives by default */
	char database[CONFIG_PATH_MAX];	     /* SQLite file path or postgresql:// URL */
	char read_database[CONFIG_PATH_MAX]; /* a hot standby's postgresql:// URL, or "" */
	char listen[64];		     /* address to bind: 127.0.0.1 */
	unsigned port;			     /* 8080; 0 picks a free port */
	char port_file[CONFIG_PATH_MAX];     /* where to write the bound port ("" none) */
	unsigned threads;		     /* HTTP worker threads */
	unsigned io_threads;		     /* libmicrohttpd I/O threads (1) */
	size_t max_content_length;	     /* POST body cap, bytes (TAXII 413) */
	size_t max_object_bytes;	     /* one STIX object */
	size_t max_depth;		     /* JSON nesting inside one object */
	size_t max_objects;		     /* objects in one envelope */
	size_t page_default;		     /* objects per page without limit= */
	size_t page_max;		     /* largest limit= honoured */
	size_t max_page_bytes;		     /* a page stops growing past this */
	unsigned status_retention_hours;     /* status resources kept at least this */
	char tls_cert[CONFIG_PATH_MAX];	     /* PEM certificate chain ("" no TLS) */
	char tls_key[CONFIG_PATH_MAX];	     /* PEM private key */
	char log_format[8];		     /* text | json */
	char log_level[8];		     /* error | warn | info | debug */
	char title[256];		     /* the discovery title */
	char contact[256];		     /* the discovery contact */
	unsigned auth_cache_seconds;	     /* how long a verified password is remembered */
	char test_clock[64];		     /* test-only: a fixed RFC 3339 "now" */
};

/* Fills c with the defaults. */
void config_defaults(struct config *c);

/*
 * Sets key to value ("port", "8443"). Returns ERR_NOTFOUND for an unknown key
 * and ERR_INVALID for a bad value; msg (n bytes) says which, in one line.
 */
err_t config_set(struct config *c, const char *key, const char *value, char *msg, size_t n);

/* Reads a configuration file. Errors name the file and line. */
err_t config_load(struct config *c, const char *path, char *msg, size_t n);

/* Resolves derived settings (database from data_dir) after all sources. */
void config_finish(struct config *c);

/* Writes every setting and its value, one per line (for 'renkei config'). */
void config_print(const struct config *c, void *file);

#endif
