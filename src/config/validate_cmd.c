/*
 * `cairn validate [-quiet] [-config-format=json|hcl] FILE_OR_DIRECTORY...`
 *
 * Loads the given files and directories exactly as `agent -config-file X` would
 * (same merge, same validation) and reports in Consul's words: warnings to stderr,
 * then "Configuration is valid!" on stdout (exit 0), or "Config validation failed:
 * <error>" on stderr (exit 1). Flags follow Go's flag package, so they must come
 * before the paths.
 */
#include "config/loader.h"

#include "base/alloc.h"
#include "base/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int validate(char **paths, int n, const char *format, struct buf *warn, struct buf *err)
{
	char **argv = xcalloc((size_t)(2 * n + 4), sizeof(*argv));
	int argc = 0;
	argv[argc++] = "validate";
	if (format && *format) {
		argv[argc++] = "-config-format";
		argv[argc++] = (char *)format;
	}
	for (int i = 0; i < n; i++) {
		argv[argc++] = "-config-file";
		argv[argc++] = paths[i];
	}
	struct config c;
	struct strlist warnings = {0};
	int rc = config_build(argc, argv, &c, err, &warnings);
	for (size_t i = 0; i < warnings.len; i++)
		buf_printf(warn, "%s\n", warnings.items[i]);
	strlist_free(&warnings);
	if (rc == 0)
		config_free(&c);
	free(argv);
	return rc;
}

int config_validate_paths(char **paths, int n, struct buf *out)
{
	struct buf warn = BUF_INIT, err = BUF_INIT;
	int rc = validate(paths, n, NULL, &warn, &err);
	buf_append(out, rc ? err.data : warn.data, rc ? err.len : warn.len);
	buf_free(&warn);
	buf_free(&err);
	return rc;
}

static const char usage[] =
    "Usage: consul validate [options] FILE_OR_DIRECTORY...\n\n"
    "  Performs a thorough sanity test on Consul configuration files. For each file\n"
    "  or directory given, the validate command will attempt to parse the contents\n"
    "  just as the \"consul agent\" command would, and catch any errors.\n\n"
    "  This is useful to do a test of the configuration only, without actually\n"
    "  starting the agent. This performs all of the validation the agent would, so\n"
    "  this should be given the complete set of configuration files that are going\n"
    "  to be loaded by the agent. This command cannot operate on partial\n"
    "  configuration fragments since those won't pass the full agent validation.\n\n"
    "  Returns 0 if the configuration is valid, or 1 if there are problems.\n\n"
    "Command Options\n\n"
    "  -config-format=<string>\n"
    "     Config files are in this format irrespective of their extension. Must\n"
    "     be 'hcl' or 'json'\n\n"
    "  -quiet\n"
    "     When given, a successful run will produce no output.\n";

/* Go flag parsing of -quiet and -config-format; returns the index of the first path or
 * -1 after printing the error. */
static int parse_flags(int argc, char **argv, bool *quiet, const char **format)
{
	int i = 1;
	while (i < argc && argv[i][0] == '-' && argv[i][1]) {
		const char *a = argv[i] + 1 + (argv[i][1] == '-');
		if (strcmp(argv[i], "--") == 0)
			return i + 1;
		if (strcmp(a, "quiet") == 0 || strcmp(a, "quiet=true") == 0) {
			*quiet = true;
		} else if (strcmp(a, "quiet=false") == 0) {
			*quiet = false;
		} else if (strncmp(a, "config-format=", 14) == 0) {
			*format = a + 14;
		} else if (strcmp(a, "config-format") == 0 && i + 1 < argc) {
			*format = argv[++i];
		} else if (strcmp(a, "h") == 0 || strcmp(a, "help") == 0) {
			fputs(usage, stderr);
			return -1;
		} else {
			fprintf(stderr, "flag provided but not defined: -%.*s\n%s",
				(int)strcspn(a, "="), a, usage);
			return -1;
		}
		i++;
	}
	return i;
}

int config_validate_main(int argc, char **argv)
{
	bool quiet = false;
	const char *format = NULL;
	int first = parse_flags(argc, argv, &quiet, &format);
	if (first < 0)
		return 1;
	if (first >= argc) {
		fputs("Must specify at least one config file or directory\n", stderr);
		return 1;
	}
	if (format && *format && strcmp(format, "json") != 0 && strcmp(format, "hcl") != 0) {
		fputs("-config-format must be either 'hcl' or 'json'\n", stderr);
		return 1;
	}
	struct buf warn = BUF_INIT, err = BUF_INIT;
	int rc = validate(argv + first, argc - first, format, &warn, &err);
	if (rc) {
		fprintf(stderr, "Config validation failed: %s", buf_cstr(&err));
	} else if (!quiet) {
		fputs(buf_cstr(&warn), stderr);
		fputs("Configuration is valid!\n", stdout);
	}
	buf_free(&warn);
	buf_free(&err);
	return rc ? 1 : 0;
}
