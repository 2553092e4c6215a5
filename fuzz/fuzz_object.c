/*
 * fuzz_object.c - libFuzzer target for one STIX object (stix.h): parses and
 * validates arbitrary bytes with the default limits and with tight ones, and
 * recovers the "id" the way refused objects are named. Traps when a contract
 * of stix_object_check() is broken (an object handed out on failure, an
 * accepted object without a valid id, a message that is not one line).
 *
 * Build: clang -fsanitize=fuzzer,address,undefined ... -ljansson
 */
#include <stdint.h>
#include <string.h>

#include "../src/stix/stix.h"

#include "../src/common/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_one(const char *p, size_t len, const struct stix_limits *lim)
{
	struct stix_meta meta;
	char msg[STIX_MSG_MAX];
	json_t *obj = (json_t *)&meta;
	err_t rc;
	size_t n;

	rc = stix_object_check(p, len, lim, &obj, &meta, msg);
	if (rc == ERR_OK) {
		if (!obj || !stix_id_valid(meta.id, meta.type) || !stix_type_valid(meta.type) ||
		    (meta.has_version &&
		     meta.version != (meta.has_modified ? meta.modified : meta.created)))
			__builtin_trap();
		json_decref(obj);
		return;
	}
	n = strnlen(msg, STIX_MSG_MAX);
	for (size_t i = 0; i < n; i++)
		if (msg[i] < 0x20 || msg[i] >= 0x7f) /* one printable ASCII line */
			__builtin_trap();
	if (obj || n == 0 || n == STIX_MSG_MAX || strnlen(meta.id, STIX_ID_MAX) == STIX_ID_MAX ||
	    strnlen(meta.type, STIX_TYPE_MAX) == STIX_TYPE_MAX)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct stix_limits lim;
	char id[STIX_ID_MAX];

	stix_limits_default(&lim);
	check_one(p, size, &lim);
	lim.max_depth = 3;
	lim.max_object_bytes = 512;
	check_one(p, size, &lim);
	(void)stix_scan_member_string(p, size, "id", id, sizeof(id));
	(void)stix_id_valid(id, NULL);
	return 0;
}
