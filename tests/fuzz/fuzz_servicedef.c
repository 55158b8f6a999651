/*
 * Fuzz target: service definitions (local/servicedef.c), as the HTTP API and
 * config files hand them over. Any JSON is parsed or refused; a definition that
 * passes validation must finalize, encode for persistence, and parse back to an
 * equal definition.
 */
// fuzz-lib: local
#include "local/servicedef.h"

#include <stdlib.h>

static void round_trip(const struct service_def *d)
{
	struct buf out = BUF_INIT, err = BUF_INIT;
	struct jsonw w;
	struct service_def back;
	jsonw_init(&w, &out, false);
	servicedef_write_json(d, &w);
	json_t *j = json_loadb(out.data, out.len, 0, NULL);
	if (!j || servicedef_parse(j, &back, &err) != 0)
		abort();
	servicedef_finalize(&back);
	if (!servicedef_same(d, &back))
		abort();
	servicedef_free(&back);
	json_decref(j);
	buf_free(&out);
	buf_free(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct service_def d;
	struct buf err = BUF_INIT;
	json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	if (j && servicedef_parse(j, &d, &err) == 0) {
		if (servicedef_validate(&d, &err) == 0) {
			servicedef_finalize(&d);
			round_trip(&d);
		}
		servicedef_free(&d);
	}
	json_decref(j);
	buf_free(&err);
	return 0;
}
