/*
 * server.h - the HTTP(S) front of renkei on libmicrohttpd: turns each
 * request into a struct api_req for api_handle(), sends its answer, logs
 * one line and counts it. <microhttpd.h> is included in http/ only.
 */
#ifndef RENKEI_SERVER_H
#define RENKEI_SERVER_H

#include <stddef.h>

#include "../api/app.h"

struct server;

/* Starts serving app->cfg's address and port (TLS when a certificate and
 * key are configured). On failure returns an error with a reason in msg. */
err_t server_start(struct app *app, struct server **out, char *msg, size_t n);

/* The port actually bound (useful when port 0 asked for any free one). */
unsigned server_port(const struct server *s);

/* Stops accepting, lets requests in flight finish (up to a bound), and
 * frees everything. NULL-safe. */
void server_stop(struct server *s);

#endif
