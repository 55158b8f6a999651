/*
 * Fuzz target: check definitions (checks/checkdef.c). The bytes are read as
 * JSON; an object is parsed as a check, validated, given defaults both ways,
 * checked against the script switches, and written as the catalog's
 * Definition and as persistence JSON. The persistence JSON must parse back to
 * the same definition (written again, byte for byte), and a deep copy must
 * write the same. Any input ends in a definition or an error message.
 */
// fuzz-lib: checks
#include "checks/checkdef.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void write_all(const struct checkdef *d, struct buf *out)
{
	struct jsonw w;
	jsonw_init(&w, out, false);
	checkdef_write_json(d, &w);
}

static void exercise(const json_t *j)
{
	struct checkdef d, back, copy;
	struct buf err = BUF_INIT, a = BUF_INIT, b = BUF_INIT, c = BUF_INIT, def = BUF_INIT;
	if (checkdef_parse(j, &d, &err) != 0) {
		if (!err.len)
			abort(); /* a refusal always says why */
		buf_free(&err);
		return;
	}
	checkdef_validate(&d, &err);
	checkdef_allowed(&d, CHECK_SOURCE_REMOTE, false, false, &err);
	(void)check_kind_name(checkdef_kind(&d));
	(void)checkdef_empty(&d);
	struct jsonw w;
	jsonw_init(&w, &def, false);
	checkdef_write_definition(&d, &w);
	checkdef_copy(&copy, &d);
	checkdef_set_service_defaults(&copy, "svc", "name", 1, 2);
	checkdef_set_check_defaults(&d);
	write_all(&d, &a);
	json_t *again = json_loadb(a.data, a.len, 0, NULL);
	if (!again || checkdef_parse(again, &back, &err) != 0)
		abort();
	write_all(&back, &b);
	if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
		abort();
	checkdef_free(&back);
	json_decref(again);
	checkdef_free(&copy);
	checkdef_copy(&copy, &d);
	write_all(&copy, &c);
	if (a.len != c.len || memcmp(a.data, c.data, a.len) != 0)
		abort();
	checkdef_free(&copy);
	checkdef_free(&d);
	buf_free(&err);
	buf_free(&a);
	buf_free(&b);
	buf_free(&c);
	buf_free(&def);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	if (!j)
		return 0;
	exercise(j);
	/* service definitions carry arrays of checks */
	if (json_is_array(j)) {
		size_t i;
		json_t *item;
		json_array_foreach(j, i, item)
		{
			exercise(item);
		}
	}
	json_decref(j);
	return 0;
}
