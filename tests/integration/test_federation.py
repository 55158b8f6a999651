"""Several datacenters joined over WAN gossip (issue 7's prepared-query
failover, and the ?dc= requests it rests on).

Three one-server datacenters dc1, dc2, dc3 (dc2 and dc3 join dc1's WAN pool)
and a client agent in dc1. One federation serves the module; each test uses
its own service and key names.
"""
import consul
import pytest

from conftest import Agent, unique, wait_until


def start_server(tmp, dc, wan_join=None):
    a = Agent(tmp, name=f"s-{dc}", args=["-datacenter", dc])
    if wan_join:
        a.extra_args += ["-retry-join-wan", wan_join, "-retry-interval-wan", "500ms"]
    return a


def datacenters(a):
    r = a.get("/v1/catalog/datacenters")
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture(scope="module")
def fed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("federation")
    made = []
    try:
        s1 = start_server(tmp, "dc1")
        made.append(s1.start())
        for dc in ("dc2", "dc3"):
            made.append(start_server(tmp, dc, s1.ip).start())
        c1 = Agent(tmp, name="c-dc1", mode="raw")
        c1.extra_args = ["-datacenter", "dc1", "-data-dir", str(c1.tmp / "c1-data"),
                         "-node", c1.name, "-bind", c1.ip, "-client", c1.ip,
                         "-retry-join", s1.ip, "-retry-interval", "500ms"]
        made.append(c1.start())
        for a in made:
            wait_until(lambda: sorted(datacenters(a)) == ["dc1", "dc2", "dc3"],
                       timeout=30, interval=0.1, what=f"three datacenters seen by {a.name}")
        yield {"dc1": s1, "dc2": made[1], "dc3": made[2], "client": c1}
    finally:
        for a in made:
            a.close()


def test_datacenters_lists(fed):
    for dc in ("dc1", "dc2", "dc3"):
        # nearest first: a server's own datacenter is at distance ~0
        assert datacenters(fed[dc])[0] == dc
    def areas():
        r = fed["client"].get("/v1/coordinate/datacenters")
        assert r.status_code == 200, r.text
        return {d["Datacenter"]: d for d in r.json()}
    # a peer's coordinate is known once it answered one of our WAN probes
    wait_until(lambda: all(d["Coordinates"] for d in areas().values()), timeout=20,
               interval=0.2, what="a coordinate for every datacenter's server")
    areas = areas()
    assert set(areas) == {"dc1", "dc2", "dc3"}
    for dc, d in areas.items():
        assert d["AreaID"] == "wan"
        assert [c["Node"] for c in d["Coordinates"]] == [f"s-{dc}.{dc}"]
        assert len(d["Coordinates"][0]["Coord"]["Vec"]) == 8
    out = fed["client"].cli("catalog", "datacenters")
    assert out.returncode == 0, out.stderr
    assert sorted(out.stdout.decode().split()) == ["dc1", "dc2", "dc3"]


def test_dc_param_reads_and_writes_go_there(fed):
    c1, s1, s2 = fed["client"], fed["dc1"], fed["dc2"]
    key = unique("fed/k")
    # a write through dc1's client lands in dc2 only
    r = c1.put("/v1/kv/" + key, data=b"in-dc2", params={"dc": "dc2"})
    assert r.status_code == 200 and r.json() is True, r.text
    assert s2.kv_raw(key).content == b"in-dc2"
    assert s1.kv_get(key) is None
    # reads with ?dc from a server and a client, in each consistency mode
    for a in (s1, c1):
        for mode in ({}, {"stale": ""}, {"consistent": ""}):
            r = a.get("/v1/kv/" + key, params={"dc": "dc2", **mode})
            assert r.status_code == 200, r.text
            assert r.json()[0]["Key"] == key and int(r.headers["X-Consul-Index"]) > 0
    # python-consul and the CLI name the datacenter the same way
    cl = consul.Consul(host=c1.ip, port=8500)
    _, e = cl.kv.get(key, dc="dc2")
    assert e["Value"] == b"in-dc2"
    out = c1.cli("kv", "get", "-datacenter", "dc2", key)
    assert out.returncode == 0 and out.stdout == b"in-dc2\n", out.stderr
    # the catalog of another datacenter
    nodes = [n["Node"] for n in cl.catalog.nodes(dc="dc3")[1]]
    assert nodes == ["s-dc3"]
    assert all(n["Datacenter"] == "dc3" for n in cl.health.service("consul", dc="dc3")[1]
               for n in [n["Node"]])


def test_catalog_register_body_datacenter(fed):
    """A register whose body names another Datacenter lands there (no ?dc)."""
    c1, s1, s2 = fed["client"], fed["dc1"], fed["dc2"]
    node = unique("ext")
    body = {"Datacenter": "dc2", "Node": node, "Address": "10.9.9.9",
            "Service": {"Service": "extsvc", "Port": 9}}
    r = c1.put("/v1/catalog/register", json=body)
    assert r.status_code == 200 and r.json() is True, r.text
    got = s2.get(f"/v1/catalog/node/{node}").json()
    assert got["Node"]["Node"] == node and got["Node"]["Datacenter"] == "dc2", got
    assert list(got["Services"]) == ["extsvc"], got
    assert s1.get(f"/v1/catalog/node/{node}").json() is None
    r = c1.put("/v1/catalog/deregister", json={"Datacenter": "dc2", "Node": node})
    assert r.status_code == 200, r.text
    assert s2.get(f"/v1/catalog/node/{node}").json() is None
    body["Datacenter"] = "dc9"
    r = c1.put("/v1/catalog/register", json=body)
    assert r.status_code == 500 and r.text == "No path to datacenter", r.text


def test_agent_endpoints_with_dc(fed):
    """User events and coordinates of another datacenter, asked in dc1."""
    c1, s1, s2 = fed["client"], fed["dc1"], fed["dc2"]
    name = unique("ev")
    r = c1.put(f"/v1/event/fire/{name}", data=b"hi", params={"dc": "dc2"})
    assert r.status_code == 200, r.text
    assert r.json()["Name"] == name
    wait_until(lambda: name in [e["Name"] for e in s2.get("/v1/event/list").json()],
               timeout=10, what="the event in dc2")
    assert name not in [e["Name"] for e in s1.get("/v1/event/list").json()]
    r = c1.get("/v1/coordinate/nodes", params={"dc": "dc2"})
    assert r.status_code == 200, r.text
    assert [n["Node"] for n in r.json()] == ["s-dc2"]


def test_unknown_dc_is_no_path(fed):
    for a in (fed["dc1"], fed["client"]):
        r = a.get("/v1/kv/x", params={"dc": "dc9"})
        assert r.status_code == 500 and r.text == "No path to datacenter", r.text
        r = a.put("/v1/kv/x", data=b"v", params={"dc": "dc9"})
        assert r.status_code == 500 and r.text == "No path to datacenter", r.text
        r = a.put("/v1/event/fire/x", params={"dc": "dc9"})
        assert r.status_code == 500 and r.text == "No path to datacenter", r.text


def register(a, svc, sid, port=5000, **extra):
    r = a.put("/v1/agent/service/register",
              json={"Name": svc, "ID": sid, "Port": port, **extra})
    assert r.status_code == 200, r.text


def deregister(a, sid):
    r = a.put("/v1/agent/service/deregister/" + sid)
    assert r.status_code == 200, r.text


def create_query(a, body):
    r = a.request("POST", "/v1/query", json=body)
    assert r.status_code == 200, r.text
    return r.json()["ID"]


def execute(a, name, **params):
    r = a.get(f"/v1/query/{name}/execute", params=params or None)
    assert r.status_code == 200, r.text
    d = r.json()
    return d, [n["Service"]["ID"] for n in d["Nodes"]]


def wait_service(a, svc, n):
    wait_until(lambda: len(a.get(f"/v1/health/service/{svc}").json()) == n,
               timeout=10, what=f"{n} instances of {svc}")


def test_query_failover_order(fed):
    s1, s2, s3, c1 = fed["dc1"], fed["dc2"], fed["dc3"], fed["client"]
    svc = unique("fdb")
    register(s2, svc, svc + "-2")
    register(s3, svc, svc + "-3")
    wait_service(s2, svc, 1)
    wait_service(s3, svc, 1)
    create_query(s1, {"Name": svc + "-32",
                      "Service": {"Service": svc,
                                  "Failover": {"Datacenters": ["dc9", "dc1", "dc3", "dc2"]}}})
    create_query(s1, {"Name": svc + "-23",
                      "Service": {"Service": svc, "Failover": {"Datacenters": ["dc2", "dc3"]}}})
    # the first listed datacenter that has instances answers; unknown and
    # local names are skipped without counting
    for a in (s1, c1):
        d, ids = execute(a, svc + "-32")
        assert (d["Datacenter"], d["Failovers"], ids) == ("dc3", 1, [svc + "-3"])
        assert d["Service"] == svc and d["Nodes"][0]["Node"]["Datacenter"] == "dc3"
        d, ids = execute(a, svc + "-23")
        assert (d["Datacenter"], d["Failovers"], ids) == ("dc2", 1, [svc + "-2"])
    # dc3 has nothing now: it is tried, counted, and dc2 answers
    deregister(s3, svc + "-3")
    wait_service(s3, svc, 0)
    d, ids = execute(s1, svc + "-32")
    assert (d["Datacenter"], d["Failovers"], ids) == ("dc2", 2, [svc + "-2"])
    # a local instance wins: no failover at all
    register(s1, svc, svc + "-1")
    wait_service(s1, svc, 1)
    d, ids = execute(s1, svc + "-23")
    assert (d["Datacenter"], d["Failovers"], ids) == ("dc1", 0, [svc + "-1"])
    deregister(s1, svc + "-1")
    deregister(s2, svc + "-2")
    wait_service(s2, svc, 0)
    wait_service(s1, svc, 0)
    # nothing anywhere: an empty answer counting every datacenter tried
    d, ids = execute(s1, svc + "-23")
    assert ids == [] and d["Failovers"] == 2 and d["Datacenter"] in ("dc2", "dc3")


def test_query_failover_nearest_n(fed):
    s1, s2, s3 = fed["dc1"], fed["dc2"], fed["dc3"]
    svc = unique("fnear")
    register(s3, svc, svc + "-3")
    wait_service(s3, svc, 1)
    create_query(s1, {"Name": svc + "-n1",
                      "Service": {"Service": svc, "Failover": {"NearestN": 1}}})
    create_query(s1, {"Name": svc + "-n2",
                      "Service": {"Service": svc, "Failover": {"NearestN": 2}}})
    create_query(s1, {"Name": svc + "-n1d",
                      "Service": {"Service": svc,
                                  "Failover": {"NearestN": 1,
                                               "Datacenters": ["dc2", "dc3"]}}})
    # NearestN follows the RTT order /v1/catalog/datacenters shows; dc2 and
    # dc3 are about equally far on one host, so a round counts only when
    # the order did not move while it ran
    def others():
        return [dc for dc in datacenters(s1) if dc != "dc1"]
    for _ in range(20):
        order = others()
        got = [execute(s1, svc + q) for q in ("-n1", "-n2", "-n1d")]
        if others() == order:
            break
    else:
        pytest.fail("the datacenters' RTT order never held still")
    (d1, ids1), (d2, ids2), (d3, ids3) = got
    if order[0] == "dc3":
        assert (d1["Failovers"], ids1) == (1, [svc + "-3"])
    else:
        assert (d1["Failovers"], ids1) == (1, [])
    assert ids2 == [svc + "-3"] and d2["Failovers"] == order.index("dc3") + 1
    # the listed datacenters come after the nearest, without repeating it
    assert ids3 == [svc + "-3"] and d3["Datacenter"] == "dc3"
    assert d3["Failovers"] == (1 if order[0] == "dc3" else 2)
    deregister(s3, svc + "-3")


def test_query_failover_template_limit_and_filters(fed):
    s1, s2 = fed["dc1"], fed["dc2"]
    svc = unique("ftpl")
    for i in range(3):
        register(s2, svc, f"{svc}-{i}", port=6000 + i, Tags=["v1"] if i else ["v2"])
    wait_service(s2, svc, 3)
    create_query(s1, {"Name": "geo-", "Template": {"Type": "name_prefix_match"},
                      "Service": {"Service": "${name.suffix}", "Tags": ["v1"],
                                  "Failover": {"Datacenters": ["dc2"]}}})
    # the rendered query runs in dc2 with its tag filter
    d, ids = execute(s1, "geo-" + svc)
    assert d["Service"] == svc and d["Failovers"] == 1 and d["Datacenter"] == "dc2"
    assert sorted(ids) == [f"{svc}-1", f"{svc}-2"]
    # ?limit is applied there
    d, ids = execute(s1, "geo-" + svc, limit=1)
    assert len(ids) == 1 and ids[0] in (f"{svc}-1", f"{svc}-2")
    # python-consul's execute goes through the same path
    cl = consul.Consul(host=s1.ip, port=8500)
    d = cl.query.execute("geo-" + svc)
    assert d["Datacenter"] == "dc2" and len(d["Nodes"]) == 2
    for i in range(3):
        deregister(s2, f"{svc}-{i}")


def test_query_failover_past_a_dead_datacenter(fed):
    """A datacenter whose server cannot be asked is counted and passed over."""
    s1, s2 = fed["dc1"], fed["dc2"]
    svc = unique("fdead")
    register(s2, svc, svc + "-2")
    wait_service(s2, svc, 1)
    create_query(s1, {"Name": svc,
                      "Service": {"Service": svc, "Failover": {"Datacenters": ["dc3", "dc2"]}}})
    s3 = fed["dc3"]
    s3.kill9()
    try:
        d, ids = execute(s1, svc)
        # right after the kill dc3 is still listed and its call fails; once
        # gossip marks it failed it is unknown and skipped
        assert ids == [svc + "-2"] and d["Datacenter"] == "dc2"
        assert d["Failovers"] in (1, 2)
        # DNS: a datacenter that exists but cannot answer is SERVFAIL
        import dns.rcode
        m = dns_query(s1.ip, f"{svc}.service.dc3.consul", "SRV")
        assert m.rcode() == dns.rcode.SERVFAIL, m
    finally:
        s3.start()
    wait_until(lambda: "dc3" in datacenters(s1), timeout=30, interval=0.2,
               what="dc3 back in the WAN pool")
    deregister(s2, svc + "-2")


# ---- DNS names in other datacenters ----

def dns_query(ip, name, rdtype, tcp=False):
    import dns.message
    import dns.query
    q = dns.message.make_query(name, rdtype)
    if tcp:
        return dns.query.tcp(q, ip, port=8600, timeout=5)
    return dns.query.udp(q, ip, port=8600, timeout=5)


def test_dns_other_datacenter(fed):
    import dns.rcode
    s1, s2, c1 = fed["dc1"], fed["dc2"], fed["client"]
    svc = unique("fdns")
    register(s2, svc, svc + "-2", port=7002)
    wait_service(s2, svc, 1)
    create_query(s2, {"Name": svc + "-q", "Service": {"Service": svc}})
    # asked in dc1 (its server, and its client through the server), over
    # UDP and TCP, answered by dc2 as its own names
    for a in (s1, c1):
        for tcp in (False, True):
            m = dns_query(a.ip, f"{svc}.service.dc2.consul", "SRV", tcp)
            assert m.rcode() == dns.rcode.NOERROR, m
            srv = [rd for rr in m.answer for rd in rr]
            assert [(rd.port, rd.target.to_text()) for rd in srv] == \
                [(7002, "s-dc2.node.dc2.consul.")]
            extra = {rr.name.to_text(): [rd.to_text() for rd in rr] for rr in m.additional
                     if rr.rdtype == 1}
            assert extra == {"s-dc2.node.dc2.consul.": [s2.ip]}
        m = dns_query(a.ip, "s-dc2.node.DC2.dc.consul", "A")
        assert [rd.to_text() for rr in m.answer for rd in rr] == [s2.ip], m
        m = dns_query(a.ip, f"{svc}-q.query.dc2.consul", "A")
        assert [rd.to_text() for rr in m.answer for rd in rr] == [s2.ip], m
        # dc1 has no such service: its own answer stays NXDOMAIN
        m = dns_query(a.ip, f"{svc}.service.dc1.consul", "SRV")
        assert m.rcode() == dns.rcode.NXDOMAIN, m
        # a datacenter nobody knows: NXDOMAIN, as Consul's "No path to datacenter"
        m = dns_query(a.ip, f"{svc}.service.dc9.consul", "SRV")
        assert m.rcode() == dns.rcode.NXDOMAIN and not m.answer, m
    deregister(s2, svc + "-2")


def test_dns_query_failover(fed):
    """<q>.query.consul fails over like HTTP execute (Consul's DNS does)."""
    import dns.rcode
    s1, s2, s3, c1 = fed["dc1"], fed["dc2"], fed["dc3"], fed["client"]
    svc = unique("fdq")
    register(s3, svc, svc + "-3", port=7303)
    wait_service(s3, svc, 1)
    create_query(s1, {"Name": svc, "Service": {
        "Service": svc, "Failover": {"Datacenters": ["dc2", "dc3"]}}})
    create_query(s1, {"Name": svc + "-none", "Service": {"Service": svc}})
    for a in (s1, c1):
        for tcp in (False, True):
            m = dns_query(a.ip, f"{svc}.query.consul", "SRV", tcp)
            assert m.rcode() == dns.rcode.NOERROR, m
            # dc2 has none, dc3 answers with its own names
            assert [(rd.port, rd.target.to_text()) for rr in m.answer for rd in rr] == \
                [(7303, "s-dc3.node.dc3.consul.")]
        m = dns_query(a.ip, f"{svc}.query.consul", "A")
        assert [rd.to_text() for rr in m.answer for rd in rr] == [s3.ip], m
        # without failover options nothing leaves dc1
        m = dns_query(a.ip, f"{svc}-none.query.consul", "A")
        assert m.rcode() == dns.rcode.NXDOMAIN, m
    # nowhere to be found: dc1's own negative answer, with its SOA
    deregister(s3, svc + "-3")
    wait_service(s3, svc, 0)
    for a in (s1, c1):
        m = dns_query(a.ip, f"{svc}.query.consul", "A")
        assert m.rcode() == dns.rcode.NXDOMAIN and not m.answer, m
        assert [rr.rdtype for rr in m.authority] == [6], m  # SOA
    # a local instance wins again
    register(s1, svc, svc + "-1", port=7301)
    wait_service(s1, svc, 1)
    m = dns_query(s1.ip, f"{svc}.query.consul", "SRV")
    assert [rd.port for rr in m.answer for rd in rr] == [7301], m
    deregister(s1, svc + "-1")


def test_flood_join_brings_every_server_in(tmp_path):
    """One server's -join-wan is enough: its datacenter's other servers join
    the WAN pool by themselves (Consul's flood join), so any of them can
    answer for the other datacenter."""
    made = []
    try:
        a1 = Agent(tmp_path, name="fa1", mode="raw")
        a2 = Agent(tmp_path, name="fa2", mode="raw")
        for a in (a1, a2):
            a.extra_args = ["-server", "-bootstrap-expect", "2", "-datacenter", "east",
                            "-data-dir", str(tmp_path / f"{a.name}-data"), "-node", a.name,
                            "-bind", a.ip, "-client", a.ip, "-retry-join", a1.ip,
                            "-retry-interval", "300ms"]
            made.append(a)
        for a in made:
            a.start(wait=False)
        for a in made:
            a.wait_ready(30)
        b = Agent(tmp_path, name="fb1", args=["-datacenter", "west", "-retry-join-wan",
                                              a1.ip, "-retry-interval-wan", "300ms"])
        made.append(b.start())

        def wan(x):
            return sorted(m["Name"] for m in x.get("/v1/agent/members?wan=1").json()
                          if m["Status"] == 1)
        want = ["fa1.east", "fa2.east", "fb1.west"]
        wait_until(lambda: all(wan(x) == want for x in made), timeout=20,
                   what="every server in the WAN pool")
        assert b.kv_put("k", "from-west")
        r = a2.get("/v1/kv/k", params={"dc": "west", "raw": ""})
        assert r.status_code == 200 and r.content == b"from-west", r.text
    finally:
        for a in made:
            a.close()
