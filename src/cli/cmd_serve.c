/* cmd_serve.c - 'renkei serve': run the hub until SIGTERM or SIGINT. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../common/log.h"
#include "../api/agreements.h"
#include "../http/server.h"
#include "cli.h"
#include "commands.h"
#include "../common/banned.h"

static const char serve_help[] =
	"usage: renkei serve [options]\n\n"
	"Serves the hub's TAXII 2.1 API (discovery at /taxii2/), /healthz and /metrics\n"
	"until SIGTERM or SIGINT; then stops accepting, finishes the requests in flight\n"
	"and exits 0.\n\n"
	"Options (each also a setting of the configuration file):\n"
	"  --listen ADDR         address to listen on (default 127.0.0.1)\n"
	"  --port N              port (default 8080; 0 picks a free one)\n"
	"  --port-file FILE      write the bound port there once listening\n"
	"  --threads N           workers that answer requests (default 4)\n"
	"  --io-threads N        threads that read requests and write answers, TLS\n"
	"                        encryption included (default 1)\n"
	"  --tls-cert FILE       PEM certificate chain: serve HTTPS (TLS 1.2 and 1.3)\n"
	"  --tls-key FILE        PEM private key of the certificate\n"
	"  --log-format text|json\n"
	"  --read-database DSN   a hot standby (postgresql://...) for page reads\n";

static void warn_agreements(struct app *app)
{
	struct store_conn *c = NULL;
	store_conn_get(app->store, &c);
	err_t rc = agreements_check(app, c, NULL, true);
	store_conn_put(app->store, c);
	if (rc)
		log_error("could not check the agreements' terms (%s)", err_name(rc));
}

int cmd_serve(int argc, char **argv)
{
	struct cli_args a;
	struct app app;
	struct server *srv = NULL;
	char msg[512];
	sigset_t set;
	int sig = 0;

	if (!cli_parse("serve", argc, argv, NULL, &a))
		return EXIT_USAGE;
	if (a.help) {
		printf("%s\n%s", serve_help, cli_common_help);
		return EXIT_OK;
	}
	if (a.n_pos) {
		cli_error("serve", "takes no arguments (see --help)");
		return EXIT_USAGE;
	}
	/* Block the stop signals before any thread starts, so that every
	 * thread inherits the mask and only sigwait() below receives them. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (!cli_open(&a, false, &app))
		return EXIT_FAIL;
	if (server_start(&app, &srv, msg, sizeof(msg))) {
		cli_error("serve", "%s", msg);
		app_close(&app);
		return EXIT_FAIL;
	}
	unsigned port = server_port(srv);
	bool tls = app.cfg.tls_cert[0] != '\0';
	if (app.cfg.port_file[0]) {
		FILE *f = fopen(app.cfg.port_file, "w");
		if (!f || fprintf(f, "%u\n", port) < 0 || fclose(f)) {
			cli_error("serve", "cannot write the port file %s", app.cfg.port_file);
			server_stop(srv);
			app_close(&app);
			return EXIT_FAIL;
		}
	}
	char shown[CONFIG_PATH_MAX];
	store_dsn_public(app.cfg.database, shown, sizeof(shown));
	log_info("renkei serving %s://%s:%u/taxii2/ (database %s%s, %u threads)",
		 tls ? "https" : "http", app.cfg.listen, port, shown,
		 store_has_standby(app.store) ? ", reads from a standby" : "", app.cfg.threads);

	/* Art. 4: warn in the log when an agreement is not in force or nears
	 * its objection deadline; at start, then once a day. */
	day_t checked = term_day_of(app_now(&app));
	warn_agreements(&app);
	for (;;) {
		struct timespec hour = {.tv_sec = 3600};
		sig = sigtimedwait(&set, NULL, &hour);
		if (sig == SIGTERM || sig == SIGINT)
			break;
		day_t today = term_day_of(app_now(&app));
		if (today != checked) {
			checked = today;
			warn_agreements(&app);
		}
	}
	log_info("received %s: finishing requests in flight, then stopping",
		 sig == SIGTERM ? "SIGTERM" : "SIGINT");
	server_stop(srv);
	app_close(&app);
	log_info("stopped");
	return EXIT_OK;
}
