/*
 * Fuzz target for configuration input: the bytes are loaded once as a JSON config
 * file and once as an HCL file, through the same loader the agent uses (defaults,
 * apply, computed defaults, validation), and the result is dumped as DebugConfig.
 * Any input must end in a config or an error message, never a crash or a leak.
 */
// fuzz-lib: config
#include "base/jsonw.h"
#include "base/log.h"
#include "config/loader.h"

#include <stdint.h>
#include <string.h>

static void load_as(const char *name, const char *format, const uint8_t *data, size_t size)
{
	struct config c;
	struct buf err = BUF_INIT, out = BUF_INIT;
	struct loader ld;
	struct jsonw w;
	memset(&c, 0, sizeof(c));
	loader_init(&ld, &c, &err);
	loader_defaults(&ld, false);
	loader_apply_text(&ld, name, (const char *)data, size, format);
	if (ld.nerr == 0)
		loader_finish(&ld);
	if (ld.nerr == 0)
		loader_validate(&ld);
	jsonw_init(&w, &out, false);
	config_dump(&c, &w, CONFIG_VIEW_DEBUG);
	loader_done(&ld);
	config_free(&c);
	buf_free(&err);
	buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	log_setup(LOG_OFF, false);
	load_as("fuzz.json", "json", data, size);
	load_as("fuzz.hcl", "hcl", data, size);
	return 0;
}
