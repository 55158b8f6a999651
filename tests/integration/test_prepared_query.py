"""Prepared queries (issue 7): /v1/query CRUD and validation, execute and
explain, templates, session-bound queries, and DNS <query>.query lookups.

Consul references: "Prepared Query - HTTP API" (create/list/read/update/
delete, execute, explain; ExecuteResponse {Service, Nodes, DNS, Datacenter,
Failovers}), prepared query templates (name_prefix_match, Regexp,
${name.full} ${name.prefix} ${name.suffix} ${match(N)}, RemoveEmptyTags),
"DNS prepared query lookups". This build has one datacenter: failover never
finds another one (Failovers stays 0).
"""

import json
import threading
import time

import consul
import dns.rcode
import pytest

from conftest import Agent, creg, ext_node, unique, wait_until
from test_dns import dig, query as dns_query, rrs, section_lines

QUERY_KEYS = ["ID", "Name", "Session", "Token", "Template", "Service", "DNS",
              "CreateIndex", "ModifyIndex"]
SERVICE_KEYS = ["Service", "Failover", "OnlyPassing", "IgnoreCheckIDs", "Near", "Tags",
                "NodeMeta", "ServiceMeta", "Peer", "Connect"]
EXEC_KEYS = ["Service", "Nodes", "DNS", "Datacenter", "Failovers"]


@pytest.fixture(scope="module")
def pa(tmp_path_factory):
    a = Agent(tmp_path_factory.mktemp("pq"))
    a.start()

    def serf_ok():
        r = a.get(f"/v1/health/node/{a.name}")
        return r.status_code == 200 and any(
            c["CheckID"] == "serfHealth" and c["Status"] == "passing" for c in r.json())
    wait_until(serf_ok, timeout=20, what="serfHealth registered")
    yield a
    a.close()


def post(a, body):
    return a.request("POST", "/v1/query", data=json.dumps(body))


def create(a, body):
    r = post(a, body)
    assert r.status_code == 200, (r.status_code, r.text)
    assert list(r.json()) == ["ID"]
    return r.json()["ID"]


def delete(a, qid):
    r = a.delete(f"/v1/query/{qid}")
    assert r.status_code == 200, (r.status_code, r.text)


def execute(a, name, **params):
    r = a.get(f"/v1/query/{name}/execute", params=params or None)
    assert r.status_code == 200, (r.status_code, r.text)
    body = r.json()
    assert list(body) == EXEC_KEYS
    return body


def ids(body):
    return sorted(n["Service"]["ID"] for n in body["Nodes"])


def svc(name, sid, tags=(), port=80, meta=None):
    s = {"Service": name, "ID": sid, "Tags": list(tags), "Port": port}
    if meta:
        s["Meta"] = meta
    return s


def check(sid, status, cid=None):
    return {"CheckID": cid or f"{sid}-chk", "Name": "c", "Status": status, "ServiceID": sid}


# --------------------------------------------------------------------------
# CRUD
# --------------------------------------------------------------------------

def test_crud_and_shapes(pa):
    name = unique("crud")
    qid = create(pa, {"Name": name, "Service": {"Service": "web", "Tags": ["a"]},
                      "DNS": {"TTL": "10s"}})
    r = pa.get("/v1/query")
    assert r.status_code == 200
    listed = [q for q in r.json() if q["ID"] == qid]
    assert len(listed) == 1
    q = listed[0]
    assert list(q) == QUERY_KEYS
    assert list(q["Service"]) == SERVICE_KEYS
    assert q["Name"] == name and q["Session"] == "" and q["Token"] == ""
    assert q["Template"] == {"Type": "", "Regexp": "", "RemoveEmptyTags": False}
    assert q["Service"]["Failover"] == {"NearestN": 0, "Datacenters": None}
    assert q["Service"]["Tags"] == ["a"] and q["Service"]["NodeMeta"] is None
    assert q["DNS"] == {"TTL": "10s"}
    assert q["CreateIndex"] == q["ModifyIndex"] > 0

    r = pa.get(f"/v1/query/{qid}")
    assert r.status_code == 200 and r.json() == [q]
    idx = int(r.headers["X-Consul-Index"])
    assert idx == q["ModifyIndex"]

    r = pa.put(f"/v1/query/{qid}", data=json.dumps(
        {"Name": name, "Service": {"Service": "api", "OnlyPassing": True}}))
    assert r.status_code == 200 and r.text == ""
    got = pa.get(f"/v1/query/{qid}").json()[0]
    assert got["Service"]["Service"] == "api" and got["Service"]["OnlyPassing"] is True
    assert got["CreateIndex"] == q["CreateIndex"] < got["ModifyIndex"]
    assert got["DNS"] == {"TTL": ""}

    delete(pa, qid)
    r = pa.get(f"/v1/query/{qid}")
    assert r.status_code == 404 and r.text == "Query not found"
    assert all(x["ID"] != qid for x in pa.get("/v1/query").json())


def test_blocking_get_wakes_on_update(pa):
    name = unique("blk")
    qid = create(pa, {"Name": name, "Service": {"Service": "web"}})
    r = pa.get(f"/v1/query/{qid}")
    idx = int(r.headers["X-Consul-Index"])
    out = {}

    def park():
        out["r"] = pa.get(f"/v1/query/{qid}", params={"index": idx, "wait": "5s"})
    t = threading.Thread(target=park)
    t.start()
    time.sleep(0.3)
    pa.put(f"/v1/query/{qid}", data=json.dumps({"Name": name, "Service": {"Service": "x"}}))
    t.join(10)
    assert int(out["r"].headers["X-Consul-Index"]) > idx
    assert out["r"].json()[0]["Service"]["Service"] == "x"
    delete(pa, qid)


@pytest.mark.parametrize("body,status,msg", [
    ({"Name": "v1"}, 500, "Invalid prepared query: Must provide a Service name to query"),
    ({"Service": {"Service": "web"}}, 500, "Invalid prepared query: Must be bound to a session"),
    ({"Name": "v2", "Service": {"Service": "web", "Failover": {"NearestN": -1}}}, 500,
     "Invalid prepared query: Bad NearestN '-1', must be >= 0"),
    ({"Name": "v3", "Service": {"Service": "web"}, "DNS": {"TTL": "soon"}}, 500,
     "Invalid prepared query: Bad DNS TTL 'soon'"),
    ({"Name": "v4", "Service": {"Service": "web"}, "Token": "<hidden>"}, 500,
     "Invalid prepared query: Bad Token '<hidden>'"),
    ({"Name": "v5", "ID": "0b6b8b3a-1111-2222-3333-444455556666",
      "Service": {"Service": "web"}}, 500,
     "ID must be empty when creating a new prepared query"),
    ({"Name": "v6", "Service": {"Service": "web", "Tags": "a"}}, 400,
     "Request decode failed: json: cannot unmarshal string into Go struct field "
     "PreparedQuery.Service.Tags of type []string"),
    ({"Name": "v7", "Service": {"Service": "web"},
      "Template": {"Type": "bogus"}}, 500, "Bad Template.Type 'bogus'"),
    ({"Name": "v8", "Service": {"Service": "${nope}"},
      "Template": {"Type": "name_prefix_match"}}, 500, "unknown variable accessed: nope"),
    ({"Name": "v9", "Service": {"Service": "web"},
      "Template": {"Type": "name_prefix_match", "Regexp": "a(b"}}, 500, "Bad Regexp"),
    ({"Name": "v10", "Session": "0b6b8b3a-1111-2222-3333-444455556666",
      "Service": {"Service": "web"}}, 500,
     'invalid session "0b6b8b3a-1111-2222-3333-444455556666"'),
])
def test_validation_errors(pa, body, status, msg):
    r = post(pa, body)
    assert r.status_code == status, r.text
    assert msg in r.text


def test_bad_json_and_conflicts(pa):
    r = pa.request("POST", "/v1/query", data="{not json")
    assert r.status_code == 400 and r.text.startswith("Request decode failed:")
    r = pa.request("POST", "/v1/query")
    assert r.status_code == 400 and r.text == "Request decode failed: EOF"
    name = unique("dup")
    qid = create(pa, {"Name": name, "Service": {"Service": "web"}})
    r = post(pa, {"Name": name.upper(), "Service": {"Service": "web"}})
    assert r.status_code == 500
    assert r.text == f"name '{name.upper()}' aliases an existing query name"
    r = post(pa, {"Name": qid, "Service": {"Service": "web"}})
    assert r.status_code == 500 and r.text == f"name '{qid}' aliases an existing query ID"
    missing = "6d9a3e38-0000-4000-8000-000000000000"
    r = pa.put(f"/v1/query/{missing}", data=json.dumps({"Name": "zz", "Service": {"Service": "w"}}))
    assert r.status_code == 500
    assert r.text == f"Cannot modify non-existent prepared query: '{missing}'"
    r = pa.delete(f"/v1/query/{missing}")
    assert r.status_code == 500
    assert r.text == f"Cannot modify non-existent prepared query: '{missing}'"
    r = pa.get(f"/v1/query/{unique('nope')}/execute")
    assert r.status_code == 404 and r.text == "Query not found"
    r = pa.get(f"/v1/query/{unique('nope')}/explain")
    assert r.status_code == 404
    delete(pa, qid)


# --------------------------------------------------------------------------
# execute
# --------------------------------------------------------------------------

def test_execute_tags_and_negated_tags(pa):
    s = unique("tagsvc")
    ext_node(pa, services=[svc(s, "p1", ["primary", "v1"]), svc(s, "p2", ["Primary"]),
                           svc(s, "r1", ["replica"])], address="10.2.0.1")
    q1 = create(pa, {"Name": unique("t1"), "Service": {"Service": s, "Tags": ["primary"]}})
    assert ids(execute(pa, q1)) == ["p1", "p2"]
    q2 = create(pa, {"Name": unique("t2"), "Service": {"Service": s, "Tags": ["!replica"]}})
    assert ids(execute(pa, q2)) == ["p1", "p2"]
    q3 = create(pa, {"Name": unique("t3"),
                     "Service": {"Service": s, "Tags": ["primary", "!v1"]}})
    assert ids(execute(pa, q3)) == ["p2"]
    body = execute(pa, q3)
    assert body["Service"] == s and body["Datacenter"] == "dc1" and body["Failovers"] == 0
    n = body["Nodes"][0]
    assert list(n) == ["Node", "Service", "Checks"]
    for q in (q1, q2, q3):
        delete(pa, q)


def test_execute_health_only_passing_and_ignore(pa):
    s = unique("hsvc")
    node = unique("hn")
    ext_node(pa, node=node, address="10.2.0.2",
             services=[svc(s, "ok"), svc(s, "warn"), svc(s, "crit")],
             checks=[check("ok", "passing"), check("warn", "warning"),
                     check("crit", "critical")])
    q = create(pa, {"Name": unique("h1"), "Service": {"Service": s}})
    assert ids(execute(pa, q)) == ["ok", "warn"]
    qp = create(pa, {"Name": unique("h2"), "Service": {"Service": s, "OnlyPassing": True}})
    assert ids(execute(pa, qp)) == ["ok"]
    qi = create(pa, {"Name": unique("h3"),
                     "Service": {"Service": s, "IgnoreCheckIDs": ["crit-chk"]}})
    assert ids(execute(pa, qi)) == ["crit", "ok", "warn"]
    for x in (q, qp, qi):
        delete(pa, x)


def test_execute_node_and_service_meta(pa):
    s = unique("msvc")
    ext_node(pa, meta={"rack": "r1"}, address="10.2.0.3",
             services=[svc(s, "a", meta={"env": "prod"}), svc(s, "b", meta={"env": "dev"})])
    ext_node(pa, meta={"rack": "r2"}, address="10.2.0.4",
             services=[svc(s, "c", meta={"env": "prod"})])
    q = create(pa, {"Name": unique("m1"), "Service": {
        "Service": s, "NodeMeta": {"rack": "r1"}}})
    assert ids(execute(pa, q)) == ["a", "b"]
    q2 = create(pa, {"Name": unique("m2"), "Service": {
        "Service": s, "ServiceMeta": {"env": "prod"}}})
    assert ids(execute(pa, q2)) == ["a", "c"]
    delete(pa, q)
    delete(pa, q2)


def test_execute_limit_and_shuffle(pa):
    s = unique("lsvc")
    ext_node(pa, address="10.2.0.5", services=[svc(s, f"i{i}", port=1000 + i) for i in range(8)])
    q = create(pa, {"Name": unique("lim"), "Service": {"Service": s}})
    assert len(execute(pa, q)["Nodes"]) == 8
    assert len(execute(pa, q, limit=3)["Nodes"]) == 3
    orders = {tuple(n["Service"]["ID"] for n in execute(pa, q)["Nodes"]) for _ in range(12)}
    assert len(orders) > 1, "results are shuffled"
    r = pa.get(f"/v1/query/{q}/execute", params={"limit": "x"})
    assert r.status_code == 400
    delete(pa, q)


def test_execute_near_agent_first(pa):
    s = unique("nsvc")
    for i in range(4):
        ext_node(pa, address=f"10.2.1.{i}", services=[svc(s, f"e{i}")])
    pa.put("/v1/agent/service/register", data=json.dumps({"Name": s, "ID": "local-" + s}))
    q = create(pa, {"Name": unique("near"), "Service": {"Service": s, "Near": "_agent"}})

    def five():
        return len(execute(pa, q)["Nodes"]) == 5
    wait_until(five, timeout=10, what="local instance in the catalog")
    for _ in range(5):
        assert execute(pa, q)["Nodes"][0]["Node"]["Node"] == pa.name
    q2 = create(pa, {"Name": unique("near2"), "Service": {"Service": s}})
    for _ in range(5):
        assert execute(pa, q2, near="_agent")["Nodes"][0]["Node"]["Node"] == pa.name
    pa.put(f"/v1/agent/service/deregister/local-{s}")
    delete(pa, q)
    delete(pa, q2)



def test_execute_near_ip(pa):
    s = unique("ipsvc")
    nodes = [unique("ipn") for _ in range(4)]
    for i, node in enumerate(nodes):
        ext_node(pa, node=node, address=f"10.2.2.{i + 1}", services=[svc(s, f"x{i}")])
    q = create(pa, {"Name": unique("nearip"), "Service": {"Service": s, "Near": "_ip"}})
    for _ in range(5):
        r = pa.get(f"/v1/query/{q}/execute", headers={"X-Forwarded-For": "10.2.2.3, 1.2.3.4"})
        assert r.status_code == 200
        assert r.json()["Nodes"][0]["Node"]["Node"] == nodes[2]
    delete(pa, q)


def test_failover_single_datacenter(pa):
    s = unique("fsvc")
    node = unique("fn")
    ext_node(pa, node=node, address="10.2.0.6", services=[svc(s, "only")],
             checks=[check("only", "critical")])
    q = create(pa, {"Name": unique("fo"), "Service": {
        "Service": s, "Failover": {"NearestN": 3, "Datacenters": ["dc2", "dc3"]}}})
    got = pa.get(f"/v1/query/{q}").json()[0]["Service"]["Failover"]
    assert got == {"NearestN": 3, "Datacenters": ["dc2", "dc3"]}
    body = execute(pa, q)
    assert body["Nodes"] == [] and body["Failovers"] == 0 and body["Datacenter"] == "dc1"
    creg(pa, {"Node": node, "Address": "10.2.0.6", "Check": check("only", "passing")})
    body = execute(pa, q)
    assert ids(body) == ["only"] and body["Failovers"] == 0 and body["Datacenter"] == "dc1"
    delete(pa, q)


# --------------------------------------------------------------------------
# templates
# --------------------------------------------------------------------------

def test_template_prefix_and_interpolation(pa):
    p = unique("tp") + "-"
    for name in ("alpha", "beta"):
        ext_node(pa, address="10.3.0.1", services=[svc(name + p.rstrip("-"), name)])
    base = p.rstrip("-")
    tq = create(pa, {"Name": p, "Template": {"Type": "name_prefix_match"},
                     "Service": {"Service": "${name.suffix}" + base,
                                 "Near": "${name.prefix}", "Tags": ["${name.full}"]}})
    r = pa.get(f"/v1/query/{p}alpha/explain")
    assert r.status_code == 200
    ex = r.json()["Query"]
    assert ex["Service"]["Service"] == "alpha" + base
    assert ex["Service"]["Near"] == p
    assert ex["Service"]["Tags"] == [p + "alpha"]
    assert ex["ID"] == tq and ex["Template"]["Type"] == "name_prefix_match"
    # the stored query keeps its placeholders
    assert pa.get(f"/v1/query/{tq}").json()[0]["Service"]["Service"] == "${name.suffix}" + base
    # a longer prefix wins
    tq2 = create(pa, {"Name": p + "be", "Template": {"Type": "name_prefix_match"},
                      "Service": {"Service": "be${name.suffix}" + base}})
    assert pa.get(f"/v1/query/{p}beta/explain").json()["Query"]["ID"] == tq2
    assert pa.get(f"/v1/query/{p}beta/explain").json()["Query"]["Service"]["Service"] == \
        "beta" + base
    body = execute(pa, p + "beta")
    assert ids(body) == ["beta"] and body["Service"] == "beta" + base
    delete(pa, tq)
    delete(pa, tq2)


def test_template_regexp_and_remove_empty_tags(pa):
    p = unique("geo") + "-"
    s = unique("rsvc")
    ext_node(pa, address="10.3.0.2", services=[svc(s, "m1", ["primary"]),
                                               svc(s, "m2", ["replica"])])
    tq = create(pa, {"Name": p, "Template": {"Type": "name_prefix_match",
                                             "Regexp": "^" + p + "(.*?)-([^\\-]+?)$",
                                             "RemoveEmptyTags": True},
                     "Service": {"Service": "${match(1)}",
                                 "Tags": ["${match(2)}", "${match(7)}"]}})
    ex = pa.get(f"/v1/query/{p}{s}-primary/explain").json()["Query"]
    assert ex["Service"]["Service"] == s
    assert ex["Service"]["Tags"] == ["primary"]
    assert ids(execute(pa, f"{p}{s}-primary")) == ["m1"]
    assert ids(execute(pa, f"{p}{s}-replica")) == ["m2"]
    # no match: groups are empty, the empty tags go
    ex = pa.get(f"/v1/query/{p}nomatch/explain").json()["Query"]
    assert ex["Service"]["Service"] == "" and ex["Service"]["Tags"] is None
    delete(pa, tq)


def test_catch_all_template(pa):
    s = unique("cat")
    ext_node(pa, address="10.3.0.3", services=[svc(s, "x")])
    tq = create(pa, {"Template": {"Type": "name_prefix_match"},
                     "Service": {"Service": "${name.full}"}})
    r = post(pa, {"Template": {"Type": "name_prefix_match"}, "Service": {"Service": "x"}})
    assert r.status_code == 500
    assert r.text == "a query template with an empty name already exists"
    assert ids(execute(pa, s)) == ["x"]
    delete(pa, tq)
    assert pa.get(f"/v1/query/{s}/execute").status_code == 404


# --------------------------------------------------------------------------
# sessions
# --------------------------------------------------------------------------

def test_session_bound_query_goes_with_session(pa):
    r = pa.put("/v1/session/create", data=json.dumps({"Name": "pq"}))
    assert r.status_code == 200, r.text
    sid = r.json()["ID"]
    qid = create(pa, {"Session": sid, "Service": {"Service": "web"}})
    q = pa.get(f"/v1/query/{qid}").json()[0]
    assert q["Session"] == sid and q["Name"] == ""
    r = pa.get(f"/v1/query/{qid}")
    idx = int(r.headers["X-Consul-Index"])
    assert pa.put(f"/v1/session/destroy/{sid}").status_code == 200
    r = pa.get(f"/v1/query/{qid}")
    assert r.status_code == 404
    assert int(r.headers["X-Consul-Index"]) > idx


def test_queries_survive_restart(agents):
    a = agents()
    name = unique("keep")
    qid = create(a, {"Name": name, "Service": {"Service": "web", "Tags": ["!x"]},
                     "DNS": {"TTL": "3s"}})
    before = a.get(f"/v1/query/{qid}").json()
    a.restart(kill=True)
    wait_until(lambda: a.get(f"/v1/query/{qid}").status_code == 200, timeout=15,
               what="query back after restart")
    assert a.get(f"/v1/query/{qid}").json() == before


# --------------------------------------------------------------------------
# clients: python-consul
# --------------------------------------------------------------------------

def test_python_consul_query_api(pa):
    c = consul.Consul(host=pa.ip, port=8500)
    s = unique("pcsvc")
    ext_node(pa, address="10.3.0.4", services=[svc(s, "a", ["t"]), svc(s, "b")])
    name = unique("pc")
    created = c.query.create(s, name=name, tags=["t"], ttl="7s", onlypassing=True)
    qid = created["ID"]
    got = c.query.get(qid)
    assert got[0]["Name"] == name and got[0]["DNS"]["TTL"] == "7s"
    assert any(q["ID"] == qid for q in c.query.list())
    res = c.query.execute(name)
    assert [n["Service"]["ID"] for n in res["Nodes"]] == ["a"]
    assert c.query.explain(name)["Query"]["ID"] == qid
    c.query.delete(qid)
    assert all(q["ID"] != qid for q in c.query.list())


# --------------------------------------------------------------------------
# DNS
# --------------------------------------------------------------------------

def test_dns_query_lookups(pa):
    s = unique("dsvc")
    ext_node(pa, node=unique("dn"), address="10.4.0.1", services=[svc(s, "d1", ["x"], 8001)])
    ext_node(pa, node=unique("dn"), address="10.4.0.2", services=[svc(s, "d2", ["y"], 8002)])
    name = unique("dq")
    qid = create(pa, {"Name": name, "Service": {"Service": s, "Tags": ["!y"]},
                      "DNS": {"TTL": "17s"}})
    out = dig(pa.ip, f"{name}.query.consul", "SRV")
    ans = section_lines(out, "ANSWER")
    assert len(ans) == 1, out
    fields = ans[0].split()
    assert fields[0] == f"{name}.query.consul." and fields[1] == "17"
    assert fields[2:] == ["IN", "SRV", "1", "1", "8001", fields[-1]], ans
    assert fields[-1].endswith(".node.dc1.consul."), ans
    out = dig(pa.ip, f"{name}.query.dc1.consul", "A", "+short")
    assert out.split() == ["10.4.0.1"]
    # by ID too
    m = dns_query(pa.ip, f"{qid}.query.consul", "A")
    assert [(ttl, rd.to_text()) for _, ttl, rd in rrs(m, rdtype="A")] == [(17, "10.4.0.1")]
    # unknown query, other datacenter: NXDOMAIN
    m = dns_query(pa.ip, f"{unique('none')}.query.consul", "A")
    assert m.rcode() == dns.rcode.NXDOMAIN
    m = dns_query(pa.ip, f"{name}.query.dc9.consul", "A")
    assert m.rcode() == dns.rcode.NXDOMAIN
    delete(pa, qid)
    m = dns_query(pa.ip, f"{name}.query.consul", "A")
    assert m.rcode() == dns.rcode.NXDOMAIN


def test_dns_template_query(pa):
    p = unique("dt") + "-"
    s = unique("dtsvc")
    ext_node(pa, address="10.4.0.3", services=[svc(s, "t1", port=9001)])
    tq = create(pa, {"Name": p, "Template": {"Type": "name_prefix_match"},
                     "Service": {"Service": "${name.suffix}"}})
    m = dns_query(pa.ip, f"{p}{s}.query.consul", "SRV")
    srv = rrs(m, rdtype="SRV")
    assert len(srv) == 1 and srv[0][2].port == 9001
    assert srv[0][1] == 0  # no DNS.TTL, no service_ttl: 0
    extra = rrs(m, "additional", "A")
    assert [rd.to_text() for _, _, rd in extra] == ["10.4.0.3"]
    delete(pa, tq)


def test_snapshot_save_restore_carries_queries(agents):
    a = agents()
    name = unique("snap")
    qid = create(a, {"Name": name, "Service": {"Service": "web"}, "DNS": {"TTL": "4s"}})
    before = a.get(f"/v1/query/{qid}").json()
    r = a.get("/v1/snapshot")
    assert r.status_code == 200, r.text
    archive = r.content
    delete(a, qid)
    assert a.get(f"/v1/query/{qid}").status_code == 404
    r = a.put("/v1/snapshot", data=archive)
    assert r.status_code == 200, r.text
    got = a.get(f"/v1/query/{qid}")
    assert got.status_code == 200 and got.json() == before
