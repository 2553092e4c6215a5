/*
 * server.c - libmicrohttpd glue: request bodies with a hard cap, query
 * parameters, the per-request log line and metrics, answers held back for
 * failed logins (suspended connections resumed by a timer thread, so no
 * worker sleeps), TLS, and a graceful stop.
 *
 * libmicrohttpd's threads (io_threads, one by default) do the I/O, each of
 * the connections it accepted. A request whose body is in is suspended and
 * queued; a pool of workers takes requests from the one queue in arrival
 * order and resumes each connection with its answer. So a request waits for
 * the first free worker, not for the others that happened to arrive on the
 * same connection thread: answered on the thread that held its connection,
 * a page could wait behind 18 connections on one thread while another
 * thread served 11. Only the I/O stays with the connection's thread; with
 * TLS that includes encrypting every answer, which more io_threads can
 * share on a machine with cores to spare (docs/decisions.md).
 *
 * Depends on api/ and common/; the only folder that includes <microhttpd.h>.
 */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../api/api.h"
#include "../api/metrics.h"
#include "../common/log.h"
#include "../common/timeutil.h"
#include "../common/banned.h"

#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
#define PEM_MAX	       (1024 * 1024)
#define STOP_WAIT_US   (15LL * 1000000)

/* A held-back answer waiting for its time. */
struct delayed {
	struct MHD_Connection *conn;
	int64_t due;
	struct delayed *next;
};

struct server {
	struct app *app;
	struct MHD_Daemon *d;
	unsigned port;
	atomic_long inflight;
	char *cert, *key;

	/* The requests waiting for a worker, oldest first. */
	pthread_mutex_t jobs_lock;
	pthread_cond_t jobs_wake;
	struct req_ctx *jobs_head, **jobs_tail;
	bool jobs_closing;
	pthread_t *workers;
	unsigned n_workers;

	pthread_t timer;
	bool timer_started;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct delayed *queue;
	bool stopping;
};

/* Everything about one request, hung off libmicrohttpd's per-request pointer. */
struct req_ctx {
	int64_t start;
	struct buf body;
	bool too_big;
	bool answered_early;
	bool held; /* an answer is waiting in resp */
	struct api_req req;
	struct MHD_Connection *conn;
	struct req_ctx *next_job;
	struct api_resp resp;
	bool have_resp;
	int status;
	size_t bytes;
	char remote[INET6_ADDRSTRLEN];
	char method[16];
	char path[256]; /* for the log line, truncated */
};

/* ---- the timer that resumes held-back answers ---- */

static void *timer_main(void *arg)
{
	struct server *s = arg;
	pthread_mutex_lock(&s->lock);
	for (;;) {
		int64_t now = ts_now_us();
		while (s->queue && (s->queue->due <= now || s->stopping)) {
			struct delayed *d = s->queue;
			s->queue = d->next;
			MHD_resume_connection(d->conn);
			free(d);
		}
		if (s->stopping && !s->queue)
			break;
		if (!s->queue) {
			pthread_cond_wait(&s->wake, &s->lock);
		} else {
			struct timespec ts;
			int64_t due = s->queue->due;
			ts.tv_sec = (time_t)(due / 1000000);
			ts.tv_nsec = (long)(due % 1000000) * 1000;
			pthread_cond_timedwait(&s->wake, &s->lock, &ts);
		}
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* Queues conn (already suspended) for resumption at due, in order. */
static bool hold(struct server *s, struct MHD_Connection *conn, int64_t due)
{
	struct delayed *d = calloc(1, sizeof(*d));
	if (!d)
		return false;
	d->conn = conn;
	d->due = due;
	pthread_mutex_lock(&s->lock);
	if (s->stopping) {
		/* The timer is gone or going: the caller answers at once. */
		pthread_mutex_unlock(&s->lock);
		free(d);
		return false;
	}
	struct delayed **p = &s->queue;
	while (*p && (*p)->due <= due)
		p = &(*p)->next;
	d->next = *p;
	*p = d;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
	return true;
}

/* ---- requests ---- */

/* Hands a suspended request to the workers, after the ones before it. */
static void enqueue(struct server *s, struct req_ctx *rc)
{
	rc->next_job = NULL;
	pthread_mutex_lock(&s->jobs_lock);
	*s->jobs_tail = rc;
	s->jobs_tail = &rc->next_job;
	pthread_cond_signal(&s->jobs_wake);
	pthread_mutex_unlock(&s->jobs_lock);
}

static enum MHD_Result collect_param(void *cls, enum MHD_ValueKind kind, const char *key,
				     const char *value)
{
	struct api_req *req = cls;
	(void)kind;
	if (req->n_params == API_MAX_PARAMS) {
		req->too_many_params = true;
		return MHD_NO;
	}
	req->params[req->n_params].key = key;
	req->params[req->n_params].value = value ? value : "";
	req->n_params++;
	return MHD_YES;
}

static void peer_address(struct MHD_Connection *conn, char *out, size_t n)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	snprintf(out, n, "-");
	if (!ci || !ci->client_addr)
		return;
	const struct sockaddr *sa = ci->client_addr;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
			  (socklen_t)n);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
			  out, (socklen_t)n);
}

/* Turns the api's answer into libmicrohttpd's and queues it. */
static enum MHD_Result send_resp(struct MHD_Connection *conn, struct req_ctx *rc)
{
	struct api_resp *r = &rc->resp;
	size_t len = 0;
	char *data = buf_detach(&r->body, &len);
	struct MHD_Response *mr = MHD_create_response_from_buffer(len, data ? data : (char *)"",
								  data ? MHD_RESPMEM_MUST_FREE
								       : MHD_RESPMEM_PERSISTENT);
	if (!mr) {
		free(data);
		return MHD_NO;
	}
	MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
	MHD_add_response_header(mr, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(mr, "X-Content-Type-Options", "nosniff");
	if (r->has_date_headers) {
		MHD_add_response_header(mr, "X-TAXII-Date-Added-First", r->date_first);
		MHD_add_response_header(mr, "X-TAXII-Date-Added-Last", r->date_last);
	}
	if (r->www_authenticate)
		MHD_add_response_header(mr, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Basic realm=\"renkei\", Bearer realm=\"renkei\"");
	if (r->allow)
		MHD_add_response_header(mr, MHD_HTTP_HEADER_ALLOW, r->allow);
	rc->status = r->status;
	rc->bytes = len;
	enum MHD_Result ret = MHD_queue_response(conn, (unsigned)r->status, mr);
	MHD_destroy_response(mr);
	return ret;
}

/* An answer made before the body is read: 413 for a declared length over
 * the cap. The connection closes afterwards; nothing of the body is kept. */
static enum MHD_Result answer_early(struct server *s, struct MHD_Connection *conn,
				    struct req_ctx *rc, int status, const char *json)
{
	(void)s;
	api_resp_init(&rc->resp, 4096);
	rc->have_resp = true;
	rc->resp.status = status;
	rc->resp.route = "objects_post";
	buf_adds(&rc->resp.body, json);
	rc->answered_early = true;
	return send_resp(conn, rc);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_size, void **con_cls)
{
	struct server *s = cls;
	struct req_ctx *rc = *con_cls;
	size_t cap = s->app->cfg.max_content_length;
	(void)version;

	if (!rc) {
		rc = calloc(1, sizeof(*rc));
		if (!rc)
			return MHD_NO;
		rc->start = ts_now_us();
		buf_init(&rc->body, cap);
		peer_address(conn, rc->remote, sizeof(rc->remote));
		snprintf(rc->method, sizeof(rc->method), "%s", method);
		snprintf(rc->path, sizeof(rc->path), "%s", url);
		*con_cls = rc;
		atomic_fetch_add(&s->inflight, 1);
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl) {
			char *end = NULL;
			errno = 0;
			unsigned long long v = strtoull(cl, &end, 10);
			if (errno || (end && *end) || v > cap)
				return answer_early(
					s, conn, rc, 413,
					"{\"title\":\"Payload Too Large\",\"description\":"
					"\"the request body is larger than max_content_length\","
					"\"http_status\":\"413\"}");
		}
		return MHD_YES;
	}
	if (rc->answered_early) {
		*upload_size = 0;
		return MHD_YES;
	}
	if (*upload_size) {
		if (!rc->too_big && buf_add(&rc->body, upload_data, *upload_size)) {
			rc->too_big = true;
			buf_release(&rc->body);
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (rc->held) {
		/* Resumed: the answer is made and its time has come. */
		rc->held = false;
		return send_resp(conn, rc);
	}

	struct api_req *req = &rc->req;
	memset(req, 0, sizeof(*req));
	req->method = method;
	req->path = url;
	req->accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
	req->content_type =
		MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	req->authorization =
		MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	req->remote = rc->remote;
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_param, req);
	req->body = rc->body.data ? rc->body.data : "";
	req->body_len = rc->body.len;
	req->body_too_big = rc->too_big;

	/* Every pointer in req stays valid while the request lasts; the
	 * connection sleeps until a worker has its answer. */
	rc->conn = conn;
	MHD_suspend_connection(conn);
	enqueue(s, rc);
	return MHD_YES;
}

/* Makes the answer to a queued request and wakes its connection. */
static void serve_job(struct server *s, struct req_ctx *rc)
{
	/* A page stops itself at max_page_bytes; a status resource lists every
	 * object of an envelope with a message of bounded size. */
	api_resp_init(&rc->resp,
		      s->app->cfg.max_page_bytes + s->app->cfg.max_objects * 768 + (1u << 20));
	rc->have_resp = true;
	api_handle(s->app, &rc->req, &rc->resp);
	buf_release(&rc->body);
	rc->held = true;
	struct MHD_Connection *conn = rc->conn;
	if (rc->resp.delay_ms && hold(s, conn, ts_now_us() + (int64_t)rc->resp.delay_ms * 1000))
		return;
	/* No delay, or it could not be queued: answer now rather than never. */
	MHD_resume_connection(conn);
}

static void *worker_main(void *arg)
{
	struct server *s = arg;
	pthread_mutex_lock(&s->jobs_lock);
	for (;;) {
		struct req_ctx *rc = s->jobs_head;
		if (!rc) {
			if (s->jobs_closing)
				break;
			pthread_cond_wait(&s->jobs_wake, &s->jobs_lock);
			continue;
		}
		s->jobs_head = rc->next_job;
		if (!s->jobs_head)
			s->jobs_tail = &s->jobs_head;
		pthread_mutex_unlock(&s->jobs_lock);
		serve_job(s, rc);
		pthread_mutex_lock(&s->jobs_lock);
	}
	pthread_mutex_unlock(&s->jobs_lock);
	return NULL;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct server *s = cls;
	struct req_ctx *rc = *con_cls;
	(void)toe;
	if (!rc)
		return;
	(void)conn;
	uint64_t dur = (uint64_t)(ts_now_us() - rc->start);
	const char *route = rc->have_resp ? rc->resp.route : "other";
	struct log_request lr = {
		.method = rc->method,
		.path = rc->path,
		.status = rc->status,
		.bytes = rc->bytes,
		.duration_us = dur,
		.user = rc->have_resp ? rc->resp.user : "-",
		.org = rc->have_resp ? rc->resp.org : "-",
		.remote = rc->remote,
	};
	log_request(&lr);
	metrics_observe(s->app->metrics, route, rc->status, dur);
	if (rc->have_resp)
		api_resp_release(&rc->resp);
	buf_release(&rc->body);
	free(rc);
	*con_cls = NULL;
	atomic_fetch_sub(&s->inflight, 1);
}

/* ---- start and stop ---- */

static char *read_pem(const char *path, char *msg, size_t n)
{
	struct buf b;
	buf_init(&b, PEM_MAX);
	err_t rc = buf_read_file(&b, path);
	if (rc || !b.len) {
		snprintf(msg, n, "%s: %s", path,
			 rc == ERR_TOOBIG ? "too large"
			 : rc		  ? strerror(errno)
					  : "empty");
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];
	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	size_t len = strlen(line);
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		line[--len] = '\0';
	log_debug("http: %s", line);
}

err_t server_start(struct app *app, struct server **out, char *msg, size_t n)
{
	struct server *s = NULL;
	struct addrinfo hints, *ai = NULL;
	char portstr[8];
	err_t rc = ERR_OK;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return ERR_NOMEM;
	s->app = app;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->wake, NULL);
	pthread_mutex_init(&s->jobs_lock, NULL);
	pthread_cond_init(&s->jobs_wake, NULL);
	s->jobs_tail = &s->jobs_head;

	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(portstr, sizeof(portstr), "%u", app->cfg.port);
	if (getaddrinfo(app->cfg.listen, portstr, &hints, &ai) || !ai) {
		snprintf(msg, n, "listen: '%s' is not a numeric IPv4 or IPv6 address",
			 app->cfg.listen);
		rc = ERR_INVALID;
		goto fail;
	}

	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
			 MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	bool tls = app->cfg.tls_cert[0] || app->cfg.tls_key[0];
	if (tls) {
		if (!app->cfg.tls_cert[0] || !app->cfg.tls_key[0]) {
			snprintf(msg, n, "TLS needs both tls_cert and tls_key");
			rc = ERR_INVALID;
			goto fail;
		}
		s->cert = read_pem(app->cfg.tls_cert, msg, n);
		if (!s->cert) {
			rc = ERR_IO;
			goto fail;
		}
		s->key = read_pem(app->cfg.tls_key, msg, n);
		if (!s->key) {
			rc = ERR_IO;
			goto fail;
		}
		flags |= MHD_USE_TLS;
	}

	if (pthread_create(&s->timer, NULL, timer_main, s)) {
		snprintf(msg, n, "cannot start the timer thread");
		rc = ERR_INTERNAL;
		goto fail;
	}
	s->timer_started = true;

	s->workers = calloc(app->cfg.threads, sizeof(*s->workers));
	if (!s->workers) {
		rc = ERR_NOMEM;
		goto fail;
	}
	for (; s->n_workers < app->cfg.threads; s->n_workers++) {
		if (pthread_create(&s->workers[s->n_workers], NULL, worker_main, s)) {
			snprintf(msg, n, "cannot start worker threads");
			rc = ERR_INTERNAL;
			goto fail;
		}
	}

	struct MHD_OptionItem tls_opts[] = {
		{MHD_OPTION_HTTPS_MEM_CERT, 0, s->cert},
		{MHD_OPTION_HTTPS_MEM_KEY, 0, s->key},
		{MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)TLS_PRIORITIES},
		{MHD_OPTION_END, 0, NULL},
	};
	struct MHD_OptionItem no_opts[] = {{MHD_OPTION_END, 0, NULL}};
	s->d = MHD_start_daemon(
		flags, (uint16_t)app->cfg.port, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR,
		ai->ai_addr, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60, MHD_OPTION_CONNECTION_LIMIT,
		(unsigned)4096, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
		MHD_OPTION_THREAD_POOL_SIZE, app->cfg.io_threads, MHD_OPTION_EXTERNAL_LOGGER,
		mhd_log, NULL, MHD_OPTION_ARRAY, tls ? tls_opts : no_opts, MHD_OPTION_END);
	if (!s->d) {
		snprintf(msg, n,
			 "cannot listen on %s port %u (in use, or a bad TLS certificate or key)",
			 app->cfg.listen, app->cfg.port);
		rc = ERR_IO;
		goto fail;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = di ? di->port : app->cfg.port;
	freeaddrinfo(ai);
	*out = s;
	return ERR_OK;
fail:
	if (ai)
		freeaddrinfo(ai);
	server_stop(s);
	return rc;
}

unsigned server_port(const struct server *s)
{
	return s->port;
}

void server_stop(struct server *s)
{
	if (!s)
		return;
	if (s->d) {
		/* Stop accepting; let requests in flight (and held answers) end. */
		MHD_socket fd = MHD_quiesce_daemon(s->d);
		/* Close the listening socket: new connections are refused at
		 * once instead of waiting in the kernel's queue, unserved. */
		if (fd != MHD_INVALID_SOCKET)
			close(fd);
	}
	if (s->timer_started) {
		pthread_mutex_lock(&s->lock);
		s->stopping = true;
		pthread_cond_signal(&s->wake);
		pthread_mutex_unlock(&s->lock);
		pthread_join(s->timer, NULL);
	}
	if (s->d) {
		int64_t until = ts_now_us() + STOP_WAIT_US;
		while (atomic_load(&s->inflight) > 0 && ts_now_us() < until)
			usleep(10000);
	}
	/* The workers answer what is still queued, then end: a connection
	 * must not be left suspended when the daemon stops. */
	pthread_mutex_lock(&s->jobs_lock);
	s->jobs_closing = true;
	pthread_cond_broadcast(&s->jobs_wake);
	pthread_mutex_unlock(&s->jobs_lock);
	for (unsigned i = 0; i < s->n_workers; i++)
		pthread_join(s->workers[i], NULL);
	free(s->workers);
	if (s->d)
		MHD_stop_daemon(s->d);
	pthread_mutex_destroy(&s->jobs_lock);
	pthread_cond_destroy(&s->jobs_wake);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->wake);
	free(s->cert);
	free(s->key);
	free(s);
}
