/*
 * Go's tabwriter column algorithm (see tabw.h).
 *
 * The text is split into lines and each line into cells; format() then walks the
 * lines column by column exactly as tabwriter.(*Writer).format does: find a block of
 * consecutive lines that have a cell in the current column, compute that block's
 * width, recurse into the next column for the block, and write lines once no deeper
 * column applies. Widths live on a small stack indexed by column.
 */
#include "cli/tabw.h"

#include "base/alloc.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct cell {
	const char *text; /* cell bytes (not NUL-terminated) */
	size_t size;	  /* bytes */
	size_t width;	  /* code points */
};

struct line {
	struct cell *cells; /* terminated cells, then the trailing text as the last cell */
	size_t n;
};

struct tw {
	struct line *lines;
	size_t nlines;
	size_t *widths; /* column widths of the enclosing blocks */
	size_t ncols;
	int minwidth, padding;
	struct buf *out;
};

static size_t runes(const char *s, size_t n)
{
	size_t r = 0;
	for (size_t i = 0; i < n; i++)
		r += ((unsigned char)s[i] & 0xc0) != 0x80;
	return r;
}

static void add_cell(struct line *l, const char *s, size_t n)
{
	l->cells = xrealloc(l->cells, (l->n + 1) * sizeof(*l->cells));
	l->cells[l->n++] = (struct cell){s, n, runes(s, n)};
}

static void split(struct tw *t, const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	const char *cell = p;
	t->lines = xcalloc(1, sizeof(*t->lines));
	t->nlines = 1;
	for (; p < end; p++) {
		if (*p == '\t') {
			add_cell(&t->lines[t->nlines - 1], cell, (size_t)(p - cell));
			cell = p + 1;
		} else if (*p == '\n') {
			add_cell(&t->lines[t->nlines - 1], cell, (size_t)(p - cell));
			cell = p + 1;
			t->lines = xrealloc(t->lines, (t->nlines + 1) * sizeof(*t->lines));
			t->lines[t->nlines++] = (struct line){NULL, 0};
		}
	}
	if (cell < end || t->lines[t->nlines - 1].n)
		add_cell(&t->lines[t->nlines - 1], cell, (size_t)(end - cell));
}

static void write_lines(struct tw *t, size_t line0, size_t line1)
{
	for (size_t i = line0; i < line1; i++) {
		const struct line *l = &t->lines[i];
		for (size_t j = 0; j < l->n; j++) {
			buf_append(t->out, l->cells[j].text, l->cells[j].size);
			if (j < t->ncols && j + 1 < l->n)
				for (size_t k = l->cells[j].width; k < t->widths[j]; k++)
					buf_putc(t->out, ' ');
		}
		if (i + 1 < t->nlines)
			buf_putc(t->out, '\n');
	}
}

static size_t format(struct tw *t, size_t line0, size_t line1)
{
	size_t column = t->ncols;
	for (size_t this = line0; this < line1; this ++) {
		if (column + 1 >= t->lines[this].n)
			continue;
		write_lines(t, line0, this);
		line0 = this;
		size_t width = (size_t)t->minwidth;
		for (; this < line1; this ++) {
			const struct line *l = &t->lines[this];
			if (column + 1 >= l->n)
				break;
			size_t w = l->cells[column].width + (size_t)t->padding;
			if (w > width)
				width = w;
		}
		t->widths = xrealloc(t->widths, (t->ncols + 1) * sizeof(*t->widths));
		t->widths[t->ncols++] = width;
		format(t, line0, this);
		t->ncols--;
		line0 = this; /* the line that ended the block has no cell here: skip it */
	}
	write_lines(t, line0, line1);
	return line1;
}

void tabw_format(struct buf *out, const char *text, size_t len, int minwidth, int padding)
{
	struct tw t = {.minwidth = minwidth, .padding = padding, .out = out};
	split(&t, text, len);
	format(&t, 0, t.nlines);
	for (size_t i = 0; i < t.nlines; i++)
		free(t.lines[i].cells);
	free(t.lines);
	free(t.widths);
}
