/*
 * test_dsn.c - unit tests of store_dsn_public(): a database setting as it may
 * be logged and shown, never with its password, whatever form it takes.
 * Depends on cmocka and store/ only (no database is opened).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/store/store.h"

static void shown(const char *dsn, const char *want)
{
	char out[512];
	store_dsn_public(dsn, out, sizeof(out));
	assert_string_equal(out, want);
}

static void t_sqlite_path_unchanged(void **state)
{
	(void)state;
	shown("data/renkei.db", "data/renkei.db");
	shown("/var/lib/renkei/hub:1.db", "/var/lib/renkei/hub:1.db");
}

static void t_url_without_password_unchanged(void **state)
{
	(void)state;
	shown("postgresql://renkei@db.example:5432/renkei?sslmode=verify-full",
	      "postgresql://renkei@db.example:5432/renkei?sslmode=verify-full");
	shown("postgresql://127.0.0.1:5432/renkei", "postgresql://127.0.0.1:5432/renkei");
}

static void t_url_password_dropped(void **state)
{
	(void)state;
	shown("postgresql://renkei:s3cr%40t@db.example:5432/renkei",
	      "postgresql://renkei@db.example:5432/renkei");
	shown("postgres://u:p@h/d", "postgres://u@h/d");
	/* An '@' in the path or query is not the end of the user part. */
	shown("postgresql://u:pw@h/d?application_name=a@b",
	      "postgresql://u@h/d?application_name=a@b");
	shown("postgresql://h:5432/d?user=a@b", "postgresql://h:5432/d?user=a@b");
}

static void t_password_parameter_masked(void **state)
{
	(void)state;
	shown("postgresql://u@h/d?sslmode=require&password=hunter2&connect_timeout=5",
	      "postgresql://u@h/d?sslmode=require&password=***&connect_timeout=5");
	shown("postgresql://u@h/d?password=hunter2", "postgresql://u@h/d?password=***");
	shown("host=h dbname=d password=hunter2 user=u", "host=h dbname=d password=*** user=u");
	/* Only the parameter named password, not a value that ends with it. */
	shown("postgresql://u@h/d?application_name=nopassword=x",
	      "postgresql://u@h/d?application_name=nopassword=x");
}

static void t_small_buffer_truncates(void **state)
{
	(void)state;
	char out[12];
	store_dsn_public("postgresql://u:secret@h/d", out, sizeof(out));
	assert_int_equal(strlen(out), sizeof(out) - 1);
	assert_null(strstr(out, "secret"));
	store_dsn_public("x", out, 0); /* nothing written, nothing broken */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_sqlite_path_unchanged),
		cmocka_unit_test(t_url_without_password_unchanged),
		cmocka_unit_test(t_url_password_dropped),
		cmocka_unit_test(t_password_parameter_masked),
		cmocka_unit_test(t_small_buffer_truncates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
