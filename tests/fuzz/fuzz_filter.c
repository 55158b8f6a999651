/*
 * Fuzz target: the ?filter= language (src/base/filter*.c). The first byte
 * picks whether the schema is used; the rest is the expression. Every input
 * must be refused with a message or parsed; a parsed filter is dumped and
 * evaluated against a fixed health/service item, and "not (<input>)", when
 * it parses, must give the opposite answer.
 */
// fuzz-lib: base
#include "base/filter.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const struct filter_field fields[] = {
    {"Node.Node", FILTER_STRING},
    {"Node.Address", FILTER_STRING},
    {"Node.Meta", FILTER_MAP},
    {"Service.ID", FILTER_STRING},
    {"Service.Tags", FILTER_STRINGS},
    {"Service.Port", FILTER_INT},
    {"Service.EnableTagOverride", FILTER_BOOL},
    {"Service.TaggedAddresses", FILTER_MAP},
    {"Service.TaggedAddresses.*.Port", FILTER_INT},
    {"Checks", FILTER_OBJECTS},
    {"Checks.Status", FILTER_STRING},
    {"Checks.Score", FILTER_FLOAT},
    {NULL, 0},
};

static struct fv_arena arena = FV_ARENA_INIT;
static const struct fvalue *item;

static void build_item(void)
{
	struct fv_arena *a = &arena;
	struct fvalue *root = fv_new_map(a);
	struct fvalue *node = fv_map_add_map(a, root, "Node");
	fv_map_add_str(a, node, "Node", "node-1");
	fv_map_add_str(a, node, "Address", "10.0.0.1");
	fv_map_add_str(a, fv_map_add_map(a, node, "Meta"), "env", "prod");
	struct fvalue *svc = fv_map_add_map(a, root, "Service");
	fv_map_add_str(a, svc, "ID", "web-1");
	struct fvalue *tags = fv_map_add_list(a, svc, "Tags");
	fv_list_add_str(a, tags, "primary");
	fv_list_add_str(a, tags, "");
	fv_map_add_int(a, svc, "Port", 8080);
	fv_map_add_bool(a, svc, "EnableTagOverride", true);
	struct fvalue *lan = fv_map_add_map(a, fv_map_add_map(a, svc, "TaggedAddresses"), "lan");
	fv_map_add_int(a, lan, "Port", -1);
	fv_map_put(a, svc, "Proxy");
	struct fvalue *checks = fv_map_add_list(a, root, "Checks");
	struct fvalue *c = fv_list_add_map(a, checks);
	fv_map_add_str(a, c, "Status", "passing");
	fv_set_float(fv_map_put(a, c, "Score"), 0.5);
	fv_list_add_map(a, checks);
	item = root;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (!item)
		build_item();
	const struct filter_field *schema = data[0] & 1 ? fields : NULL;
	const char *text = (const char *)data + 1;
	size_t len = size - 1;
	struct filter *f;
	struct buf err = BUF_INIT, dump = BUF_INIT;
	if (filter_parse(text, len, schema, &f, &err) != 0) {
		if (err.len == 0 || f)
			abort();
		buf_free(&err);
		return 0;
	}
	filter_dump(f, &dump);
	bool yes = filter_match(f, item);
	filter_free(f);
	if (len == 0)
		goto out;
	struct buf wrapped = BUF_INIT;
	buf_puts(&wrapped, "not (");
	buf_append(&wrapped, text, len);
	buf_puts(&wrapped, ")");
	struct filter *g;
	if (filter_parse(wrapped.data, wrapped.len, schema, &g, NULL) == 0) {
		if (filter_match(g, item) == yes)
			abort();
		filter_free(g);
	}
	buf_free(&wrapped);
out:
	buf_free(&dump);
	return 0;
}
