/*
 * test_schema.c - the numbered schema migrations, on whichever back end the
 * harness uses (SQLite, or PostgreSQL with $RENKEI_TEST_PG):
 *
 * - a fresh hub is at the newest version;
 * - a hub five versions behind (migrations 2 to 6 taken back by hand)
 *   is upgraded when a node starts, which says so in its log, and keeps its
 *   data; migration 4 marks each stored version last or first as it is;
 *   after migration 5 (SQLite) a deleted row's number is not given again;
 *   after migration 6 (SQLite) an id's owner is read from its rows, and
 *   object_owners keeps the owners of deleted rows; either way an id
 *   stays its provider's;
 * - a hub whose schema is newer than this renkei is refused, with the
 *   reason, and left untouched.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define TS	    RK_COLLS "threat-sharing/"
#define NEWEST	    6 /* the number of migrations of this renkei */
#define GRANT_INDEX "object_grants_principal"

static int setup(void **state)
{
	struct rk_hub *h = rk_hub_new();
	if (!h)
		return -1;
	*state = h;
	return 0;
}

static int teardown(void **state)
{
	struct rk_hub *h = *state;
	if (h && h->pid > 0)
		rk_serve_stop(h);
	rk_hub_free(h);
	return 0;
}

static long schema_version(struct rk_hub *h)
{
	char *out = NULL;
	int rc = rk_sql(h, &out, "SELECT max(version) FROM schema_version;");
	long v = rc == 0 && out ? strtol(out, NULL, 10) : -1;
	free(out);
	return v;
}

/* Whether the table of migration 3 is there. */
static bool generation_exists(struct rk_hub *h)
{
	char *out = NULL;
	int rc = rk_sql(h, &out, "SELECT count(*) FROM data_generation;");
	bool yes = rc == 0 && out && strtol(out, NULL, 10) == 1;
	free(out);
	return yes;
}

/* The number printed by one query, or -1. */
static long sql_number(struct rk_hub *h, const char *sql)
{
	char *out = NULL;
	int rc = rk_sql(h, &out, sql);
	long v = rc == 0 && out && *out ? strtol(out, NULL, 10) : -1;
	free(out);
	return v;
}

/* Whether the index of migration 2 is there. */
static bool grant_index_exists(struct rk_hub *h)
{
	char *out = NULL;
	int rc = rk_sql(
		h, &out,
		rk_hub_is_pg(h)
			? "SELECT count(*) FROM pg_indexes WHERE indexname = '" GRANT_INDEX "';"
			: "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name "
			  "= '" GRANT_INDEX "';");
	bool yes = rc == 0 && out && strtol(out, NULL, 10) == 1;
	free(out);
	return yes;
}

static void t_fresh_is_newest(void **state)
{
	struct rk_hub *h = *state;
	assert_int_equal(schema_version(h), NEWEST);
	assert_true(grant_index_exists(h));
	assert_true(generation_exists(h));
}

static void t_upgrade_on_start(void **state)
{
	struct rk_hub *h = *state;
	struct rk_resp r;
	char id[RK_ID_MAX];

	/* Something stored before the upgrade: three versions of one id. */
	assert_int_equal(rk_serve_start(h, NULL), 0);
	static const char *const mods[3] = {"2026-01-01T00:00:00.000Z", "2026-02-01T00:00:00.000Z",
					    "2026-03-01T00:00:00.000Z"};
	char *ind = rk_indicator(mods[0], id);
	for (int i = 0; i < 3; i++) {
		char *v = i ? rk_stix(&(struct rk_obj){.id = id,
						       .created = mods[0],
						       .modified = mods[i]},
				      NULL)
			    : ind;
		char *env = rk_envelope(&v, 1);
		assert_int_equal(rk_post(h, &r, "ipa-analyst", env, TS "objects/"), 0);
		assert_int_equal(r.status, 202);
		rk_resp_release(&r);
		free(env);
		free(v);
	}
	/* And an SCO, which has no owner. */
	char u[37], sco[RK_ID_MAX], gone[RK_ID_MAX], sql[1024];
	struct rk_sb b = {0};
	rk_uuid4(u);
	snprintf(sco, sizeof(sco), "ipv4-addr--%s", u);
	rk_sb_addf(&b,
		   "{\"objects\":[{\"type\":\"ipv4-addr\",\"spec_version\":\"2.1\",\"id\":\"%s\","
		   "\"value\":\"203.0.113.7\"}]}",
		   sco);
	assert_int_equal(rk_post(h, &r, "ipa-analyst", b.s, TS "objects/"), 0);
	assert_int_equal(r.status, 202);
	rk_resp_release(&r);
	free(b.s);
	assert_int_equal(rk_serve_stop(h), 0);

	/* Back to version 1, as an older renkei left it. */
	assert_int_equal(rk_sql(h, NULL,
				rk_hub_is_pg(h)
					? "DROP TRIGGER objects_edges_insert ON objects; "
					  "DROP TRIGGER objects_edges_delete ON objects; "
					  "DROP FUNCTION objects_edges_insert(); "
					  "DROP FUNCTION objects_edges_delete();"
					: "DROP TRIGGER objects_edges_insert; "
					  "DROP TRIGGER objects_edges_delete; "
					  "DROP TRIGGER objects_seq_delete; "
					  "DROP TABLE objects_seq_freed; "
					  "DROP TRIGGER objects_owner_delete; "
					  "ALTER TABLE objects DROP COLUMN unversioned; "
					  "INSERT INTO object_owners(stix_id, org_id) SELECT "
					  "DISTINCT stix_id, org_id FROM objects WHERE type "
					  "<> 'ipv4-addr' ON CONFLICT DO NOTHING;"),
			 0);
	/* An id whose every version an older renkei deleted: its owner is
	 * all that is left of it. */
	rk_uuid4(u);
	snprintf(gone, sizeof(gone), "indicator--%s", u);
	snprintf(sql, sizeof(sql),
		 "INSERT INTO object_owners(stix_id, org_id) SELECT '%s', org_id FROM objects "
		 "WHERE stix_id = '%s' LIMIT 1;",
		 gone, id);
	assert_int_equal(rk_sql(h, NULL, sql), 0);
	assert_int_equal(rk_sql(h, NULL,
				"DROP INDEX " GRANT_INDEX "; DROP TABLE data_generation; "
				"ALTER TABLE objects DROP COLUMN is_last; "
				"ALTER TABLE objects DROP COLUMN is_first; "
				"DELETE FROM schema_version WHERE version >= 2;"),
			 0);
	assert_int_equal(schema_version(h), 1);
	assert_false(grant_index_exists(h));
	assert_false(generation_exists(h));

	int before = rk_log_count(h, "upgraded the schema to version 2");
	int before3 = rk_log_count(h, "upgraded the schema to version 3");
	int before4 = rk_log_count(h, "upgraded the schema to version 4");
	int before5 = rk_log_count(h, "upgraded the schema to version 5");
	int before6 = rk_log_count(h, "upgraded the schema to version 6");
	assert_int_equal(rk_serve_start(h, NULL), 0);
	assert_int_equal(rk_log_count(h, "upgraded the schema to version 5"), before5 + 1);
	assert_int_equal(rk_log_count(h, "upgraded the schema to version 6"), before6 + 1);
	assert_int_equal(rk_log_count(h, "upgraded the schema to version 2"), before + 1);
	assert_int_equal(rk_log_count(h, "upgraded the schema to version 3"), before3 + 1);
	assert_int_equal(rk_log_count(h, "upgraded the schema to version 4"), before4 + 1);
	assert_int_equal(schema_version(h), NEWEST);
	assert_true(grant_index_exists(h));
	assert_true(generation_exists(h));

	/* Migration 4 marked the newest version last and the oldest first,
	 * and no other. */
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM objects WHERE stix_id = '%s' AND is_last = 1 AND version = "
		 "(SELECT max(version) FROM objects WHERE stix_id = '%s');",
		 id, id);
	assert_int_equal(sql_number(h, sql), 1);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM objects WHERE stix_id = '%s' AND is_first = 1 AND version "
		 "= (SELECT min(version) FROM objects WHERE stix_id = '%s');",
		 id, id);
	assert_int_equal(sql_number(h, sql), 1);
	snprintf(sql, sizeof(sql),
		 "SELECT sum(is_last) + sum(is_first) FROM objects WHERE stix_id = '%s';", id);
	assert_int_equal(sql_number(h, sql), 2);

	/* The object is still there and served: the last version by default,
	 * the first on request. */
	assert_int_equal(rk_get(h, &r, "ipa-analyst", TS "objects/%s/", id), 0);
	json_t *doc = rk_assert_ok(&r);
	assert_int_equal(json_array_size(json_object_get(doc, "objects")), 1);
	assert_non_null(strstr(r.body, mods[2]));
	rk_resp_release(&r);
	assert_int_equal(rk_get(h, &r, "ipa-analyst", TS "objects/%s/?match[version]=first", id),
			 0);
	doc = rk_assert_ok(&r);
	assert_int_equal(json_array_size(json_object_get(doc, "objects")), 1);
	assert_non_null(strstr(r.body, "\"modified\":\"2026-01-01T00:00:00.000Z\""));
	rk_resp_release(&r);

	/* A second start finds nothing to do. */
	assert_int_equal(rk_serve_restart(h), 0);
	assert_int_equal(rk_log_count(h, "upgraded the schema to version 2"), before + 1);

	/* Migration 6 (SQLite): the SCO's row is unversioned and the
	 * indicator's are not; object_owners keeps the deleted id's owner and
	 * no owner of an id that has versioned rows. */
	if (!rk_hub_is_pg(h)) {
		snprintf(sql, sizeof(sql),
			 "SELECT count(*) FROM objects WHERE unversioned = 1 AND stix_id = '%s';",
			 sco);
		assert_int_equal(sql_number(h, sql), 1);
		snprintf(sql, sizeof(sql),
			 "SELECT count(*) FROM objects WHERE unversioned = 0 AND stix_id = '%s';",
			 id);
		assert_int_equal(sql_number(h, sql), 3);
		snprintf(sql, sizeof(sql),
			 "SELECT count(*) FROM object_owners WHERE stix_id = '%s';", gone);
		assert_int_equal(sql_number(h, sql), 1);
		assert_int_equal(sql_number(h,
					    "SELECT count(*) FROM object_owners WHERE stix_id IN "
					    "(SELECT stix_id FROM objects WHERE unversioned = 0);"),
				 0);
	}

	/*
	 * A node not yet upgraded (a rolling upgrade) writes rows without the
	 * flags of migration 4: its new version is stored at 0, and the
	 * database's triggers keep the others right. Written here by hand,
	 * with the node stopped: a later version, then its delete.
	 */
	assert_int_equal(rk_serve_stop(h), 0);
	snprintf(sql, sizeof(sql),
		 "INSERT INTO objects(collection_id, stix_id, type, spec_version, version, "
		 "date_added, org_id, scope_id, tlp, category, body) SELECT collection_id, "
		 "stix_id, type, spec_version, version + 1000, date_added + 1000, org_id, "
		 "scope_id, tlp, category, body FROM objects WHERE stix_id = '%s' AND version = "
		 "(SELECT max(version) FROM objects WHERE stix_id = '%s');",
		 id, id);
	assert_int_equal(rk_sql(h, NULL, sql), 0);
	snprintf(sql, sizeof(sql),
		 "SELECT sum(is_last) + sum(is_first) FROM objects WHERE stix_id = '%s';", id);
	assert_int_equal(sql_number(h, sql), 1); /* the first; the old last is cleared */
	assert_int_equal(rk_serve_start_again(h), 0);
	assert_int_equal(rk_get(h, &r, "ipa-analyst", TS "manifest/?match[id]=%s", id), 0);
	doc = rk_assert_ok(&r);
	assert_int_equal(json_array_size(json_object_get(doc, "objects")), 1);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(json_object_get(doc, "objects"), 0), "version")),
			    "2026-03-01T00:00:00.001Z");
	rk_resp_release(&r);
	assert_int_equal(rk_serve_stop(h), 0);
	snprintf(sql, sizeof(sql),
		 "DELETE FROM objects WHERE stix_id = '%s' AND version = (SELECT max(version) "
		 "FROM objects WHERE stix_id = '%s');",
		 id, id);
	assert_int_equal(rk_sql(h, NULL, sql), 0);
	snprintf(sql, sizeof(sql),
		 "SELECT sum(is_last) + sum(is_first) FROM objects WHERE stix_id = '%s';", id);
	assert_int_equal(sql_number(h, sql), 2); /* the old last is last again */
	assert_int_equal(rk_serve_start_again(h), 0);
	assert_int_equal(rk_get(h, &r, "ipa-analyst", TS "objects/%s/", id), 0);
	doc = rk_assert_ok(&r);
	assert_int_equal(json_array_size(json_object_get(doc, "objects")), 1);
	assert_non_null(strstr(r.body, mods[2]));
	rk_resp_release(&r);

	/* Either way both ids stay their provider's: another organisation
	 * may not post a version of either, and the provider may. */
	const char *ids[2] = {id, gone};
	for (int i = 0; i < 2; i++) {
		char *v = rk_stix(
			&(struct rk_obj){.id = ids[i], .modified = "2026-04-01T00:00:00.000Z"},
			NULL);
		char *env = rk_envelope(&v, 1);
		assert_int_equal(rk_post(h, &r, "mod-analyst", env, TS "objects/"), 0);
		assert_int_equal(r.status, 202);
		assert_non_null(strstr(r.body, "\"failure_count\":1"));
		rk_resp_release(&r);
		assert_int_equal(rk_post(h, &r, "ipa-analyst", env, TS "objects/"), 0);
		assert_int_equal(r.status, 202);
		assert_non_null(strstr(r.body, "\"success_count\":1"));
		rk_resp_release(&r);
		free(env);
		free(v);
	}
}

static void t_newer_refused(void **state)
{
	struct rk_hub *h = *state;
	char *out = NULL;

	assert_int_equal(rk_sql(h, NULL, "INSERT INTO schema_version VALUES(99);"), 0);
	int before = rk_log_count(h, "newer than this renkei");
	/* Every command refuses it, init included, with the reason. */
	int rc = rk_cli(h, NULL, &out, "org", "list", NULL);
	free(out);
	assert_int_not_equal(rc, 0);
	assert_true(rk_log_count(h, "newer than this renkei") > before);
	assert_true(rk_log_count(h, "upgrade renkei") > 0);
	rc = rk_cli(h, NULL, &out, "init", NULL);
	free(out);
	assert_int_not_equal(rc, 0);
	/* And it was left as it was. */
	assert_int_equal(schema_version(h), 99);
	assert_true(grant_index_exists(h));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(t_fresh_is_newest, setup, teardown),
		cmocka_unit_test_setup_teardown(t_upgrade_on_start, setup, teardown),
		cmocka_unit_test_setup_teardown(t_newer_refused, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
