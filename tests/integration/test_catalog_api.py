"""/v1/catalog/*: register, deregister, datacenters, nodes, services,
service/:name, node/:node, node-services/:node; exact JSON; blocking.

Consul facts (structs.go, api/catalog.go, catalog_endpoint.go, 1.20 CE):
 - register/deregister answer the JSON literal `true`;
 - deregister with Node only removes the node, its services and checks; with
   ServiceID the service and its checks; with CheckID the check;
 - Node objects: ID, Node, Address, Datacenter, TaggedAddresses, Meta,
   CreateIndex, ModifyIndex (Partition/PeerName/Locality omitted when empty);
 - /catalog/service/:name entries (structs.ServiceNode): ID, Node, Address,
   Datacenter, TaggedAddresses, NodeMeta, ServiceKind, ServiceID, ServiceName,
   ServiceTags, ServiceAddress, [ServiceTaggedAddresses], ServiceWeights,
   ServiceMeta, ServicePort, ServiceSocketPath, ServiceEnableTagOverride,
   ServiceProxy, ServiceConnect, ServiceLocality, CreateIndex, ModifyIndex;
   an empty ServiceProxy is {"Mode": "", "MeshGateway": {}, "Expose": {}},
   ServiceConnect {}, ServiceLocality null;
 - NodeService (catalog/node, node-services, health Service): [Kind], ID,
   Service, Tags, Address, [TaggedAddresses], Meta, [Port], Weights,
   EnableTagOverride, Proxy, Connect, PeerName, CreateIndex, ModifyIndex;
 - repeated ?tag= must all match; ?node-meta=key:value may repeat (all must
   match); unknown service -> []; unknown node in /catalog/node -> null;
 - /catalog/services maps every service name to its tags (the server's own
   "consul" service included); /catalog/nodes is sorted by node name;
 - every read carries X-Consul-Index, X-Consul-KnownLeader, X-Consul-LastContact
   and blocks on ?index= until its result can have changed.
"""

import time

import pytest

from conftest import (EMPTY_PROXY, NODE_KEYS, NODE_SERVICE_KEYS, SERVICE_NODE_KEYS, Park,
                      catalog_service, cdereg, consul_index, creg, ext_node, json_ok, unique,
                      wait_until)

def nodes(agent, **params):
    return json_ok(agent.get("/v1/catalog/nodes", params=params or None))


def by_node(entries):
    return sorted(entries, key=lambda e: (e["Node"], e.get("ServiceID", "")))


# --------------------------------------------------------------------------
# register / deregister
# --------------------------------------------------------------------------

def test_register_node_service_and_check(agent):
    node, svc = unique("n"), unique("redis")
    creg(agent, {
        "Datacenter": "dc1", "Node": node, "Address": "192.168.10.10",
        "TaggedAddresses": {"lan": "192.168.10.10", "wan": "10.0.10.10"},
        "NodeMeta": {"somekey": "somevalue"},
        "Service": {"ID": svc + "1", "Service": svc, "Tags": ["primary", "v1"],
                    "Address": "127.0.0.1", "Meta": {"redis_version": "4.0"}, "Port": 8000},
        "Check": {"Node": node, "CheckID": "service:" + svc + "1", "Name": "Redis health check",
                  "Notes": "Script based health check", "Status": "passing",
                  "ServiceID": svc + "1"}})
    n = [x for x in nodes(agent) if x["Node"] == node]
    assert len(n) == 1
    assert n[0]["Address"] == "192.168.10.10"
    assert n[0]["TaggedAddresses"] == {"lan": "192.168.10.10", "wan": "10.0.10.10"}
    assert n[0]["Meta"] == {"somekey": "somevalue"}
    assert n[0]["Datacenter"] == "dc1"
    e = catalog_service(agent, svc)
    assert len(e) == 1
    assert e[0]["ServiceID"] == svc + "1" and e[0]["ServiceTags"] == ["primary", "v1"]
    assert e[0]["ServiceMeta"] == {"redis_version": "4.0"} and e[0]["ServicePort"] == 8000
    h = json_ok(agent.get(f"/v1/health/checks/{svc}"))
    assert [(c["CheckID"], c["Status"], c["Notes"]) for c in h] == \
        [("service:" + svc + "1", "passing", "Script based health check")]


def test_register_lowercase_keys(agent):
    """Consul decodes catalog bodies with Go's encoding/json: keys match
    case-insensitively (but "node_meta" is not "NodeMeta" there)."""
    node, svc = unique("n"), unique("lc")
    creg(agent, {"node": node, "address": "10.2.0.1", "nodemeta": {"k": "v"},
                 "service": {"id": svc, "service": svc, "tags": ["t"], "port": 1},
                 "check": {"checkid": svc + "-chk", "name": "c", "status": "warning",
                           "serviceid": svc}})
    e = catalog_service(agent, svc)
    assert e[0]["Node"] == node and e[0]["NodeMeta"] == {"k": "v"} and e[0]["ServiceTags"] == ["t"]
    h = json_ok(agent.get(f"/v1/health/checks/{svc}"))
    assert [(c["CheckID"], c["Status"]) for c in h] == [(svc + "-chk", "warning")]


def test_register_requires_node(agent):
    r = agent.put("/v1/catalog/register", json={"Address": "10.0.0.1"})
    assert r.status_code >= 400
    assert "Must provide node" in r.text


def test_deregister_check_service_node(agent):
    svc = unique("d")
    node = ext_node(agent, services=[{"ID": svc + "-a", "Service": svc},
                                     {"ID": svc + "-b", "Service": svc}],
                    checks=[{"CheckID": "nodecheck", "Name": "n", "Status": "passing"},
                            {"CheckID": svc + "-a-c", "Name": "a", "Status": "passing",
                             "ServiceID": svc + "-a"}])
    cdereg(agent, {"Node": node, "CheckID": "nodecheck"})
    assert [c["CheckID"] for c in json_ok(agent.get(f"/v1/health/node/{node}"))] == [svc + "-a-c"]
    cdereg(agent, {"Node": node, "ServiceID": svc + "-a"})
    assert [e["ServiceID"] for e in catalog_service(agent, svc)] == [svc + "-b"]
    assert json_ok(agent.get(f"/v1/health/node/{node}")) == []     # its check went with it
    cdereg(agent, {"Node": node})
    assert catalog_service(agent, svc) == []
    assert node not in [n["Node"] for n in nodes(agent)]


# --------------------------------------------------------------------------
# reads and shapes
# --------------------------------------------------------------------------

def test_datacenters(agent):
    r = agent.get("/v1/catalog/datacenters")
    assert r.status_code == 200 and r.json() == ["dc1"]


def test_nodes_shape_and_order(agent):
    a = ext_node(agent, node="zz-" + unique("n"))
    b = ext_node(agent, node="aa-" + unique("n"))
    r = agent.get("/v1/catalog/nodes")
    ns = json_ok(r)
    names = [n["Node"] for n in ns]
    assert names == sorted(names, key=str.lower)
    assert a in names and b in names and agent.name in names
    for n in ns:
        assert list(n) == NODE_KEYS, list(n)
    ext = [n for n in ns if n["Node"] == b][0]
    assert ext["TaggedAddresses"] is None or isinstance(ext["TaggedAddresses"], dict)
    assert ext["CreateIndex"] > 0 and ext["ModifyIndex"] >= ext["CreateIndex"]
    for h in ("X-Consul-Index", "X-Consul-KnownLeader", "X-Consul-LastContact"):
        assert h in r.headers, h
    assert r.headers["X-Consul-KnownLeader"] == "true"


def test_nodes_node_meta_filter(agent):
    k = unique("rack").replace("-", "")
    n1 = ext_node(agent, meta={k: "r1", "os": "linux"})
    n2 = ext_node(agent, meta={k: "r2", "os": "linux"})
    assert [n["Node"] for n in nodes(agent, **{"node-meta": f"{k}:r1"})] == [n1]
    r = agent.get("/v1/catalog/nodes", params=[("node-meta", f"{k}:r2"), ("node-meta", "os:linux")])
    assert [n["Node"] for n in json_ok(r)] == [n2]
    assert nodes(agent, **{"node-meta": f"{k}:nope"}) == []
    assert agent.get("/v1/catalog/nodes", params={"node-meta": f"{k}:nope"}).text.strip() == "[]"


def test_services_map(agent):
    s1, s2 = unique("svc"), unique("svc")
    ext_node(agent, services=[{"ID": s1 + "-1", "Service": s1, "Tags": ["b", "a"]}])
    ext_node(agent, services=[{"ID": s1 + "-2", "Service": s1, "Tags": ["a", "c"]},
                              {"ID": s2, "Service": s2}])
    svcs = json_ok(agent.get("/v1/catalog/services"))
    assert sorted(svcs[s1]) == ["a", "b", "c"]
    assert svcs[s2] == []
    assert svcs["consul"] == []


def test_services_node_meta_filter(agent):
    k = unique("zone").replace("-", "")
    s1, s2 = unique("svc"), unique("svc")
    ext_node(agent, meta={k: "z1"}, services=[{"ID": s1, "Service": s1, "Tags": ["x"]}])
    ext_node(agent, meta={k: "z2"}, services=[{"ID": s2, "Service": s2}])
    assert json_ok(agent.get("/v1/catalog/services", params={"node-meta": f"{k}:z1"})) == {s1: ["x"]}


def test_service_nodes_shape(agent):
    svc = unique("shape")
    node = ext_node(agent, meta={"m": "1"}, services=[
        {"ID": svc, "Service": svc, "Tags": ["t"], "Address": "10.9.9.9", "Port": 81,
         "Meta": {"k": "v"}}])
    e = catalog_service(agent, svc)
    assert len(e) == 1
    x = e[0]
    assert list(x) == [k for k in SERVICE_NODE_KEYS if k != "ServiceTaggedAddresses"], list(x)
    assert x["Node"] == node and x["Address"] == "10.1.0.1" and x["Datacenter"] == "dc1"
    assert x["NodeMeta"] == {"m": "1"} and x["ServiceKind"] == ""
    assert x["ServiceAddress"] == "10.9.9.9" and x["ServicePort"] == 81
    assert x["ServiceWeights"] == {"Passing": 1, "Warning": 1}
    assert x["ServiceMeta"] == {"k": "v"} and x["ServiceSocketPath"] == ""
    assert x["ServiceEnableTagOverride"] is False
    assert x["ServiceProxy"] == EMPTY_PROXY and x["ServiceConnect"] == {}
    assert x["ServiceLocality"] is None


def test_service_nodes_of_agent_service_have_tagged_addresses(agent):
    sid = unique("agentsvc")
    r = agent.put("/v1/agent/service/register",
                  json={"ID": sid, "Name": sid, "Address": "127.0.0.1", "Port": 9000})
    assert r.status_code == 200
    e = wait_until(lambda: catalog_service(agent, sid), 5, what="synced")
    assert list(e[0]) == SERVICE_NODE_KEYS
    assert e[0]["ServiceTaggedAddresses"] == {
        "lan_ipv4": {"Address": "127.0.0.1", "Port": 9000},
        "wan_ipv4": {"Address": "127.0.0.1", "Port": 9000}}
    assert e[0]["ServiceTags"] == []
    assert e[0]["ServiceMeta"] in ({}, None)      # Consul outputs vary between {} and null


def test_service_tag_and_node_meta_filters(agent):
    svc = unique("tags")
    k = unique("dc").replace("-", "")
    n1 = ext_node(agent, meta={k: "a"}, services=[{"ID": "i1", "Service": svc,
                                                  "Tags": ["primary", "v1"]}])
    n2 = ext_node(agent, meta={k: "b"}, services=[{"ID": "i2", "Service": svc,
                                                  "Tags": ["secondary", "v1"]}])
    all_ = by_node(catalog_service(agent, svc))
    assert [e["Node"] for e in all_] == sorted([n1, n2])
    assert [e["Node"] for e in catalog_service(agent, svc, tag="primary")] == [n1]
    r = agent.get(f"/v1/catalog/service/{svc}", params=[("tag", "v1"), ("tag", "secondary")])
    assert [e["Node"] for e in json_ok(r)] == [n2]
    r = agent.get(f"/v1/catalog/service/{svc}", params=[("tag", "primary"), ("tag", "secondary")])
    assert json_ok(r) == []
    assert [e["Node"] for e in catalog_service(agent, svc, **{"node-meta": f"{k}:b"})] == [n2]
    r = agent.get(f"/v1/catalog/service/{svc}", params={"tag": "v1", "node-meta": f"{k}:a"})
    assert [e["Node"] for e in json_ok(r)] == [n1]


def test_unknown_service_is_empty_list(agent):
    r = agent.get("/v1/catalog/service/" + unique("nothing"))
    assert r.status_code == 200 and r.text.strip() == "[]"
    consul_index(r)


def test_node_and_node_services(agent):
    svc = unique("ns")
    node = ext_node(agent, meta={"a": "b"}, services=[
        {"ID": svc + "-1", "Service": svc, "Tags": ["x"], "Port": 5},
        {"ID": svc + "-2", "Service": svc}])
    d = json_ok(agent.get(f"/v1/catalog/node/{node}"))
    assert list(d) == ["Node", "Services"]
    assert list(d["Node"]) == NODE_KEYS and d["Node"]["Node"] == node
    assert d["Node"]["Meta"] == {"a": "b"}
    assert sorted(d["Services"]) == [svc + "-1", svc + "-2"]
    s1 = d["Services"][svc + "-1"]
    assert list(s1) == [k for k in NODE_SERVICE_KEYS if k != "TaggedAddresses"], list(s1)
    assert s1["Tags"] == ["x"] and s1["Port"] == 5
    assert s1["Proxy"] == EMPTY_PROXY and s1["Connect"] == {} and s1["PeerName"] == ""
    s2 = d["Services"][svc + "-2"]
    assert s2["Tags"] == [] and "Port" not in s2          # Port is omitempty in NodeService

    l = json_ok(agent.get(f"/v1/catalog/node-services/{node}"))
    assert list(l) == ["Node", "Services"]
    assert isinstance(l["Services"], list)
    assert sorted(s["ID"] for s in l["Services"]) == [svc + "-1", svc + "-2"]

    r = agent.get("/v1/catalog/node/" + unique("no-node"))
    assert r.status_code == 200 and r.text.strip() == "null"


def test_agent_node_services_include_local_services(agent):
    sid = unique("mine")
    assert agent.put("/v1/agent/service/register",
                     json={"ID": sid, "Name": sid, "Port": 7}).status_code == 200
    def mine():
        d = json_ok(agent.get(f"/v1/catalog/node/{agent.name}"))
        return d if sid in d["Services"] else None
    d = wait_until(mine, 5, what="synced")
    assert d["Services"][sid]["Port"] == 7
    assert "consul" in d["Services"]


# --------------------------------------------------------------------------
# blocking queries on every catalog read
# --------------------------------------------------------------------------

def _cases(agent):
    """(path, mutate) pairs: mutate() changes exactly what path returns."""
    svc = unique("blk")
    node = ext_node(agent, services=[{"ID": svc + "-0", "Service": svc}])
    k = unique("m")
    return [
        ("/v1/catalog/nodes", lambda: ext_node(agent)),
        ("/v1/catalog/services", lambda: ext_node(agent, services=[
            {"ID": k, "Service": k}])),
        (f"/v1/catalog/service/{svc}", lambda: creg(agent, {
            "Node": node, "Address": "10.1.0.1", "Service": {"ID": svc + "-1", "Service": svc}})),
        (f"/v1/catalog/node/{node}", lambda: creg(agent, {
            "Node": node, "Address": "10.1.0.1", "Service": {"ID": "other", "Service": "other"}})),
        (f"/v1/catalog/node-services/{node}", lambda: creg(agent, {
            "Node": node, "Address": "10.1.0.1", "Service": {"ID": "other2", "Service": "o"}})),
    ]


@pytest.mark.parametrize("i", range(5))
def test_blocking_wakes_on_change(agent, i):
    path, mutate = _cases(agent)[i]
    r = agent.get(path)
    i0 = consul_index(r)
    p = Park(agent, path, {"index": i0, "wait": "10s"})
    p.start()
    time.sleep(0.2)
    assert p.is_alive(), f"{path} returned at once for index {i0}"
    mutate()
    t = time.monotonic()
    r = p.done(5)
    assert r.status_code == 200
    assert p.t1 - t < 1.0, f"{path} woke {p.t1 - t:.2f}s after the change"
    assert consul_index(r) > i0


def test_blocking_times_out_without_change(agents):
    a = agents()
    svc = unique("quiet")
    node = ext_node(a, services=[{"ID": svc, "Service": svc}])
    paths = ["/v1/catalog/nodes", "/v1/catalog/services", f"/v1/catalog/service/{svc}",
             f"/v1/catalog/node/{node}", f"/v1/catalog/node-services/{node}"]
    parks = []
    for path in paths:
        i0 = consul_index(a.get(path))
        p = Park(a, path, {"index": i0, "wait": "1s"})
        p.i0 = i0
        p.start()
        parks.append(p)
    for path, p in zip(paths, parks):
        r = p.done(5)
        dt = p.t1 - p.t0
        assert r.status_code == 200
        assert dt >= 0.95, f"{path} returned after {dt:.2f}s without any change"
        assert dt < 1.0 + 1.0 / 16 + 0.6
        assert consul_index(r) == p.i0, f"{path}: index moved without a change"


# --------------------------------------------------------------------------
# headers on every catalog/health read
# --------------------------------------------------------------------------

def _read_paths(agent):
    svc = unique("hdr")
    node = ext_node(agent, services=[{"ID": svc, "Service": svc}],
                    checks=[{"CheckID": svc + "-c", "Name": "c", "Status": "passing",
                             "ServiceID": svc}])
    return ["/v1/catalog/nodes", "/v1/catalog/services", f"/v1/catalog/service/{svc}",
            f"/v1/catalog/node/{node}", f"/v1/catalog/node-services/{node}",
            f"/v1/health/node/{node}", f"/v1/health/checks/{svc}",
            f"/v1/health/service/{svc}", "/v1/health/state/any"]


@pytest.mark.parametrize("mode,level", [(None, "leader"), ("stale", "stale"),
                                        ("consistent", "consistent")])
def test_read_headers(agent, mode, level):
    for path in _read_paths(agent):
        r = agent.get(path, params={mode: ""} if mode else None)
        assert r.status_code == 200, (path, r.status_code, r.text)
        assert r.headers["Content-Type"].startswith("application/json"), path
        consul_index(r)
        assert r.headers.get("X-Consul-KnownLeader") == "true", path
        assert r.headers.get("X-Consul-LastContact") == "0", path
        assert r.headers.get("X-Consul-Effective-Consistency") == level, (path, r.headers)
