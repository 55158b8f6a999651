"""Agent local state over HTTP: /v1/agent/service/*, /v1/agent/check/*,
/v1/agent/services, /v1/agent/checks, /v1/agent/health/service/*, maintenance,
anti-entropy, and the agent's own node in the catalog.

Consul facts (agent_endpoint.go, api/agent.go, structs.go, 1.20):
 - /v1/agent/services is a map ID -> AgentService with keys in this order:
   ID, Service, Tags, Meta, Port, Address, [TaggedAddresses], Weights,
   EnableTagOverride, Datacenter (Tags [] and Meta {} when unset, Weights default
   {"Passing": 1, "Warning": 1}); a service with an IPv4 Address gets lan_ipv4 and
   wan_ipv4 tagged addresses {Address, Port} added unless given;
 - /v1/agent/service/:id adds ContentHash (also in X-Consul-ContentHash) and
   blocks on ?hash=; unknown id is 404 "unknown service ID: <id>";
 - /v1/agent/checks is a map ID -> HealthCheck: Node, CheckID, Name, Status,
   Notes, Output, ServiceID, ServiceName, ServiceTags, Type, Interval, Timeout,
   ExposedPort, Definition, CreateIndex, ModifyIndex;
 - service checks get ID "service:<id>" (or "service:<id>:<n>" for several)
   and name "Service '<name>' check";
 - bodies decode like Go's encoding/json (keys case-insensitive) plus
   snake_case aliases;
 - errors: 400 "Missing service name", "Invalid service address",
   "Invalid Weights: Passing must be greater than 0", "Invalid check: ...";
   404 "Unknown service ID \"x\". Ensure that the service ID is passed, not the
   service name." for deregister/maintenance of an unknown service;
 - ?replace-existing-checks (empty or "true") drops checks not in the new body;
 - /v1/agent/health/service/id/:id and /name/:name: 200 passing, 429 warning,
   503 critical; ?format=text (or Accept: text/plain) answers the bare status;
   unknown id: 404 "ServiceId <id> not found"; unknown name: 404
   "ServiceName <name> Not Found";
 - maintenance: critical checks "_node_maintenance" ("Node Maintenance Mode") and
   "_service_maintenance:<id>" ("Service Maintenance Mode"), Notes = reason or
   Consul's default sentence; 400 "Missing value for enable",
   400 "Invalid value for enable: \"<v>\"";
 - the agent's node is in the catalog with TaggedAddresses lan/wan, node meta
   consul-network-segment, and the serfHealth check ("Serf Health Status",
   "Agent alive and reachable").
"""

import threading
import time

import pytest
import requests

from conftest import (HEALTH_CHECK_KEYS, agent_checks, agent_services, catalog_service,
                      health_service, json_ok, register_check, register_service, unique,
                      wait_health, wait_until, write_json_file)

AGENT_SERVICE_KEYS = ["ID", "Service", "Tags", "Meta", "Port", "Address", "TaggedAddresses",
                      "Weights", "EnableTagOverride", "Datacenter"]
NODE_MAINT_DEFAULT = ("Maintenance mode is enabled for this node, but no reason was provided. "
                      "This is a default message.")
SVC_MAINT_DEFAULT = ("Maintenance mode is enabled for this service, but no reason was provided. "
                     "This is a default message.")


def unknown_service(sid):
    return (f'Unknown service ID "{sid}". Ensure that the service ID is passed, '
            f'not the service name.')


# --------------------------------------------------------------------------
# registration bodies and /v1/agent/services shape
# --------------------------------------------------------------------------

def full_expected(sid, name, port):
    return {
        "ID": sid, "Service": name, "Tags": ["primary", "v1"],
        "Meta": {"redis_version": "4.0"}, "Port": port, "Address": "127.0.0.1",
        "TaggedAddresses": {
            "lan": {"Address": "10.0.0.1", "Port": 7000},
            "lan_ipv4": {"Address": "127.0.0.1", "Port": port},
            "wan_ipv4": {"Address": "127.0.0.1", "Port": port}},
        "Weights": {"Passing": 10, "Warning": 1}, "EnableTagOverride": True,
        "Datacenter": "dc1"}


def test_register_camelcase_full(agent):
    sid = unique("redis")
    register_service(agent, {
        "ID": sid, "Name": "redis-" + sid, "Tags": ["primary", "v1"], "Address": "127.0.0.1",
        "Port": 8000, "Meta": {"redis_version": "4.0"}, "EnableTagOverride": True,
        "Weights": {"Passing": 10, "Warning": 1},
        "TaggedAddresses": {"lan": {"Address": "10.0.0.1", "Port": 7000}}})
    s = agent_services(agent)[sid]
    assert s == full_expected(sid, "redis-" + sid, 8000)
    assert list(s) == AGENT_SERVICE_KEYS


def test_register_snake_case_full(agent):
    sid = unique("redis")
    register_service(agent, {
        "id": sid, "name": "redis-" + sid, "tags": ["primary", "v1"], "address": "127.0.0.1",
        "port": 8000, "meta": {"redis_version": "4.0"}, "enable_tag_override": True,
        "weights": {"passing": 10, "warning": 1},
        "tagged_addresses": {"lan": {"address": "10.0.0.1", "port": 7000}}})
    s = agent_services(agent)[sid]
    assert s == full_expected(sid, "redis-" + sid, 8000)
    assert list(s) == AGENT_SERVICE_KEYS


def test_register_keys_are_case_insensitive(agent):
    """python-consul sends "enabletagoverride" and "serviceid"; Go's decoder
    matches keys case-insensitively."""
    sid = unique("ci")
    register_service(agent, {"NAME": sid, "enabletagoverride": True, "PORT": 1234,
                             "tAgS": ["x"]})
    s = agent_services(agent)[sid]
    assert s["Service"] == sid and s["EnableTagOverride"] is True
    assert s["Port"] == 1234 and s["Tags"] == ["x"]
    register_check(agent, {"name": sid + "-c", "ttl": "10s", "serviceid": sid})
    assert agent_checks(agent)[sid + "-c"]["ServiceID"] == sid


def test_register_minimal_defaults(agent):
    name = unique("min")
    register_service(agent, {"Name": name})
    s = agent_services(agent)[name]
    assert s == {"ID": name, "Service": name, "Tags": [], "Meta": {}, "Port": 0,
                 "Address": "", "Weights": {"Passing": 1, "Warning": 1},
                 "EnableTagOverride": False, "Datacenter": "dc1"}
    assert list(s) == [k for k in AGENT_SERVICE_KEYS if k != "TaggedAddresses"]


def test_register_durations_as_nanoseconds(agent):
    name = unique("ns")
    register_service(agent, {"Name": name, "Check": {"TTL": 30_000_000_000}})
    assert f"service:{name}" in agent_checks(agent)


@pytest.mark.parametrize("body,status,text", [
    ({"Port": 80}, 400, "Missing service name"),
    ({"Name": "x", "Address": "0.0.0.0"}, 400, "Invalid service address"),
    ({"Name": "x", "Weights": {"Passing": 0, "Warning": 1}}, 400,
     "Invalid Weights: Passing must be greater than 0"),
    ({"Name": "x", "Meta": {"consul-reserved": "y"}}, 400,
     "Invalid Service Meta: Couldn't load metadata pair ('consul-reserved', 'y'): "
     "Key prefix 'consul-' is reserved for internal use"),
    ({"Name": "x", "Check": {"HTTP": "http://127.0.0.1:1/"}}, 400, None),
    ({"Name": "x", "Check": {"TTL": "10s", "Status": "meh"}}, 400,
     "Status for checks must 'passing', 'warning', 'critical'"),
])
def test_register_validation(agent, body, status, text):
    r = agent.put("/v1/agent/service/register", json=body)
    assert r.status_code == status, r.text
    if text is None:
        assert r.text.startswith("Invalid check: "), r.text
    else:
        assert r.text == text


def test_register_check_and_checks_together(agent):
    sid = unique("both")
    register_service(agent, {"Name": sid, "Check": {"CheckID": sid + "-a", "TTL": "30s"},
                             "Checks": [{"CheckID": sid + "-b", "TTL": "30s"}]})
    assert {sid + "-a", sid + "-b"} <= set(agent_checks(agent))


def test_register_method_not_allowed(agent):
    """Go's mux prefers the exact /v1/agent/service/register route (PUT only)
    over the /v1/agent/service/ prefix: a GET is 405, not a lookup of a
    service called "register"."""
    r = agent.get("/v1/agent/service/register")
    assert (r.status_code, r.text) == (405, "method GET not allowed")
    assert r.headers.get("Allow") == "OPTIONS,PUT"


def test_register_bad_json(agent):
    r = agent.put("/v1/agent/service/register", data=b'{"Name": ')
    assert r.status_code == 400
    assert r.text.startswith("Request decode failed: ")


def test_service_check_ids_and_names(agent):
    one, many = unique("one"), unique("many")
    register_service(agent, {"Name": one, "Check": {"TTL": "30s"}})
    register_service(agent, {"Name": many, "Checks": [{"TTL": "30s"}, {"TTL": "30s"},
                                                      {"CheckID": "mine-" + many, "TTL": "30s",
                                                       "Name": "named", "Notes": "n"}]})
    checks = agent_checks(agent)
    c = checks[f"service:{one}"]
    assert c["Name"] == f"Service '{one}' check"
    assert c["ServiceID"] == one and c["ServiceName"] == one and c["Status"] == "critical"
    assert checks[f"service:{many}:1"]["Name"] == f"Service '{many}' check"
    assert checks[f"service:{many}:2"]["ServiceID"] == many
    assert checks["mine-" + many]["Name"] == "named"
    assert checks["mine-" + many]["Notes"] == "n"


def test_agent_checks_shape(agent):
    name = unique("shape")
    register_service(agent, {"Name": name, "Tags": ["a"],
                             "Check": {"CheckID": name + "-c", "Name": "the check",
                                       "Notes": "some notes", "TTL": "30s"}})
    c = agent_checks(agent)[name + "-c"]
    assert list(c) == HEALTH_CHECK_KEYS
    assert c["Node"] == agent.name and c["CheckID"] == name + "-c"
    assert c["Name"] == "the check" and c["Notes"] == "some notes"
    assert c["Status"] == "critical" and c["Output"] == ""
    assert c["ServiceTags"] == ["a"] and c["Type"] == "ttl"
    assert isinstance(c["Definition"], dict) and c["ExposedPort"] == 0
    # a node check has empty service fields, ServiceTags [] not null
    # (passing and removed again: this module's agent must keep a healthy node)
    register_check(agent, {"Name": name + "-node", "TTL": "30s", "Status": "passing"})
    n = agent_checks(agent)[name + "-node"]
    assert n["ServiceID"] == "" and n["ServiceName"] == "" and n["ServiceTags"] == []
    assert agent.put(f"/v1/agent/check/deregister/{name}-node").status_code == 200


# --------------------------------------------------------------------------
# /v1/agent/service/:id
# --------------------------------------------------------------------------

def test_agent_service_by_id_and_hash_blocking(agent):
    sid = unique("one")
    register_service(agent, {"ID": sid, "Name": "svc-" + sid, "Port": 80, "Tags": ["a"]})
    r = agent.get(f"/v1/agent/service/{sid}")
    s = json_ok(r)
    assert s["ID"] == sid and s["Service"] == "svc-" + sid and s["Tags"] == ["a"]
    assert s["ContentHash"] and r.headers.get("X-Consul-ContentHash") == s["ContentHash"]
    assert list(s) == ["ID", "Service", "Tags", "Meta", "Port", "Address", "Weights",
                       "EnableTagOverride", "ContentHash", "Datacenter"]
    h0 = s["ContentHash"]

    out = {}

    def waiter():
        t0 = time.monotonic()
        out["r"] = requests.get(agent.url(f"/v1/agent/service/{sid}"),
                                params={"hash": h0, "wait": "5s"}, timeout=10)
        out["dt"] = time.monotonic() - t0

    t = threading.Thread(target=waiter, daemon=True)
    t.start()
    time.sleep(0.3)
    assert t.is_alive(), "hash-blocking query returned before any change"
    register_service(agent, {"ID": sid, "Name": "svc-" + sid, "Port": 80, "Tags": ["b"]})
    t.join(5)
    assert not t.is_alive()
    s2 = json_ok(out["r"])
    assert s2["Tags"] == ["b"] and s2["ContentHash"] != h0
    assert out["dt"] < 2.0

    r = agent.get("/v1/agent/service/no-such-id")
    assert r.status_code == 404 and r.text == "unknown service ID: no-such-id"


# --------------------------------------------------------------------------
# re-registration, replace-existing-checks, deregistration
# --------------------------------------------------------------------------

def test_reregister_keeps_other_checks_unless_replace(agent):
    sid = unique("rr")
    body = {"ID": sid, "Name": sid, "Checks": [{"CheckID": sid + "-a", "TTL": "30s"},
                                               {"CheckID": sid + "-b", "TTL": "30s"}]}
    register_service(agent, body)
    assert {sid + "-a", sid + "-b"} <= set(agent_checks(agent))
    only_a = {"ID": sid, "Name": sid, "Checks": [{"CheckID": sid + "-a", "TTL": "30s"}]}
    register_service(agent, only_a)
    assert sid + "-b" in agent_checks(agent), "b dropped without replace-existing-checks"
    register_service(agent, only_a, **{"replace-existing-checks": ""})
    checks = agent_checks(agent)
    assert sid + "-a" in checks and sid + "-b" not in checks
    register_service(agent, body)
    register_service(agent, only_a, **{"replace-existing-checks": "true"})
    assert sid + "-b" not in agent_checks(agent)


def test_deregister(agent):
    sid = unique("dereg")
    register_service(agent, {"ID": sid, "Name": sid, "Check": {"TTL": "30s"}})
    wait_until(lambda: catalog_service(agent, sid), 5, what="in catalog")
    r = agent.put(f"/v1/agent/service/deregister/{sid}")
    assert r.status_code == 200 and r.text == "", (r.status_code, r.text)
    assert sid not in agent_services(agent)
    assert f"service:{sid}" not in agent_checks(agent)
    wait_until(lambda: catalog_service(agent, sid) == [], 5, what="gone from catalog")
    r = agent.put(f"/v1/agent/service/deregister/{sid}")
    assert r.status_code == 404 and r.text == unknown_service(sid)


def test_register_syncs_to_catalog_and_health(agent):
    sid = unique("sync")
    register_service(agent, {"ID": sid, "Name": sid, "Port": 99, "Tags": ["t"],
                             "Check": {"TTL": "30s", "Status": "passing"}})
    e = wait_health(agent, sid, lambda e: len(e) == 1, passing="")
    assert e[0]["Node"]["Node"] == agent.name
    assert e[0]["Service"]["ID"] == sid and e[0]["Service"]["Port"] == 99
    sid2 = unique("weights")
    register_service(agent, {"ID": sid2, "Name": sid2, "Address": "127.0.0.1", "Port": 5,
                             "Weights": {"Passing": 7, "Warning": 2}, "Meta": {"m": "1"},
                             "EnableTagOverride": True})
    c = wait_until(lambda: catalog_service(agent, sid2), 5, what="synced")[0]
    assert c["ServiceWeights"] == {"Passing": 7, "Warning": 2}
    assert c["ServiceMeta"] == {"m": "1"} and c["ServiceEnableTagOverride"] is True
    assert c["ServiceTaggedAddresses"] == {"lan_ipv4": {"Address": "127.0.0.1", "Port": 5},
                                           "wan_ipv4": {"Address": "127.0.0.1", "Port": 5}}
    assert {c["CheckID"] for c in e[0]["Checks"]} >= {f"service:{sid}", "serfHealth"}
    agent.put(f"/v1/agent/check/fail/service:{sid}")
    wait_health(agent, sid, lambda e: e == [], passing="")


# --------------------------------------------------------------------------
# /v1/agent/health/service/id/:id and /name/:name
# --------------------------------------------------------------------------

def test_agent_health_by_id(agents):
    agent = agents()    # node-level checks count too: a fresh agent has none
    sid = unique("ah")
    register_service(agent, {"ID": sid, "Name": "ah-" + sid,
                             "Checks": [{"CheckID": sid + "-1", "TTL": "30s"},
                                        {"CheckID": sid + "-2", "TTL": "30s"}]})
    path = f"/v1/agent/health/service/id/{sid}"

    def get(**p):
        return agent.get(path, params=p or None)

    r = get()
    assert r.status_code == 503
    body = r.json()
    assert list(body) == ["AggregatedStatus", "Service", "Checks"]
    assert body["AggregatedStatus"] == "critical"
    assert body["Service"]["ID"] == sid and len(body["Checks"]) == 2
    agent.put(f"/v1/agent/check/pass/{sid}-1")
    agent.put(f"/v1/agent/check/warn/{sid}-2")
    assert get().status_code == 429 and get().json()["AggregatedStatus"] == "warning"
    agent.put(f"/v1/agent/check/pass/{sid}-2")
    r = get()
    assert r.status_code == 200 and r.json()["AggregatedStatus"] == "passing"
    r = get(format="text")
    assert (r.status_code, r.text) == (200, "passing")
    assert r.headers["Content-Type"].startswith("text/plain")
    agent.put(f"/v1/agent/check/fail/{sid}-1")
    r = agent.get(path, headers={"Accept": "text/plain"})
    assert (r.status_code, r.text) == (503, "critical")

    r = agent.get("/v1/agent/health/service/id/nope", params={"format": "text"})
    assert (r.status_code, r.text) == (404, "ServiceId nope not found")
    r = agent.get("/v1/agent/health/service/id/nope")
    assert r.status_code == 404
    assert r.json() == {"AggregatedStatus": "critical", "Service": None, "Checks": None}


def test_agent_health_by_name_worst_wins(agents):
    agent = agents()
    name = unique("ahn")
    for i in (1, 2):
        register_service(agent, {"ID": f"{name}-{i}", "Name": name,
                                 "Check": {"CheckID": f"{name}-{i}-c", "TTL": "30s",
                                           "Status": "passing"}})
    path = f"/v1/agent/health/service/name/{name}"
    r = agent.get(path)
    assert r.status_code == 200
    infos = r.json()
    assert sorted(i["Service"]["ID"] for i in infos) == [f"{name}-1", f"{name}-2"]
    assert {i["AggregatedStatus"] for i in infos} == {"passing"}
    agent.put(f"/v1/agent/check/warn/{name}-2-c")
    r = agent.get(path, params={"format": "text"})
    assert (r.status_code, r.text) == (429, "warning")
    agent.put(f"/v1/agent/check/fail/{name}-1-c")
    r = agent.get(path, params={"format": "text"})
    assert (r.status_code, r.text) == (503, "critical")
    r = agent.get(f"/v1/agent/health/service/name/{name}-none", params={"format": "text"})
    assert (r.status_code, r.text) == (404, f"ServiceName {name}-none Not Found")
    r = agent.get(f"/v1/agent/health/service/name/{name}-none")
    assert r.status_code == 404 and r.json() == []


def test_agent_health_service_without_checks_is_passing(agents):
    agent = agents()
    sid = unique("nochk")
    register_service(agent, {"Name": sid})
    r = agent.get(f"/v1/agent/health/service/id/{sid}", params={"format": "text"})
    assert (r.status_code, r.text) == (200, "passing")
    assert agent.get(f"/v1/agent/health/service/id/{sid}").json()["Checks"] == []


# --------------------------------------------------------------------------
# maintenance
# --------------------------------------------------------------------------

def test_node_maintenance(agents):
    a = agents()
    register_service(a, {"Name": "m1", "Check": {"TTL": "30s", "Status": "passing"}})
    wait_health(a, "m1", lambda e: len(e) == 1, passing="")
    r = a.put("/v1/agent/maintenance", params={"enable": "true", "reason": "patching"})
    assert r.status_code == 200, r.text
    c = agent_checks(a)["_node_maintenance"]
    assert c["Name"] == "Node Maintenance Mode" and c["Status"] == "critical"
    assert c["Notes"] == "patching" and c["ServiceID"] == ""
    # every service of the node drops out of ?passing
    wait_health(a, "m1", lambda e: e == [], passing="")
    hn = json_ok(a.get(f"/v1/health/node/{a.name}"))
    assert "_node_maintenance" in {x["CheckID"] for x in hn}
    r = a.put("/v1/agent/maintenance", params={"enable": "false"})
    assert r.status_code == 200
    assert "_node_maintenance" not in agent_checks(a)
    wait_health(a, "m1", lambda e: len(e) == 1, passing="")
    a.put("/v1/agent/maintenance", params={"enable": "true"})
    assert agent_checks(a)["_node_maintenance"]["Notes"] == NODE_MAINT_DEFAULT
    a.put("/v1/agent/maintenance", params={"enable": "false"})

    r = a.put("/v1/agent/maintenance")
    assert (r.status_code, r.text) == (400, "Missing value for enable")
    r = a.put("/v1/agent/maintenance", params={"enable": "maybe"})
    assert (r.status_code, r.text) == (400, 'Invalid value for enable: "maybe"')
    r = a.get("/v1/agent/maintenance", params={"enable": "true"})
    assert r.status_code == 405


def test_service_maintenance(agent):
    sid = unique("smaint")
    register_service(agent, {"ID": sid, "Name": sid, "Check": {"TTL": "30s", "Status": "passing"}})
    wait_health(agent, sid, lambda e: len(e) == 1, passing="")
    r = agent.put(f"/v1/agent/service/maintenance/{sid}", params={"enable": "true"})
    assert r.status_code == 200, r.text
    c = agent_checks(agent)[f"_service_maintenance:{sid}"]
    assert c["Name"] == "Service Maintenance Mode" and c["Status"] == "critical"
    assert c["ServiceID"] == sid and c["ServiceName"] == sid
    assert c["Notes"] == SVC_MAINT_DEFAULT
    wait_health(agent, sid, lambda e: e == [], passing="")
    # api.HealthChecks.AggregatedStatus: any maintenance check -> "maintenance", 503
    r = agent.get(f"/v1/agent/health/service/id/{sid}", params={"format": "text"})
    assert (r.status_code, r.text) == (503, "maintenance")
    r = agent.put(f"/v1/agent/service/maintenance/{sid}", params={"enable": "false"})
    assert r.status_code == 200
    assert f"_service_maintenance:{sid}" not in agent_checks(agent)
    agent.put(f"/v1/agent/service/maintenance/{sid}", params={"enable": "true", "reason": "r1"})
    assert agent_checks(agent)[f"_service_maintenance:{sid}"]["Notes"] == "r1"

    r = agent.put("/v1/agent/service/maintenance/nope", params={"enable": "true"})
    assert (r.status_code, r.text) == (404, unknown_service("nope"))
    r = agent.put(f"/v1/agent/service/maintenance/{sid}")
    assert (r.status_code, r.text) == (400, "Missing value for enable")
    # deregistering the service removes its maintenance check
    agent.put(f"/v1/agent/service/deregister/{sid}")
    assert f"_service_maintenance:{sid}" not in agent_checks(agent)


# --------------------------------------------------------------------------
# the agent's own node, anti-entropy
# --------------------------------------------------------------------------

def test_own_node_in_catalog_with_serf_health(agent):
    self_cfg = json_ok(agent.get("/v1/agent/self"))["Config"]
    nodes = json_ok(agent.get("/v1/catalog/nodes"))
    me = [n for n in nodes if n["Node"] == agent.name]
    assert len(me) == 1, nodes
    n = me[0]
    assert n["ID"] == self_cfg["NodeID"]
    assert n["Address"] == agent.ip and n["Datacenter"] == "dc1"
    ip = agent.ip
    assert n["TaggedAddresses"] == {"lan": ip, "lan_ipv4": ip, "wan": ip, "wan_ipv4": ip}
    # Consul 1.17+ adds consul-version to the agent's node meta
    assert n["Meta"] == {"consul-network-segment": "", "consul-version": self_cfg["Version"]}
    checks = json_ok(agent.get(f"/v1/health/node/{agent.name}"))
    serf = [c for c in checks if c["CheckID"] == "serfHealth"]
    assert len(serf) == 1, checks
    s = serf[0]
    assert list(s) == HEALTH_CHECK_KEYS
    assert (s["Type"], s["Interval"], s["Timeout"], s["Definition"]) == ("", "", "", {})
    assert s["Name"] == "Serf Health Status" and s["Status"] == "passing"
    assert s["Output"] == "Agent alive and reachable"
    assert s["ServiceID"] == "" and s["ServiceTags"] == [] and s["Node"] == agent.name


def test_consul_service_registered_by_server(agent):
    """A Consul server's leader registers the "consul" service (port 8300)."""
    svcs = json_ok(agent.get("/v1/catalog/services"))
    assert svcs.get("consul") == [], svcs
    e = catalog_service(agent, "consul")
    assert len(e) == 1 and e[0]["Node"] == agent.name and e[0]["ServicePort"] == 8300
    h = health_service(agent, "consul")
    assert len(h) == 1 and "serfHealth" in [c["CheckID"] for c in h[0]["Checks"]]
    assert h[0]["Service"]["ID"] == "consul" and h[0]["Service"]["Port"] == 8300


def test_anti_entropy_restores_catalog(agents, tmp_path):
    cfg = write_json_file(tmp_path / "ae.json", {"ae_interval": "1s"})
    a = agents(args=["-config-file", str(cfg)])
    register_service(a, {"ID": "fixed", "Name": "fixed", "Tags": ["local"]})
    register_service(a, {"ID": "loose", "Name": "loose", "Tags": ["local"],
                         "EnableTagOverride": True})
    wait_until(lambda: catalog_service(a, "fixed") and catalog_service(a, "loose"), 5,
               what="both in catalog")
    for sid in ("fixed", "loose"):
        r = a.put("/v1/catalog/register", json={
            "Node": a.name, "Address": a.ip,
            "Service": {"ID": sid, "Service": sid, "Tags": ["remote"],
                        "EnableTagOverride": sid == "loose"}})
        assert r.status_code == 200 and r.text.strip() == "true"
    # without enable_tag_override anti-entropy puts the local tags back...
    wait_until(lambda: catalog_service(a, "fixed")[0]["ServiceTags"] == ["local"], 5,
               what="anti-entropy restoring tags")
    # ...with it, the catalog's tags win and the agent adopts them
    time.sleep(1.5)
    assert catalog_service(a, "loose")[0]["ServiceTags"] == ["remote"]
    wait_until(lambda: agent_services(a)["loose"]["Tags"] == ["remote"], 5,
               what="agent adopting overridden tags")
    # a service removed from the catalog behind the agent's back comes back
    r = a.put("/v1/catalog/deregister", json={"Node": a.name, "ServiceID": "fixed"})
    assert r.status_code == 200
    wait_until(lambda: catalog_service(a, "fixed"), 5, what="anti-entropy re-registering")
