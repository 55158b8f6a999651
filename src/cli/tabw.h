/*
 * Go's text/tabwriter, for the column output of Consul's commands.
 *
 * Consul formats tables (kv get -detailed, and later members, catalog, ...) with
 * tabwriter.NewWriter(w, minwidth, tabwidth, padding, ' ', 0): cells are terminated
 * by '\t', a column block is a run of consecutive lines that have a cell in that
 * column, and every cell of a block is padded with spaces to the widest cell (counted
 * in UTF-8 code points) plus padding. The text after a line's last tab is not part of
 * any column. This implements that algorithm for space padding without flags, which is
 * what Consul uses. Pure function: text in, text out.
 */
#ifndef CAIRN_CLI_TABW_H
#define CAIRN_CLI_TABW_H

#include "base/buf.h"

#include <stddef.h>

/* Format text (the whole input written to the tabwriter, then Flush) into out. */
void tabw_format(struct buf *out, const char *text, size_t len, int minwidth, int padding);

#endif
