/*
 * `consul tls ca create`: a new CA for agent TLS, written to the current directory
 * as <domain>-agent-ca.pem (mode 0666 less umask) and <domain>-agent-ca-key.pem
 * (0600), as Consul's command writes them. Existing files are never replaced:
 * "<file> already exists." and exit 1. With -name-constraint the CA may only sign
 * for the -additional-name-constraint names, -domain and localhost (in that order,
 * as Consul lists them); -cluster-id adds the URI spiffe://<cluster-id>.<domain>.
 * The certificate profile is in cli/tls.h.
 */
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/tls.h"

#include "base/alloc.h"

#include <stdlib.h>

struct ca_opts {
	int64_t days;			  /* -days */
	bool constraint;		  /* -name-constraint */
	const char *domain;		  /* -domain */
	const char *common_name;	  /* -common-name */
	const char *cluster_id;		  /* -cluster-id */
	struct flag_strings extra_constr; /* -additional-name-constraint */
};

const char tls_ca_create_usage[] = "\nUsage: consul tls ca create [options]\n"
				   "\n"
				   "  Create a new consul CA:\n"
				   "\n"
				   "  $ consul tls ca create\n"
				   "  ==> saved consul-agent-ca.pem\n"
				   "  ==> saved consul-agent-ca-key.pem\n";

#define O struct ca_opts
const struct flag_def tls_ca_create_flags[] = {
    FLAG_DEF("days", FLAG_INT, O, days,
	     "Number of days the CA is valid for. Defaults to 1825 days (approximately 5 years).",
	     "1825"),
    FLAG_DEF("name-constraint", FLAG_BOOL, O, constraint,
	     "Enables X.509 name constraints for the CA. If used, the CA only signs certificates "
	     "for localhost and the domains specified by -domain and -additional-name-constraint. "
	     "If Consul's UI is served over HTTPS in your deployment, add its DNS name with "
	     "-additional-constraint. Defaults to false.",
	     NULL),
    FLAG_DEF("domain", FLAG_STRING, O, domain,
	     "The DNS domain of the Consul cluster that agents are configured with. Defaults to "
	     "consul. Only used when -name-constraint is set. Additional domains can be passed "
	     "with -additional-name-constraint.",
	     "consul"),
    FLAG_DEF(
	"cluster-id", FLAG_STRING, O, cluster_id,
	"ID of the Consul cluster. Sets the CA's URI with the SPIFFEID composed of the cluster "
	"ID and domain  (specified by -domain or 'consul' by default).",
	NULL),
    FLAG_DEF("common-name", FLAG_STRING, O, common_name,
	     "Common Name of CA. Defaults to Consul Agent CA.", NULL),
    FLAG_DEF("additional-name-constraint", FLAG_STRINGS, O, extra_constr,
	     "Add name constraints for the CA. Results in rejecting certificates for other DNS "
	     "than specified. Can be used multiple times. Only used in combination with "
	     "-name-constraint.",
	     NULL),
    FLAG_END,
};
#undef O

static int create(const struct ca_opts *o, const char *cert_file, const char *key_file)
{
	const char **constraints = xcalloc(o->extra_constr.n + 2, sizeof(*constraints));
	size_t n = 0;
	if (o->constraint) {
		for (size_t i = 0; i < o->extra_constr.n; i++)
			constraints[n++] = o->extra_constr.v[i];
		constraints[n++] = o->domain;
		constraints[n++] = "localhost";
	}
	struct buf uri = BUF_INIT;
	if (o->cluster_id && *o->cluster_id)
		buf_printf(&uri, "spiffe://%s.%s", o->cluster_id, o->domain);
	struct tls_ca_opts ca = {
	    .days = o->days,
	    .common_name = o->common_name,
	    .permitted_dns = constraints,
	    .npermitted = n,
	    .uri = uri.data,
	};
	struct buf cert = BUF_INIT, key = BUF_INIT, err = BUF_INIT;
	int rc = 1;
	if (tls_make_ca(&ca, &cert, &key, &err) < 0) {
		cli_error("%s", buf_cstr(&err));
		goto out;
	}
	if (tls_save_pair(cert_file, &cert, key_file, &key) == 0)
		rc = 0;
out:
	buf_free(&cert);
	buf_free(&key);
	buf_free(&err);
	free(constraints);
	buf_free(&uri);
	return rc;
}

int tls_ca_create_main(int argc, char **argv)
{
	struct ca_opts o = {.days = 1825, .domain = "consul"};
	int rest;
	if (flags_parse(tls_ca_create_flags, &o, argc, argv, 1, &rest) < 0)
		return 1;
	struct buf cert_file = BUF_INIT, key_file = BUF_INIT;
	buf_printf(&cert_file, "%s-agent-ca.pem", o.domain);
	buf_printf(&key_file, "%s-agent-ca-key.pem", o.domain);
	int rc = 1;
	if (tls_file_exists(buf_cstr(&cert_file)))
		cli_error("%s already exists.", buf_cstr(&cert_file));
	else if (tls_file_exists(buf_cstr(&key_file)))
		cli_error("%s already exists.", buf_cstr(&key_file));
	else
		rc = create(&o, buf_cstr(&cert_file), buf_cstr(&key_file));
	buf_free(&cert_file);
	buf_free(&key_file);
	flag_strings_free(&o.extra_constr);
	return rc;
}
