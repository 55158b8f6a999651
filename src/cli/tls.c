/*
 * The `consul tls`, `consul tls ca` and `consul tls cert` groups: help only (run
 * without a subcommand they print it to stderr and exit 1, as every group does in
 * cli/cli.c). The commands are tls_ca_create.c and tls_cert_create.c.
 */
#include "cli/tls.h"

const char tls_usage[] =
    "\nUsage: consul tls <subcommand> <subcommand> [options]\n"
    "\n"
    "  This command has subcommands for interacting with Consul TLS.\n"
    "\n"
    "  Here are some simple examples, and more detailed examples are available\n"
    "  in the subcommands or the documentation.\n"
    "\n"
    "  Create a CA\n"
    "\n"
    "    $ consul tls ca create\n"
    "\n"
    "  Create a server certificate\n"
    "\n"
    "    $ consul tls cert create -server\n"
    "\n"
    "  Create a client certificate\n"
    "\n"
    "    $ consul tls cert create -client\n"
    "\n"
    "  For more examples, ask for subcommand help or view the documentation.\n";

const char tls_ca_usage[] =
    "\nUsage: consul tls ca <subcommand> [options]\n"
    "\n"
    "  This command has subcommands for interacting with Certificate Authorities.\n"
    "\n"
    "  Here are some simple examples, and more detailed examples are available\n"
    "  in the subcommands or the documentation.\n"
    "\n"
    "  Create a CA\n"
    "\n"
    "    $ consul tls ca create\n"
    "    ==> saved consul-agent-ca.pem\n"
    "    ==> saved consul-agent-ca-key.pem\n"
    "\n"
    "  For more examples, ask for subcommand help or view the documentation.\n";

const char tls_cert_usage[] =
    "\nUsage: consul tls cert <subcommand> [options]\n"
    "\n"
    "  This command has subcommands for interacting with certificates\n"
    "\n"
    "  Here are some simple examples, and more detailed examples are available\n"
    "  in the subcommands or the documentation.\n"
    "\n"
    "  Create a certificate\n"
    "\n"
    "    $ consul tls cert create -server\n"
    "    ==> saved dc1-server-consul.pem\n"
    "    ==> saved dc1-server-consul-key.pem\n"
    "\n"
    "  Create a certificate with your own CA:\n"
    "\n"
    "    $ consul tls cert create -server -ca my-ca.pem -key my-ca-key.pem\n"
    "    ==> saved dc1-server-consul.pem\n"
    "    ==> saved dc1-server-consul-key.pem\n"
    "\n"
    "  For more examples, ask for subcommand help or view the documentation.\n";
