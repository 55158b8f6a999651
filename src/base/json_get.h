/*
 * Reading request and config JSON as Go's decoders do: the one field lookup
 * (exact name first, then one differing in ASCII case only, as encoding/json
 * and mapstructure match struct fields) and the kind names Go puts in
 * "cannot unmarshal <kind> into ..." errors. Header-only over jansson; every
 * folder that decodes JSON links it.
 */
#ifndef CAIRN_BASE_JSON_GET_H
#define CAIRN_BASE_JSON_GET_H

#include <jansson.h>
#include <strings.h>

static inline json_t *json_field(json_t *obj, const char *name)
{
	json_t *v = json_object_get(obj, name);
	if (v)
		return v;
	const char *k;
	json_object_foreach(obj, k, v)
	{
		if (strcasecmp(k, name) == 0)
			return v;
	}
	return NULL;
}

/* Go's name for the JSON kind of v (callers handle null before asking). */
static inline const char *json_kind_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "object";
	case JSON_ARRAY:
		return "array";
	case JSON_STRING:
		return "string";
	case JSON_TRUE:
	case JSON_FALSE:
		return "bool";
	default:
		return "number";
	}
}

#endif
