/*
 * The agent command line, parsed with Go's flag package rules (Consul's agent is a
 * Go FlagSet):
 *   -flag / --flag             booleans only (a boolean never takes the next word)
 *   -flag=value                any flag ("-server=false")
 *   -flag value                non-boolean flags
 *   --                         ends the flags; "-" alone and any other word stop them
 * Repeated flags: the last value wins, except lists (-join, -retry-join, -recursor,
 * -config-file, -config-dir, -hcl...) which collect every value, and -node-meta
 * key:value which fills a map. Flags name option rows (the table's cli column).
 *
 * One leniency: a lone "-" directly followed by a word naming a known flag
 * ("- bind=10.0.0.1", "- client 0.0.0.0", as PDF-mangled blog posts print them)
 * is read as that flag, with a warning. Go would stop parsing there.
 *
 * Parsing only records (row, value) pairs; load.c applies them in Consul's stages:
 * lists before the files (so they come first), scalars after.
 */
#include "config/loader.h"

#include "base/alloc.h"
#include "base/strconv.h"

#include <stdlib.h>
#include <string.h>

struct assign {
	const struct opt *o; /* row the flag sets */
	const char *flag;    /* "-name" as Go prints it (owned) */
	const char *value;   /* points into argv, or "true" */
};

struct cmdline {
	struct assign *a; /* in command-line order */
	size_t n;
};

static void add(struct cmdline *cl, const struct opt *o, const char *name, size_t nlen,
		const char *value)
{
	char *flag = xmalloc(nlen + 2);
	flag[0] = '-';
	memcpy(flag + 1, name, nlen);
	flag[nlen + 1] = 0;
	cl->a = xrealloc(cl->a, (cl->n + 1) * sizeof(*cl->a));
	cl->a[cl->n++] = (struct assign){o, flag, value};
}

/* Name part of "-x", "--x", "-x=v", "x=v" as a row, or NULL. */
static const struct opt *flag_row(const char *name, size_t *nlen)
{
	const char *eq = strchr(name, '=');
	*nlen = eq ? (size_t)(eq - name) : strlen(name);
	char *n = xstrndup(name, *nlen);
	const struct opt *o = opt_find_flag(n);
	free(n);
	return o;
}

/* The flag whose name (after its dashes) starts at name; argv[*i] holds it. */
static int parse_named(struct loader *ld, struct cmdline *cl, int argc, char **argv, int *i,
		       const char *name)
{
	if (!*name || *name == '-' || *name == '=') {
		loader_error(ld, NULL, "bad flag syntax: %s", argv[*i]);
		return -1;
	}
	size_t nlen;
	const struct opt *o = flag_row(name, &nlen);
	const char *value = name[nlen] == '=' ? name + nlen + 1 : NULL;
	if (!o) {
		bool help =
		    (nlen == 1 && name[0] == 'h') || (nlen == 4 && !strncmp(name, "help", 4));
		if (help)
			loader_error(ld, NULL, "flag: help requested");
		else
			loader_error(ld, NULL, "flag provided but not defined: -%.*s", (int)nlen,
				     name);
		return -1;
	}
	if (!value && o->type != OPT_BOOL) {
		if (*i + 1 >= argc) {
			loader_error(ld, NULL, "flag needs an argument: -%.*s", (int)nlen, name);
			return -1;
		}
		value = argv[++*i];
	}
	add(cl, o, name, nlen, value ? value : "true");
	(*i)++;
	return 0;
}

/* One word at argv[*i]; returns 0, 1 (stop: positional or "--") or -1 (error). */
static int parse_one(struct loader *ld, struct cmdline *cl, int argc, char **argv, int *i)
{
	const char *s = argv[*i];
	if (strlen(s) < 2 || s[0] != '-')
		return 1;
	if (s[1] == '-' && s[2] == 0) {
		(*i)++;
		return 1;
	}
	return parse_named(ld, cl, argc, argv, i, s + 1 + (s[1] == '-'));
}

/* "- bind=x" / "- client x": a dash split from its flag name. */
static bool split_dash(struct loader *ld, int argc, char **argv, int i)
{
	size_t nlen;
	if (strcmp(argv[i], "-") != 0 || i + 1 >= argc || argv[i + 1][0] == '-' ||
	    !flag_row(argv[i + 1], &nlen))
		return false;
	loader_warn(ld, NULL, "reading \"- %s\" as \"-%s\"", argv[i + 1], argv[i + 1]);
	return true;
}

static void extra_args(struct loader *ld, int argc, char **argv, int i)
{
	struct buf b = BUF_INIT;
	for (int k = i; k < argc; k++)
		buf_printf(&b, "%s%s", k > i ? " " : "", argv[k]);
	loader_error(ld, NULL, "Unexpected extra arguments: [%s]", buf_cstr(&b));
	buf_free(&b);
}

int cmdline_parse(struct loader *ld, int argc, char **argv, struct cmdline **out)
{
	struct cmdline *cl = xcalloc(1, sizeof(*cl));
	int i = argc > 0 ? 1 : 0, rc = 0;
	while (i < argc && rc == 0) {
		rc = parse_one(ld, cl, argc, argv, &i);
		if (rc == 1 && i < argc && split_dash(ld, argc, argv, i)) {
			i++;
			rc = parse_named(ld, cl, argc, argv, &i, argv[i]);
		}
	}
	if (rc == 1 && i < argc)
		extra_args(ld, argc, argv, i);
	*out = cl;
	return ld->nerr ? -1 : 0;
}

static bool is_list(const struct opt *o)
{
	return o->type == OPT_LIST;
}

/* Flag-only rows (-config-file, -config-format, -dev...) and list flags: before files. */
void cmdline_apply_lists(struct loader *ld, const struct cmdline *cl)
{
	loader_source(ld, SRC_FLAGS);
	for (size_t k = 0; k < cl->n; k++)
		if (is_list(cl->a[k].o) || (cl->a[k].o->flags & OPTF_FLAGONLY))
			loader_set_text(ld, cl->a[k].o, cl->a[k].value, cl->a[k].flag);
}

/* Everything else: after files, so flags win. */
void cmdline_apply_values(struct loader *ld, const struct cmdline *cl)
{
	loader_source(ld, SRC_FLAGS);
	for (size_t k = 0; k < cl->n; k++)
		if (!is_list(cl->a[k].o) && !(cl->a[k].o->flags & OPTF_FLAGONLY))
			loader_set_text(ld, cl->a[k].o, cl->a[k].value, cl->a[k].flag);
}

bool cmdline_dev(const struct cmdline *cl)
{
	bool dev = false;
	for (size_t k = 0; k < cl->n; k++) {
		if (strcmp(cl->a[k].o->key, "dev") == 0) {
			bool b;
			dev = strconv_parse_bool(cl->a[k].value, &b) == 0 && b;
		}
	}
	return dev;
}

/* The -config-file / -config-dir paths in command-line order. */
void cmdline_paths(const struct cmdline *cl, struct strlist *out)
{
	for (size_t k = 0; k < cl->n; k++)
		if (!strcmp(cl->a[k].o->key, "config_files") ||
		    !strcmp(cl->a[k].o->key, "config_dirs"))
			strlist_add(out, cl->a[k].value);
}

void cmdline_free(struct cmdline *cl)
{
	if (!cl)
		return;
	for (size_t k = 0; k < cl->n; k++)
		free((char *)cl->a[k].flag);
	free(cl->a);
	free(cl);
}
