/* Go's strconv.ParseBool (model in strconv.h). */
#include "base/strconv.h"

#include <string.h>

int strconv_parse_bool_n(const char *s, size_t len, bool *out)
{
	static const struct {
		const char *text;
		bool value;
	} words[] = {
	    {"1", true},    {"t", true},      {"T", true},	{"TRUE", true},
	    {"true", true}, {"True", true},   {"0", false},	{"f", false},
	    {"F", false},   {"FALSE", false}, {"false", false}, {"False", false},
	};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (strlen(words[i].text) == len && memcmp(words[i].text, s, len) == 0) {
			*out = words[i].value;
			return 0;
		}
	}
	return -1;
}

int strconv_parse_bool(const char *s, bool *out)
{
	return strconv_parse_bool_n(s, strlen(s), out);
}
