/*
 * The web UI's files, embedded at build time: ui/embed.cmake turns every file
 * under ui/src into a row of ui_assets (a generated C source in the build
 * tree, never committed), with its content type and a gzip copy made by the
 * build, so the agent serves the UI with no files on disk and no work per
 * request beyond a lookup. Read-only data; any thread.
 */
#ifndef CAIRN_API_UI_ASSETS_H
#define CAIRN_API_UI_ASSETS_H

#include <stddef.h>

struct ui_asset {
	const char *path;	   /* relative to ui/src: "index.html", "assets/app.js" */
	const char *content_type;  /* by extension */
	const unsigned char *data; /* the file's bytes */
	size_t len;		   /* bytes in data */
	const unsigned char *gz;   /* gzip of data (level 9) */
	size_t gzlen;		   /* bytes in gz */
};

extern const struct ui_asset ui_assets[];
extern const size_t ui_nassets;

#endif
