/*
 * fuzz_envelope.c - libFuzzer target for the envelope scanner (stix.h):
 * splits arbitrary bytes as a TAXII envelope or STIX bundle, then checks
 * every span as an object, as ingest does. Traps when a contract of
 * stix_envelope_split() is broken (spans outside the body, output left on
 * failure, a message that is not one line).
 *
 * Build: clang -fsanitize=fuzzer,address,undefined ... -ljansson
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/stix/stix.h"

#include "../src/common/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_msg(const char *msg)
{
	size_t n = strnlen(msg, STIX_MSG_MAX);

	if (n == 0 || n == STIX_MSG_MAX)
		__builtin_trap();
	for (size_t i = 0; i < n; i++)
		if (msg[i] < 0x20 || msg[i] >= 0x7f) /* one printable ASCII line */
			__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data;
	struct stix_limits lim;
	struct stix_span *spans = (struct stix_span *)&lim;
	enum stix_envelope_kind kind;
	char msg[STIX_MSG_MAX], id[STIX_ID_MAX];
	size_t n = 1;
	err_t rc;

	stix_limits_default(&lim);
	lim.max_objects = 1000;
	rc = stix_envelope_split(body, size, &lim, &spans, &n, &kind, msg);
	if (rc != ERR_OK) {
		if (spans || n)
			__builtin_trap();
		check_msg(msg);
		return 0;
	}
	if ((n == 0) != (spans == NULL) || n > lim.max_objects)
		__builtin_trap();
	for (size_t i = 0; i < n; i++) {
		struct stix_meta meta;
		json_t *obj = NULL;

		if (spans[i].len == 0 || spans[i].off > size || spans[i].len > size - spans[i].off)
			__builtin_trap();
		rc = stix_object_check(body + spans[i].off, spans[i].len, &lim, &obj, &meta, msg);
		if (rc == ERR_OK) {
			if (!obj || !stix_id_valid(meta.id, meta.type))
				__builtin_trap();
			json_decref(obj);
		} else {
			if (obj)
				__builtin_trap();
			check_msg(msg);
		}
	}
	free(spans);
	(void)stix_scan_member_string(body, size, "id", id, sizeof(id));
	return 0;
}
