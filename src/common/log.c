/*
 * log.c - text or JSON log lines on stderr. Uses jansson to escape JSON.
 * One fprintf per line, so lines of different threads never interleave.
 */
#include "log.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "timeutil.h"
#include "banned.h"

static enum log_format log_fmt = LOG_TEXT;
static enum log_level log_threshold = LOG_INFO;

void log_setup(enum log_format fmt, enum log_level level)
{
	log_fmt = fmt;
	log_threshold = level;
}

bool log_format_parse(const char *s, enum log_format *fmt)
{
	if (!strcmp(s, "text"))
		*fmt = LOG_TEXT;
	else if (!strcmp(s, "json"))
		*fmt = LOG_JSON;
	else
		return false;
	return true;
}

static const char *level_name[] = {"error", "warn", "info", "debug"};

static void vlog(enum log_level level, const char *fmt, va_list ap)
{
	char msg[1024], ts[TS_BUFSZ];

	if (level > log_threshold)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* Messages may quote client bytes: no control byte may forge a line. */
	for (char *p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	ts_format_ms(ts_now_us(), ts);
	if (log_fmt == LOG_JSON) {
		json_t *o = json_pack("{s:s, s:s, s:s}", "time", ts, "level", level_name[level],
				      "msg", msg);
		char *line = o ? json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
		if (line)
			fprintf(stderr, "%s\n", line);
		free(line);
		json_decref(o);
	} else {
		fprintf(stderr, "%s %s %s\n", ts, level_name[level], msg);
	}
}

#define DEFINE_LOG(fn, lvl)                                                                        \
	void fn(const char *fmt, ...)                                                              \
	{                                                                                          \
		va_list ap;                                                                        \
		va_start(ap, fmt);                                                                 \
		vlog(lvl, fmt, ap);                                                                \
		va_end(ap);                                                                        \
	}

DEFINE_LOG(log_error, LOG_ERROR)
DEFINE_LOG(log_warn, LOG_WARN)
DEFINE_LOG(log_info, LOG_INFO)
DEFINE_LOG(log_debug, LOG_DEBUG)

/* Copies s into out with control bytes replaced, so that a client-supplied
 * path cannot forge a log line. */
static const char *clean(const char *s, char *out, size_t n)
{
	size_t i = 0;
	for (; s[i] && i + 1 < n; i++)
		out[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
	out[i] = '\0';
	return out;
}

void log_request(const struct log_request *r)
{
	char ts[TS_BUFSZ], path[256];

	if (log_threshold < LOG_INFO)
		return;
	ts_format_ms(ts_now_us(), ts);
	clean(r->path, path, sizeof(path));
	if (log_fmt == LOG_JSON) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:i, s:I, s:f, s:s, s:s, s:s}", "time",
				      ts, "level", "info", "method", r->method, "path", path,
				      "status", r->status, "bytes", (json_int_t)r->bytes,
				      "duration_ms", (double)r->duration_us / 1000.0, "user",
				      r->user, "org", r->org, "remote", r->remote);
		char *line = o ? json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
		if (line)
			fprintf(stderr, "%s\n", line);
		free(line);
		json_decref(o);
		return;
	}
	fprintf(stderr, "%s info %s %s %d %llu %.3fms user=%s org=%s remote=%s\n", ts, r->method,
		path, r->status, (unsigned long long)r->bytes, (double)r->duration_us / 1000.0,
		r->user, r->org, r->remote);
}
