"""/v1/txn Node, Service and Check operations (and their mix with KV ops).

Consul (agent/txn_endpoint.go convertOps, agent/consul/state/txn.go):
 - op shapes: {"Node": {"Verb", "Node": {ID, Node, Address, Datacenter,
   TaggedAddresses, Meta, ModifyIndex}}}, {"Service": {"Verb", "Node",
   "Service": {ID, Service, Tags, Address, Meta, Port, Weights, ...}}},
   {"Check": {"Verb", "Check": {Node, CheckID, Name, Status, ..., Definition}}};
 - verbs set, cas, get, delete, delete-cas; only "get" is a read, so a
   transaction of gets is served without Raft (stale/consistent allowed);
 - results {"Node": Node}, {"Service": NodeService}, {"Check": HealthCheck}
   for get/set/cas, none for deletes; a Node without Datacenter gets the
   agent's;
 - cas with ModifyIndex 0 creates only; delete-cas of something missing fails;
 - errors: node "n" doesn't exist / failed to set node "n", index is stale /
   failed to delete node "n", index is stale / service "s" on node "n" doesn't
   exist / failed to set service "s" on node "n", index is stale / check "c"
   on node "n" doesn't exist / Missing node registration / Missing service
   registration / unknown Node verb "v";
 - any failing op (of any kind) rolls the whole transaction back: 409
   {"Results": null, "Errors": [{"OpIndex", "What"}]};
 - at most 128 operations, whatever their kinds (413 beyond).
"""

import base64
import json

import pytest

from conftest import (HEALTH_CHECK_KEYS, NODE_KEYS, NODE_SERVICE_KEYS, Park, consul_index,
                      json_ok, unique)


def txn(agent, ops, **params):
    return agent.put("/v1/txn", data=json.dumps(ops), params=params or None)


def ok(r):
    assert r.status_code == 200, f"{r.status_code} {r.text}"
    body = r.json()
    assert body["Errors"] is None, body
    return body["Results"]


def conflict(r):
    assert r.status_code == 409, f"{r.status_code} {r.text}"
    body = r.json()
    assert body["Results"] is None, body
    return body["Errors"]


def node_op(verb, name, **kw):
    return {"Node": {"Verb": verb, "Node": dict({"Node": name}, **kw)}}


def svc_op(verb, node, **svc):
    return {"Service": {"Verb": verb, "Node": node, "Service": svc}}


def chk_op(verb, node, **chk):
    return {"Check": {"Verb": verb, "Check": dict({"Node": node}, **chk)}}


def kv_op(verb, key, value=None, **kw):
    op = {"Verb": verb, "Key": key}
    if value is not None:
        op["Value"] = base64.b64encode(value.encode()).decode()
    op.update(kw)
    return {"KV": op}


def catalog_node(agent, name):
    return json_ok(agent.get(f"/v1/catalog/node/{name}"))


def make_node(agent, name, addr="10.9.0.1"):
    return ok(txn(agent, [node_op("set", name, Address=addr)]))[0]["Node"]


# --------------------------------------------------------------------- Node

def test_node_set_get(agent):
    name = unique("n")
    res = ok(txn(agent, [node_op("set", name, Address="10.1.2.3",
                                 TaggedAddresses={"lan": "10.1.2.3", "wan": "1.2.3.4"},
                                 Meta={"rack": "r1"})]))
    n = res[0]["Node"]
    assert list(res[0].keys()) == ["Node"]
    assert list(n.keys()) == NODE_KEYS
    assert n["Node"] == name and n["Address"] == "10.1.2.3"
    assert n["Datacenter"] == "dc1"                      # the agent's by default
    assert n["TaggedAddresses"] == {"lan": "10.1.2.3", "wan": "1.2.3.4"}
    assert n["Meta"] == {"rack": "r1"}
    assert n["CreateIndex"] == n["ModifyIndex"] > 0
    # visible through the catalog, identical
    assert catalog_node(agent, name)["Node"] == n
    got = ok(txn(agent, [node_op("get", name)]))
    assert got == [{"Node": n}]


def test_node_get_missing(agent):
    name = unique("n")
    assert conflict(txn(agent, [node_op("get", name)])) == \
        [{"OpIndex": 0, "What": f'node "{name}" doesn\'t exist'}]


def test_node_get_by_id(agent):
    name, nid = unique("n"), "5b1e4a6c-6d58-4a5b-9f7e-5e3c1a2b3c4d"
    ok(txn(agent, [node_op("set", name, ID=nid, Address="10.1.1.1")]))
    res = ok(txn(agent, [node_op("get", "whatever", ID=nid)]))
    assert res[0]["Node"]["Node"] == name and res[0]["Node"]["ID"] == nid
    ok(txn(agent, [node_op("delete", name)]))


def test_node_cas(agent):
    name = unique("n")
    # ModifyIndex 0: create only
    n = ok(txn(agent, [node_op("cas", name, Address="10.0.0.1", ModifyIndex=0)]))[0]["Node"]
    stale = f'failed to set node "{name}", index is stale'
    assert conflict(txn(agent, [node_op("cas", name, Address="10.0.0.2", ModifyIndex=0)])) == \
        [{"OpIndex": 0, "What": stale}]
    assert conflict(txn(agent, [node_op("cas", name, Address="10.0.0.2",
                                        ModifyIndex=n["ModifyIndex"] + 100)])) == \
        [{"OpIndex": 0, "What": stale}]
    assert catalog_node(agent, name)["Node"]["Address"] == "10.0.0.1"
    n2 = ok(txn(agent, [node_op("cas", name, Address="10.0.0.2",
                                ModifyIndex=n["ModifyIndex"])]))[0]["Node"]
    assert n2["Address"] == "10.0.0.2" and n2["ModifyIndex"] > n["ModifyIndex"]
    assert n2["CreateIndex"] == n["CreateIndex"]
    # cas of a missing node with a nonzero index fails
    other = unique("n")
    assert conflict(txn(agent, [node_op("cas", other, Address="1.1.1.1", ModifyIndex=5)]))[0][
        "What"] == f'failed to set node "{other}", index is stale'


def test_node_delete_takes_services_and_checks(agent):
    name, svc = unique("n"), unique("web")
    make_node(agent, name)
    ok(txn(agent, [svc_op("set", name, ID=svc + "1", Service=svc, Port=80),
                   chk_op("set", name, CheckID="c1", Name="c", ServiceID=svc + "1",
                          Status="passing"),
                   chk_op("set", name, CheckID="nc", Name="node check", Status="passing")]))
    assert len(json_ok(agent.get(f"/v1/catalog/service/{svc}"))) == 1
    res = ok(txn(agent, [node_op("delete", name)]))
    assert res is None
    assert catalog_node(agent, name) is None
    assert json_ok(agent.get(f"/v1/catalog/service/{svc}")) == []
    assert json_ok(agent.get(f"/v1/health/node/{name}")) == []
    # deleting what is not there is fine
    assert ok(txn(agent, [node_op("delete", name)])) is None


def test_node_delete_cas(agent):
    name = unique("n")
    n = make_node(agent, name)
    stale = f'failed to delete node "{name}", index is stale'
    assert conflict(txn(agent, [node_op("delete-cas", name, ModifyIndex=n["ModifyIndex"] - 1)])) \
        == [{"OpIndex": 0, "What": stale}]
    assert catalog_node(agent, name) is not None
    assert ok(txn(agent, [node_op("delete-cas", name, ModifyIndex=n["ModifyIndex"])])) is None
    assert catalog_node(agent, name) is None
    # delete-cas of a missing node fails (Consul's deleteNodeCASTxn)
    assert conflict(txn(agent, [node_op("delete-cas", name, ModifyIndex=1)]))[0]["What"] == stale


# ------------------------------------------------------------------ Service

def test_service_verbs(agent):
    node, svc = unique("n"), unique("api")
    make_node(agent, node)
    sid = svc + "-1"
    res = ok(txn(agent, [svc_op("set", node, ID=sid, Service=svc, Tags=["a", "b"],
                                Address="10.2.0.1", Meta={"v": "1"}, Port=8080,
                                Weights={"Passing": 3, "Warning": 1})]))
    s = res[0]["Service"]
    assert list(res[0].keys()) == ["Service"]
    assert [k for k in s.keys() if k in NODE_SERVICE_KEYS] == \
        [k for k in NODE_SERVICE_KEYS if k in s] and "TaggedAddresses" not in s
    assert s["ID"] == sid and s["Service"] == svc and s["Tags"] == ["a", "b"]
    assert s["Address"] == "10.2.0.1" and s["Meta"] == {"v": "1"} and s["Port"] == 8080
    assert s["Weights"] == {"Passing": 3, "Warning": 1}
    assert s["CreateIndex"] == s["ModifyIndex"] > 0
    cat = json_ok(agent.get(f"/v1/catalog/service/{svc}"))
    assert [(e["Node"], e["ServiceID"], e["ServicePort"]) for e in cat] == [(node, sid, 8080)]

    assert ok(txn(agent, [svc_op("get", node, ID=sid)])) == [{"Service": s}]
    stale = f'failed to set service "{sid}" on node "{node}", index is stale'
    assert conflict(txn(agent, [svc_op("cas", node, ID=sid, Service=svc, Port=1,
                                       ModifyIndex=s["ModifyIndex"] + 9)])) == \
        [{"OpIndex": 0, "What": stale}]
    assert conflict(txn(agent, [svc_op("cas", node, ID=sid, Service=svc, Port=1,
                                       ModifyIndex=0)]))[0]["What"] == stale
    s2 = ok(txn(agent, [svc_op("cas", node, ID=sid, Service=svc, Port=9090,
                               ModifyIndex=s["ModifyIndex"])]))[0]["Service"]
    assert s2["Port"] == 9090 and s2["ModifyIndex"] > s["ModifyIndex"]
    assert s2["Weights"] == {"Passing": 0, "Warning": 0}  # as given (absent: zero)

    dstale = f'failed to delete service "{sid}" on node "{node}", index is stale'
    assert conflict(txn(agent, [svc_op("delete-cas", node, ID=sid,
                                       ModifyIndex=s["ModifyIndex"])])) == \
        [{"OpIndex": 0, "What": dstale}]
    assert ok(txn(agent, [svc_op("delete-cas", node, ID=sid,
                                 ModifyIndex=s2["ModifyIndex"])])) is None
    assert json_ok(agent.get(f"/v1/catalog/service/{svc}")) == []
    assert conflict(txn(agent, [svc_op("get", node, ID=sid)])) == \
        [{"OpIndex": 0, "What": f'service "{sid}" on node "{node}" doesn\'t exist'}]
    # plain delete of a missing service succeeds
    assert ok(txn(agent, [svc_op("delete", node, ID=sid)])) is None


def test_service_delete_removes_its_checks(agent):
    node, svc = unique("n"), unique("db")
    make_node(agent, node)
    ok(txn(agent, [svc_op("set", node, ID=svc, Service=svc),
                   chk_op("set", node, CheckID="svc-check", Name="x", ServiceID=svc)]))
    assert len(json_ok(agent.get(f"/v1/health/checks/{svc}"))) == 1
    ok(txn(agent, [svc_op("delete", node, ID=svc)]))
    assert json_ok(agent.get(f"/v1/health/node/{node}")) == []


def test_service_set_on_missing_node(agent):
    node, svc = unique("n"), unique("s")
    errs = conflict(txn(agent, [svc_op("set", node, ID=svc, Service=svc)]))
    assert errs == [{"OpIndex": 0, "What": "Missing node registration"}]
    assert json_ok(agent.get(f"/v1/catalog/service/{svc}")) == []


# -------------------------------------------------------------------- Check

def test_check_verbs(agent):
    node, svc = unique("n"), unique("web")
    make_node(agent, node)
    ok(txn(agent, [svc_op("set", node, ID=svc + "1", Service=svc, Tags=["t"])]))
    res = ok(txn(agent, [chk_op("set", node, CheckID="web-http", Name="http check",
                                Status="passing", Notes="n", Output="ok",
                                ServiceID=svc + "1",
                                Definition={"HTTP": "http://localhost:80/health",
                                            "Interval": "10s", "Timeout": "2s"})]))
    c = res[0]["Check"]
    assert list(c.keys()) == HEALTH_CHECK_KEYS
    assert c["Node"] == node and c["CheckID"] == "web-http" and c["Status"] == "passing"
    assert c["ServiceID"] == svc + "1" and c["ServiceName"] == svc and c["ServiceTags"] == ["t"]
    assert c["Definition"]["HTTP"] == "http://localhost:80/health"
    assert c["Definition"]["Interval"] == "10s" and c["Definition"]["Timeout"] == "2s"
    h = json_ok(agent.get(f"/v1/health/checks/{svc}"))
    assert h == [c]
    assert ok(txn(agent, [chk_op("get", node, CheckID="web-http")])) == [{"Check": c}]

    # a missing Status is critical, as Consul's store defaults it
    c0 = ok(txn(agent, [chk_op("set", node, CheckID="nodecheck", Name="nc")]))[0]["Check"]
    assert c0["Status"] == "critical" and c0["ServiceID"] == ""

    stale = f'failed to set check "web-http" on node "{node}", index is stale'
    assert conflict(txn(agent, [chk_op("cas", node, CheckID="web-http", Name="http check",
                                       ServiceID=svc + "1", Status="warning",
                                       ModifyIndex=c["ModifyIndex"] + 3)])) == \
        [{"OpIndex": 0, "What": stale}]
    c2 = ok(txn(agent, [chk_op("cas", node, CheckID="web-http", Name="http check",
                               ServiceID=svc + "1", Status="warning",
                               ModifyIndex=c["ModifyIndex"])]))[0]["Check"]
    assert c2["Status"] == "warning"
    assert [x["CheckID"] for x in json_ok(agent.get("/v1/health/state/warning"))
            if x["Node"] == node] == ["web-http"]

    dstale = f'failed to delete check "web-http" on node "{node}", index is stale'
    assert conflict(txn(agent, [chk_op("delete-cas", node, CheckID="web-http",
                                       ModifyIndex=c["ModifyIndex"])])) == \
        [{"OpIndex": 0, "What": dstale}]
    assert ok(txn(agent, [chk_op("delete-cas", node, CheckID="web-http",
                                 ModifyIndex=c2["ModifyIndex"]),
                          chk_op("delete", node, CheckID="nodecheck")])) is None
    assert json_ok(agent.get(f"/v1/health/node/{node}")) == []
    assert conflict(txn(agent, [chk_op("get", node, CheckID="web-http")])) == \
        [{"OpIndex": 0, "What": f'check "web-http" on node "{node}" doesn\'t exist'}]


def test_check_set_missing_node_or_service(agent):
    node = unique("n")
    assert conflict(txn(agent, [chk_op("set", node, CheckID="c", Name="c")])) == \
        [{"OpIndex": 0, "What": "Missing node registration"}]
    make_node(agent, node)
    assert conflict(txn(agent, [chk_op("set", node, CheckID="c", Name="c",
                                       ServiceID="nope")])) == \
        [{"OpIndex": 0, "What": "Missing service registration"}]


# ---------------------------------------------------------- all or nothing

def test_mixed_rollback(agent, key):
    node, svc = unique("n"), unique("s")
    agent.kv_put(f"{key}/old", "v")
    ops = [
        kv_op("set", f"{key}/new", "x"),                              # 0
        node_op("set", node, Address="10.3.3.3"),                      # 1
        svc_op("set", node, ID=svc, Service=svc, Port=1),              # 2
        chk_op("set", node, CheckID="c", Name="c", ServiceID=svc),     # 3
        kv_op("delete", f"{key}/old"),                                 # 4
        svc_op("get", node, ID="not-there"),                           # 5: fails
        node_op("cas", node, Address="10.3.3.4", ModifyIndex=0),       # 6: fails (exists now)
        kv_op("get", f"{key}/new"),                                    # 7: ok (seen in txn)
    ]
    errs = conflict(txn(agent, ops))
    assert errs == [
        {"OpIndex": 5, "What": f'service "not-there" on node "{node}" doesn\'t exist'},
        {"OpIndex": 6, "What": f'failed to set node "{node}", index is stale'},
    ]
    # nothing applied
    assert agent.get(f"/v1/kv/{key}/new").status_code == 404
    assert agent.kv_raw(f"{key}/old").content == b"v"
    assert catalog_node(agent, node) is None
    assert json_ok(agent.get(f"/v1/catalog/service/{svc}")) == []
    assert json_ok(agent.get(f"/v1/health/node/{node}")) == []

    # without the failing ops it applies, all at one index
    res = ok(txn(agent, ops[:5] + ops[7:]))
    assert [list(r.keys())[0] for r in res] == ["KV", "Node", "Service", "Check", "KV"]
    idx = {r[k]["ModifyIndex"] for r in res for k in r}
    assert len(idx) == 1
    assert res[4]["KV"]["Value"] == base64.b64encode(b"x").decode()
    assert agent.get(f"/v1/kv/{key}/old").status_code == 404
    assert catalog_node(agent, node)["Services"][svc]["Port"] == 1


def test_failing_kv_rolls_back_catalog(agent, key):
    node = unique("n")
    errs = conflict(txn(agent, [node_op("set", node, Address="10.4.4.4"),
                                kv_op("check-not-exists", key + "x"),
                                kv_op("get", key)]))
    assert errs == [{"OpIndex": 2, "What": f'key "{key}" doesn\'t exist'}]
    assert catalog_node(agent, node) is None


def test_unknown_catalog_verb(agent):
    for kind, op in (("Node", node_op("get-tree", "x")),
                     ("Service", svc_op("lock", "x", ID="y")),
                     ("Check", chk_op("frob", "x", CheckID="c"))):
        errs = conflict(txn(agent, [kv_op("get-tree", "nothing"), op]))
        verb = op[kind]["Verb"]
        assert errs == [{"OpIndex": 1, "What": f'unknown {kind} verb "{verb}"'}]


def test_128_ops_across_kinds(agent, key):
    node = unique("n")
    ops = [node_op("set", node, Address="10.5.5.5")]
    ops += [svc_op("set", node, ID=f"s{i}", Service="lim" + node) for i in range(63)]
    ops += [kv_op("set", f"{key}/{i:03d}", "v") for i in range(64)]
    assert len(ops) == 128
    res = ok(txn(agent, ops))
    assert len(res) == 128
    assert len(json_ok(agent.get(f"/v1/catalog/service/lim{node}"))) == 63
    ops.append(chk_op("get", node, CheckID="c"))
    r = txn(agent, ops)
    assert r.status_code == 413
    assert r.text == "Transaction contains too many operations (129 > 128)"
    # also for a transaction of catalog reads only
    r = txn(agent, [node_op("get", node)] * 129)
    assert r.status_code == 413


# --------------------------------------------------------------- read-only

def test_read_only_catalog_txn(agent, key):
    node, svc = unique("n"), unique("ro")
    make_node(agent, node)
    ok(txn(agent, [svc_op("set", node, ID=svc, Service=svc),
                   chk_op("set", node, CheckID="c", Name="c", Status="passing")]))
    agent.kv_put(key, "v")
    ops = [node_op("get", node), svc_op("get", node, ID=svc), chk_op("get", node, CheckID="c"),
           kv_op("get", key)]
    for params in ({}, {"stale": ""}, {"consistent": ""}):
        r = txn(agent, ops, **params)
        res = ok(r)
        assert [list(x.keys())[0] for x in res] == ["Node", "Service", "Check", "KV"]
        assert res[0]["Node"]["Node"] == node and res[1]["Service"]["ID"] == svc
        # the read path's headers: no Raft round trip was needed
        assert r.headers.get("X-Consul-KnownLeader") == "true"
        assert "X-Consul-LastContact" in r.headers
    assert txn(agent, ops, stale="", consistent="").status_code == 400
    # a read-only transaction does not create a log entry
    i0 = consul_index(agent.get("/v1/catalog/nodes"))
    ok(txn(agent, ops))
    assert consul_index(agent.get("/v1/catalog/nodes")) == i0


# ---------------------------------------------------------------- blocking

def test_blocking_catalog_queries_wake(agent):
    node, svc = unique("n"), unique("blk")
    make_node(agent, node)
    ok(txn(agent, [svc_op("set", node, ID=svc, Service=svc, Port=1)]))
    r = agent.get(f"/v1/health/service/{svc}")
    idx = consul_index(r)
    p = Park(agent, f"/v1/health/service/{svc}", {"index": idx, "wait": "10s"})
    p.start()
    import time
    time.sleep(0.2)
    res = ok(txn(agent, [svc_op("set", node, ID=svc, Service=svc, Port=2)]))
    got = p.done(5)
    assert p.t1 - p.t0 < 5
    assert consul_index(got) == res[0]["Service"]["ModifyIndex"] > idx
    assert got.json()[0]["Service"]["Port"] == 2
    # catalog node index moves like a register's
    assert consul_index(agent.get(f"/v1/catalog/node/{node}")) == res[0]["Service"]["ModifyIndex"]
    # an unrelated service's index does not move
    other = unique("blk")
    ok(txn(agent, [svc_op("set", node, ID=other, Service=other)]))
    assert consul_index(agent.get(f"/v1/health/service/{svc}")) == \
        res[0]["Service"]["ModifyIndex"]


# ---------------------------------------------------------------- sessions

def session_for(agent, node):
    r = agent.put("/v1/session/create", data=json.dumps({"Node": node, "LockDelay": "0s"}))
    assert r.status_code == 200, r.text
    return r.json()["ID"]


def test_txn_catalog_writes_invalidate_sessions(agent, key):
    """Deleting a node, or a check a session depends on, or making that
    check critical, invalidates the session in the same entry (Consul's
    deleteNodeTxn / ensureCheckTxn / deleteCheckTxn), releasing its locks."""
    node = unique("n")
    make_node(agent, node)
    serf = chk_op("set", node, CheckID="serfHealth", Name="serf", Status="passing")
    for undo in (node_op("delete", node),
                 chk_op("delete", node, CheckID="serfHealth"),
                 chk_op("set", node, CheckID="serfHealth", Name="serf", Status="critical")):
        ok(txn(agent, [node_op("set", node, Address="10.9.0.1"), serf]))
        sid = session_for(agent, node)
        assert agent.put(f"/v1/kv/{key}?acquire={sid}", data="v").json() is True
        ok(txn(agent, [undo]))
        assert agent.get(f"/v1/session/info/{sid}").json() == [], undo
        assert "Session" not in agent.kv_get(key)
    # a rolled-back delete invalidates nothing
    ok(txn(agent, [node_op("set", node, Address="10.9.0.1"), serf]))
    sid = session_for(agent, node)
    conflict(txn(agent, [node_op("delete", node), node_op("get", node)]))
    assert [s["ID"] for s in agent.get(f"/v1/session/info/{sid}").json()] == [sid]


# ------------------------------------------------------ register rules

def test_sets_follow_register_rules(agent):
    """cairn's departure (docs/catalog.md): sets are validated as a register."""
    name = unique("n")
    assert conflict(txn(agent, [node_op("set", name)])) == \
        [{"OpIndex": 0, "What": "Must provide address if SkipNodeUpdate is not set"}]
    assert conflict(txn(agent, [node_op("set", name, Address="1.1.1.1", ID="nope")])) == \
        [{"OpIndex": 0, "What": "Bad node ID: uuid string is wrong length"}]
    make_node(agent, name)
    # an empty ID means the name, for services and checks alike
    s = ok(txn(agent, [svc_op("set", name, Service="noid")]))[0]["Service"]
    assert s["ID"] == "noid"
    assert ok(txn(agent, [svc_op("get", name, Service="noid")]))[0]["Service"] == s
    c = ok(txn(agent, [chk_op("set", name, Name="named")]))[0]["Check"]
    assert c["CheckID"] == "named"


# ----------------------------------------------------------- python-consul

def test_python_consul_sees_txn_catalog(agent):
    consul = pytest.importorskip("consul")
    node, svc = unique("n"), unique("py")
    c = consul.Consul(host=agent.ip, port=8500)
    ops = [node_op("set", node, Address="10.6.6.6"),
           svc_op("set", node, ID=svc, Service=svc, Port=7000, Tags=["x"]),
           chk_op("set", node, CheckID="c", Name="c", ServiceID=svc, Status="passing")]
    if hasattr(c, "txn"):
        res = c.txn.put(ops)                 # passes the payload through
        assert [list(x.keys())[0] for x in res["Results"]] == ["Node", "Service", "Check"]
    else:                                    # python-consul 0.7 has no txn endpoint
        ok(txn(agent, ops))
    _, nodes = c.catalog.service(svc)
    assert [(n["Node"], n["ServicePort"], n["ServiceTags"]) for n in nodes] == \
        [(node, 7000, ["x"])]
    _, healthy = c.health.service(svc, passing=True)
    assert [h["Node"]["Node"] for h in healthy] == [node]
    _, n = c.catalog.node(node)
    assert n["Node"]["Address"] == "10.6.6.6"


# ------------------------------------------------------------ bad bodies

@pytest.mark.parametrize("op", [
    {"Node": 5},
    {"Node": {"Verb": "set", "Node": {"Node": 7}}},
    {"Node": {"Verb": "set", "Node": {"Node": "x", "Meta": ["a"]}}},
    {"Service": {"Verb": "set", "Node": "x", "Service": {"Port": "80"}}},
    {"Service": {"Verb": "set", "Node": "x", "Service": {"Tags": [1]}}},
    {"Check": {"Verb": "set", "Check": {"Node": "x", "Status": "bogus"}}},
    {"Check": {"Verb": "set", "Check": {"Node": "x", "Definition": {"HTTP": 5}}}},
    {"Check": {"Verb": "set", "Check": {"Node": "x", "Definition": "http"}}},
    {"Check": {"Verb": "set", "Check": {"Node": "x", "ModifyIndex": -1}}},
])
def test_malformed_catalog_ops(agent, op):
    r = agent.put("/v1/txn", data=json.dumps([op]))
    assert r.status_code == 400, (op, r.status_code, r.text)
    assert r.text.startswith("Failed to parse body: "), r.text
