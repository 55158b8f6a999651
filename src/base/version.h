/*
 * Versions. cairn speaks Consul's protocols and answers as the Consul release
 * below (clients and harnesses read it to decide which features to use), and
 * names itself in the CLI's version output.
 */
#ifndef CAIRN_BASE_VERSION_H
#define CAIRN_BASE_VERSION_H

#define CAIRN_CONSUL_VERSION "1.20.1"
#define CAIRN_REVISION	     "cairn"
#define CAIRN_BUILD_DATE     "2026-11-21T00:00:00Z"
#ifndef CAIRN_VERSION
#define CAIRN_VERSION "0.1.0"
#endif

#endif
