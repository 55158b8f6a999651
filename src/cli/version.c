/*
 * `consul version [-format=pretty|json]`: Consul's version report, plus one line
 * naming cairn (pretty format only, after Consul's lines, so scripts that read
 * "Consul vX.Y.Z" from the first line keep working).
 *
 * The build date is CAIRN_BUILD_DATE (RFC 3339) when the build defines it, else the
 * compiler's __DATE__/__TIME__. The "Revision" line appears only when the build
 * defines CAIRN_REVISION, as Consul omits it when it has no commit.
 */
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/version.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#ifndef CAIRN_REVISION
#define CAIRN_REVISION ""
#endif

struct version_opts {
	const char *format; /* -format */
};

const char version_usage[] = "\nUsage: consul version [options]\n";

const struct flag_def version_flags[] = {
    FLAG_DEF("format", FLAG_STRING, struct version_opts, format, "Output format {pretty|json}",
	     "pretty"),
    FLAG_END,
};

/* "2006-01-02T15:04:05Z" from __DATE__ ("Jan  2 2006") and __TIME__ ("15:04:05"). */
static void build_date(char *out, size_t n)
{
#ifdef CAIRN_BUILD_DATE
	snprintf(out, n, "%s", CAIRN_BUILD_DATE);
#else
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	const char *d = __DATE__;
	const char *m = strstr(months, (char[]){d[0], d[1], d[2], 0});
	int month = m ? (int)(m - months) / 3 + 1 : 1;
	int day = (d[4] == ' ' ? 0 : d[4] - '0') * 10 + (d[5] - '0');
	snprintf(out, n, "%.4s-%02d-%02dT%sZ", d + 7, month, day, __TIME__);
#endif
}

static void print_pretty(const char *date)
{
	printf("Consul v%s\n", CAIRN_CONSUL_VERSION);
	if (CAIRN_REVISION[0])
		printf("Revision %s\n", CAIRN_REVISION);
	printf("Build Date %s\n", date);
	printf("Protocol %d spoken by default, understands %d to %d", CAIRN_PROTOCOL_DEFAULT,
	       CAIRN_PROTOCOL_MIN, CAIRN_PROTOCOL_MAX);
	if (CAIRN_PROTOCOL_DEFAULT < CAIRN_PROTOCOL_MAX)
		printf(" (agent will automatically use protocol >%d when speaking to compatible "
		       "agents)",
		       CAIRN_PROTOCOL_DEFAULT);
	printf("\ncairn v%s (compatible with Consul v%s)\n\n", CAIRN_VERSION, CAIRN_CONSUL_VERSION);
}

/* json.MarshalIndent(info, "", "   ") of Consul's VersionInfo. */
static void print_json(const char *date)
{
	printf("{\n   \"Version\": \"%s\",\n   \"Revision\": \"%s\",\n   \"Prerelease\": \"\",\n"
	       "   \"BuildDate\": \"%s\",\n   \"RPC\": {\n      \"Default\": %d,\n"
	       "      \"Min\": %d,\n      \"Max\": %d\n   }\n}\n",
	       CAIRN_CONSUL_VERSION, CAIRN_REVISION, date, CAIRN_PROTOCOL_DEFAULT,
	       CAIRN_PROTOCOL_MIN, CAIRN_PROTOCOL_MAX);
}

int version_main(int argc, char **argv)
{
	struct version_opts o = {.format = "pretty"};
	int rest;
	if (flags_parse(version_flags, &o, argc, argv, 1, &rest) < 0)
		return 1;
	char date[64];
	build_date(date, sizeof(date));
	if (strcmp(o.format, "pretty") == 0) {
		print_pretty(date);
	} else if (strcmp(o.format, "json") == 0) {
		print_json(date);
	} else {
		cli_error("Unknown format: %s", o.format);
		return 1;
	}
	return 0;
}
