/*
 * Command dispatch, reproducing how Consul's binary (main.go + mitchellh/cli) reads
 * its arguments:
 *
 *   - "-v" or "--version" anywhere before "--" runs `version` (Consul's main.go);
 *   - "-h", "-help" or "--help" anywhere before "--" shows help: the root usage when no
 *     command was named (exit 0), else the command's -h text (stdout, exit 0);
 *   - the command is the longest table name made of the leading words (so "kv get x"
 *     is "kv get" with argument "x"); a name that does not end on a word boundary
 *     falls back to the first word, as mitchellh/cli's radix lookup does;
 *   - an unknown or missing command prints the root usage to stdout and exits 127
 *     (Consul has no "unknown command" message);
 *   - flags before the command ("consul -x kv get") are refused: "Invalid flags before
 *     the subcommand..." and the command's help on stderr, exit 1;
 *   - a group run without a subcommand ("consul kv") prints its help to stderr, exit 1.
 */
#include "cli/cli.h"

#include "base/alloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXIT_NOT_FOUND 127

void cli_info(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
}

void cli_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Is cmd a direct child of parent ("" for the root)? */
static bool child_of(const struct cli_cmd *cmd, const char *parent)
{
	size_t pl = strlen(parent);
	const char *rest = cmd->name;
	if (pl) {
		if (strncmp(cmd->name, parent, pl) != 0 || cmd->name[pl] != ' ')
			return false;
		rest += pl + 1;
	}
	return !cmd->hidden && !strchr(rest, ' ');
}

static int cmp_cmd(const void *a, const void *b)
{
	const struct cli_cmd *const *x = a, *const *y = b;
	return strcmp((*x)->name, (*y)->name);
}

/* Visible direct children of parent, sorted by name; returns the count. */
static size_t children(const struct cli_cmd *cmds, size_t n, const char *parent,
		       const struct cli_cmd ***out)
{
	*out = xcalloc(n + 1, sizeof(**out));
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (child_of(&cmds[i], parent))
			(*out)[k++] = &cmds[i];
	qsort(*out, k, sizeof(**out), cmp_cmd);
	return k;
}

void cli_root_help(struct buf *out, const struct cli_cmd *cmds, size_t n)
{
	const struct cli_cmd **v;
	size_t k = children(cmds, n, "", &v);
	int width = 0;
	for (size_t i = 0; i < k; i++)
		if ((int)strlen(v[i]->name) > width)
			width = (int)strlen(v[i]->name);
	buf_puts(out, "Usage: consul [--version] [--help] <command> [<args>]\n\n");
	buf_puts(out, "Available commands are:\n");
	for (size_t i = 0; i < k; i++)
		buf_printf(out, "    %-*s    %s\n", width, v[i]->name, v[i]->synopsis);
	free(v);
}

void cli_command_help(struct buf *out, const struct cli_cmd *cmds, size_t n,
		      const struct cli_cmd *cmd)
{
	flags_help(out, cmd->usage ? cmd->usage : "", cmd->flags);
	const struct cli_cmd **v;
	size_t k = children(cmds, n, cmd->name, &v);
	size_t skip = strlen(cmd->name) + 1;
	int width = 0;
	for (size_t i = 0; i < k; i++)
		if ((int)strlen(v[i]->name + skip) > width)
			width = (int)strlen(v[i]->name + skip);
	if (k)
		buf_puts(out, "\n\nSubcommands:");
	for (size_t i = 0; i < k; i++)
		buf_printf(out, "\n    %-*s    %s", width, v[i]->name + skip, v[i]->synopsis);
	buf_putc(out, '\n');
	free(v);
}

static const struct cli_cmd *find(const struct cli_cmd *cmds, size_t n, const char *name,
				  size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(cmds[i].name) == len && strncmp(cmds[i].name, name, len) == 0)
			return &cmds[i];
	return NULL;
}

/*
 * mitchellh/cli's nested lookup: join the words from argv[i] up to the first argument
 * containing a space, take the longest table name that is a string prefix of that,
 * and accept it only if it ends on a word boundary; otherwise the command is argv[i].
 * Returns the command (or NULL) and sets *words to the number of arguments it spans.
 */
static const struct cli_cmd *resolve(const struct cli_cmd *cmds, size_t n, int argc, char **argv,
				     int i, int *words)
{
	struct buf key = BUF_INIT;
	for (int j = i; j < argc && !strchr(argv[j], ' '); j++) {
		if (j > i)
			buf_putc(&key, ' ');
		buf_puts(&key, argv[j]);
	}
	const struct cli_cmd *best = NULL;
	for (size_t c = 0; c < n; c++) {
		size_t l = strlen(cmds[c].name);
		if (l <= key.len && strncmp(key.data, cmds[c].name, l) == 0 &&
		    (!best || l > strlen(best->name)))
			best = &cmds[c];
	}
	*words = 1;
	if (best) {
		size_t l = strlen(best->name);
		if (key.data[l] == ' ' || key.data[l] == '\0') {
			for (const char *p = best->name; *p; p++)
				*words += *p == ' ';
		} else {
			best = find(cmds, n, argv[i], strlen(argv[i]));
		}
	}
	buf_free(&key);
	return best;
}

static void write_help(FILE *f, const struct cli_cmd *cmds, size_t n, const struct cli_cmd *cmd)
{
	struct buf b = BUF_INIT;
	if (cmd)
		cli_command_help(&b, cmds, n, cmd);
	else
		cli_root_help(&b, cmds, n), buf_putc(&b, '\n');
	fputs(buf_cstr(&b), f);
	buf_free(&b);
}

/* Run cmd with argv[first..argc), argv[0] being the command's last word. */
static int run(const struct cli_cmd *cmds, size_t n, const struct cli_cmd *cmd, int argc,
	       char **argv, int first)
{
	if (!cmd->main) {
		write_help(stderr, cmds, n, cmd);
		return 1;
	}
	const char *last = strrchr(cmd->name, ' ');
	char **av = xcalloc((size_t)(argc - first) + 2, sizeof(*av));
	av[0] = (char *)(last ? last + 1 : cmd->name);
	for (int i = first; i < argc; i++)
		av[i - first + 1] = argv[i];
	int rc = cmd->main(argc - first + 1, av);
	free(av);
	return rc;
}

/* What mitchellh/cli's processArgs learns from the arguments. */
struct scan {
	bool help;		   /* -h, -help or --help anywhere before "--" */
	bool version;		   /* -v/--version anywhere, or -version before the command */
	bool top_flags;		   /* other flags before the command */
	const struct cli_cmd *cmd; /* the command, NULL if none or unknown */
	int args_at;		   /* index of the command's first argument */
};

static void scan_args(const struct cli_cmd *cmds, size_t n, int argc, char **argv, struct scan *s)
{
	bool named = false;
	*s = (struct scan){.args_at = argc};
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-v") || !strcmp(a, "--version")) {
			s->version = true; /* Consul's main.go, before mitchellh/cli */
		} else if (!strcmp(a, "-h") || !strcmp(a, "-help") || !strcmp(a, "--help")) {
			s->help = true;
		} else if (!named && a[0] == '-') {
			s->version |= !strcmp(a, "-version");
			s->top_flags |= strcmp(a, "-version") != 0;
		} else if (!named && a[0] != '\0') {
			int words;
			s->cmd = resolve(cmds, n, argc, argv, i, &words);
			named = true;
			s->args_at = i + words;
			i = s->args_at - 1;
		}
	}
	if (!named)
		s->args_at = -1;
}

int cli_run(const struct cli_cmd *cmds, size_t n, int argc, char **argv)
{
	struct scan s;
	scan_args(cmds, n, argc, argv, &s);
	const struct cli_cmd *version = find(cmds, n, "version", 7);
	if (s.version && version)
		return run(cmds, n, version, 0, argv, 0);
	if (s.help && s.args_at < 0) {
		write_help(stdout, cmds, n, NULL);
		return 0;
	}
	if (!s.cmd) {
		write_help(stdout, cmds, n, NULL);
		return EXIT_NOT_FOUND;
	}
	if (s.help && s.cmd->usage) {
		write_help(stdout, cmds, n, s.cmd);
		return 0;
	}
	if (s.top_flags) {
		fputs("Invalid flags before the subcommand. If these flags are for\n"
		      "the subcommand, please put them after the subcommand.\n\n",
		      stderr);
		write_help(stderr, cmds, n, s.cmd);
		return 1;
	}
	return run(cmds, n, s.cmd, argc, argv, s.args_at);
}
