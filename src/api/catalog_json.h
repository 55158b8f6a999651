/*
 * Consul's JSON for catalog entries, written field by field with base/jsonw in the
 * order Go's encoding/json gives Consul's structs (agent/structs), shared by the
 * catalog and health endpoints (and DNS, for what it needs). Pure: entries in, text
 * out, any thread that owns the writer.
 *
 *   Node              ID, Node, Address, Datacenter, TaggedAddresses, Meta,
 *                     CreateIndex, ModifyIndex
 *   ServiceNode       /v1/catalog/service: the node's ID, Node, Address, Datacenter,
 *                     TaggedAddresses, NodeMeta, then ServiceKind, ServiceID,
 *                     ServiceName, ServiceTags, ServiceAddress, ServiceTaggedAddresses
 *                     (omitted when empty), ServiceWeights, ServiceMeta, ServicePort,
 *                     ServiceSocketPath, ServiceEnableTagOverride, ServiceProxy,
 *                     ServiceConnect, ServiceLocality, CreateIndex, ModifyIndex
 *   NodeService       a service on its own (/v1/catalog/node, node-services,
 *                     /v1/health/service "Service"): Kind (omitted when ""), ID,
 *                     Service, Tags, Address, TaggedAddresses (omitted when empty),
 *                     Meta, Port (omitted when 0), SocketPath (omitted when ""),
 *                     Weights, EnableTagOverride, Locality (omitted when absent),
 *                     Proxy, Connect, PeerName, CreateIndex, ModifyIndex
 *   HealthCheck       Node, CheckID, Name, Status, Notes, Output, ServiceID,
 *                     ServiceName, ServiceTags, Type, Interval, Timeout, ExposedPort,
 *                     Definition, CreateIndex, ModifyIndex
 *   CheckServiceNode  {Node, Service, Checks}
 *
 * Conventions of Consul's HTTP layer: tag lists are [] when empty (never null);
 * string maps are null when empty (the store does not tell an empty map from a
 * missing one, and Go marshals the usual nil map as null); the Proxy of a plain
 * service is {"Mode":"","MeshGateway":{},"Expose":{}}, its Connect {} and an absent
 * check Definition {}. Stored JSON texts (proxy, connect, locality, definition) are
 * inserted as they are, re-indented under ?pretty.
 */
#ifndef CAIRN_API_CATALOG_JSON_H
#define CAIRN_API_CATALOG_JSON_H

#include "base/jsonw.h"
#include "state/catalog.h"

#include <stddef.h>

void catalog_json_node(struct jsonw *w, const struct cat_node *n);
/* n may be NULL (a service whose node is gone): node fields are then empty. */
void catalog_json_service_node(struct jsonw *w, const struct cat_node *n,
			       const struct cat_service *svc);
void catalog_json_node_service(struct jsonw *w, const struct cat_service *svc);
void catalog_json_check(struct jsonw *w, const struct cat_check *c);
void catalog_json_check_service_node(struct jsonw *w, const struct cat_node *n,
				     const struct cat_service *svc,
				     const struct cat_check *const *checks, size_t nchecks);

/* A stored JSON text as a value: compact as is, or re-indented when w is pretty;
 * text NULL writes dflt (a compact JSON literal such as "{}" or "null"). */
void catalog_json_raw(struct jsonw *w, const char *text, const char *dflt);

#endif
