/*
 * log.h - one line per event on stderr, as text or JSON.
 *
 * The log's settings are the one piece of process state outside struct app:
 * they are set once by main() before any thread starts and only read after.
 * Secrets never reach the log: callers pass names and ids, not credentials.
 */
#ifndef RENKEI_LOG_H
#define RENKEI_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum log_format { LOG_TEXT, LOG_JSON };
enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Sets format and threshold; call before threads start. */
void log_setup(enum log_format fmt, enum log_level level);

/* Parses "text" / "json"; false when neither. */
bool log_format_parse(const char *s, enum log_format *fmt);

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

struct log_request {
	const char *method;
	const char *path; /* without the query string */
	int status;
	uint64_t bytes; /* response body bytes */
	uint64_t duration_us;
	const char *user;   /* "-" when anonymous */
	const char *org;    /* "-" when anonymous */
	const char *remote; /* peer address */
};

/* The access-log line of one request. */
void log_request(const struct log_request *r);

#endif
