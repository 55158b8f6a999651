/*
 * Private: the one place that includes <http_parser.h>.
 *
 * http-parser declares its own `enum http_method`, which collides with ours in
 * http/http.h. Its tag is renamed here (the enum values HTTP_GET... and the
 * library's functions are untouched; an enum argument has the same ABI whatever
 * its tag), so a file may include both headers, this one first.
 */
#ifndef CAIRN_HTTP_HP_H
#define CAIRN_HTTP_HP_H

#define http_method http_parser_method
#include <http_parser.h>
#undef http_method

#endif
