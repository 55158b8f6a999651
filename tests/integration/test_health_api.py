"""/v1/health/node|checks|service|state, exact JSON, blocking, and the index
isolation DESIGN.md asks for (churn in service A never wakes a watcher of B).

Consul facts (health_endpoint.go, structs.go, 1.20 CE):
 - HealthCheck: Node, CheckID, Name, Status, Notes, Output, ServiceID,
   ServiceName, ServiceTags ([] never null), Type, Interval, Timeout,
   ExposedPort, Definition, CreateIndex, ModifyIndex;
 - /health/service entries: {"Node": Node, "Service": NodeService, "Checks":
   [node checks and the service's checks]}; Checks is [] never null;
 - ?passing (no value, 1, true) keeps only entries whose checks are all
   passing; ?passing=false does not filter; a bad value is 400
   "Invalid value for ?passing"; repeated ?tag= must all match; ?node-meta=k:v;
 - /health/state/any lists every check; passing|warning|critical filter;
   Consul does not validate the state: another one is 200 [] (an empty state
   is 400 "Missing check state");
 - unknown node/service -> [].
"""

import time

import pytest

from conftest import (HEALTH_CHECK_KEYS, NODE_KEYS, NODE_SERVICE_KEYS, Park, consul_index, creg,
                      ext_node, health_service, json_ok, register_service, unique, wait_health,
                      wait_until)


def hget(agent, path, **params):
    return json_ok(agent.get(path, params=params or None))


def svc_with_checks(agent, statuses, tags=(), meta=None):
    """One ext node per status: service instance <svc>-<i> with one check."""
    svc = unique("h")
    names = []
    for i, st in enumerate(statuses):
        node = ext_node(agent, meta=meta[i] if meta else None, services=[
            {"ID": f"{svc}-{i}", "Service": svc, "Tags": list(tags[i]) if tags else []}],
            checks=[{"CheckID": f"{svc}-{i}-c", "Name": f"check {i}", "Status": st,
                     "ServiceID": f"{svc}-{i}", "Output": f"out {i}"}])
        names.append(node)
    return svc, names


def test_health_node(agent):
    svc = unique("hn")
    node = ext_node(agent, services=[{"ID": svc, "Service": svc, "Tags": ["t1"]}],
                    checks=[{"CheckID": "nodecheck", "Name": "node check", "Status": "passing",
                             "Notes": "nn", "Output": "fine"},
                            {"CheckID": svc + "-c", "Name": "svc check", "Status": "critical",
                             "ServiceID": svc}])
    cs = hget(agent, f"/v1/health/node/{node}")
    assert sorted(c["CheckID"] for c in cs) == sorted(["nodecheck", svc + "-c"])
    for c in cs:
        assert list(c) == HEALTH_CHECK_KEYS, list(c)
        assert c["Node"] == node
    n = [c for c in cs if c["CheckID"] == "nodecheck"][0]
    assert (n["Name"], n["Status"], n["Notes"], n["Output"]) == \
        ("node check", "passing", "nn", "fine")
    assert n["ServiceID"] == "" and n["ServiceName"] == "" and n["ServiceTags"] == []
    s = [c for c in cs if c["CheckID"] == svc + "-c"][0]
    assert s["ServiceID"] == svc and s["ServiceName"] == svc and s["ServiceTags"] == ["t1"]
    r = agent.get("/v1/health/node/" + unique("nobody"))
    assert r.status_code == 200 and r.text.strip() == "[]"
    consul_index(r)


def test_health_checks_for_service(agent):
    svc, _ = svc_with_checks(agent, ["passing", "warning"])
    cs = hget(agent, f"/v1/health/checks/{svc}")
    assert sorted((c["CheckID"], c["Status"]) for c in cs) == \
        [(f"{svc}-0-c", "passing"), (f"{svc}-1-c", "warning")]
    assert all(list(c) == HEALTH_CHECK_KEYS for c in cs)
    r = agent.get("/v1/health/checks/" + unique("none"))
    assert r.status_code == 200 and r.text.strip() == "[]"


def test_health_service_shape(agent):
    svc, nodes_ = svc_with_checks(agent, ["passing"], tags=[["a"]])
    creg(agent, {"Node": nodes_[0], "Address": "10.1.0.1",
                 "Check": {"CheckID": "nodewide", "Name": "node wide", "Status": "passing"}})
    es = health_service(agent, svc)
    assert len(es) == 1
    e = es[0]
    assert list(e) == ["Node", "Service", "Checks"]
    assert list(e["Node"]) == NODE_KEYS
    assert e["Node"]["Node"] == nodes_[0] and e["Node"]["Address"] == "10.1.0.1"
    assert list(e["Service"]) == [k for k in NODE_SERVICE_KEYS
                                  if k not in ("TaggedAddresses", "Port")], list(e["Service"])
    assert e["Service"]["ID"] == f"{svc}-0" and e["Service"]["Service"] == svc
    assert e["Service"]["Tags"] == ["a"]
    assert sorted(c["CheckID"] for c in e["Checks"]) == sorted([f"{svc}-0-c", "nodewide"])
    for c in e["Checks"]:
        assert list(c) == HEALTH_CHECK_KEYS


def test_health_service_no_checks_is_empty_list(agent):
    svc = unique("nochecks")
    ext_node(agent, services=[{"ID": svc, "Service": svc}])
    r = agent.get(f"/v1/health/service/{svc}")
    es = json_ok(r)
    assert len(es) == 1 and es[0]["Checks"] == []
    assert '"Checks":[]' in r.text.replace(" ", "").replace("\n", "")
    assert health_service(agent, svc, passing="") == es      # no checks counts as passing
    r = agent.get("/v1/health/service/" + unique("unknown"))
    assert r.status_code == 200 and r.text.strip() == "[]"


@pytest.mark.parametrize("value", ["", "1", "true", "True"])
def test_health_service_passing_forms(agent, value):
    svc, nodes_ = svc_with_checks(agent, ["passing", "warning", "critical"])
    assert len(health_service(agent, svc)) == 3
    got = health_service(agent, svc, passing=value)
    assert [e["Node"]["Node"] for e in got] == [nodes_[0]]


def test_health_service_passing_false_and_bad(agent):
    svc, _ = svc_with_checks(agent, ["passing", "critical"])
    assert len(health_service(agent, svc, passing="false")) == 2
    r = agent.get(f"/v1/health/service/{svc}", params={"passing": "maybe"})
    assert (r.status_code, r.text) == (400, "Invalid value for ?passing")


def test_health_service_tags_and_node_meta(agent):
    k = unique("az").replace("-", "")
    svc, nodes_ = svc_with_checks(agent, ["passing", "passing", "passing"],
                                  tags=[["primary", "v1"], ["secondary", "v1"], ["v2"]],
                                  meta=[{k: "a"}, {k: "b"}, {k: "a"}])
    assert sorted(e["Node"]["Node"] for e in health_service(agent, svc, tag="v1")) == \
        sorted(nodes_[:2])
    r = agent.get(f"/v1/health/service/{svc}", params=[("tag", "v1"), ("tag", "primary")])
    assert [e["Node"]["Node"] for e in json_ok(r)] == [nodes_[0]]
    got = health_service(agent, svc, **{"node-meta": f"{k}:a"})
    assert sorted(e["Node"]["Node"] for e in got) == sorted([nodes_[0], nodes_[2]])
    r = agent.get(f"/v1/health/service/{svc}",
                  params=[("node-meta", f"{k}:a"), ("tag", "v2"), ("passing", "")])
    assert [e["Node"]["Node"] for e in json_ok(r)] == [nodes_[2]]


def test_health_state(agent):
    svc, _ = svc_with_checks(agent, ["passing", "warning", "critical"])
    ids = {f"{svc}-{i}-c": st for i, st in enumerate(["passing", "warning", "critical"])}

    def mine(state):
        return {c["CheckID"]: c["Status"] for c in hget(agent, f"/v1/health/state/{state}")
                if c["CheckID"] in ids}

    assert mine("any") == ids
    for st in ("passing", "warning", "critical"):
        got = mine(st)
        assert got == {k: v for k, v in ids.items() if v == st}, (st, got)
        assert all(c["Status"] == st for c in hget(agent, f"/v1/health/state/{st}"))
    assert "serfHealth" in {c["CheckID"] for c in hget(agent, "/v1/health/state/any")}
    for c in hget(agent, "/v1/health/state/any"):
        assert list(c) == HEALTH_CHECK_KEYS
    # Consul does not validate the state (Health.ChecksInState looks it up in
    # the status index): an unknown state is simply an empty list
    r = agent.get("/v1/health/state/bogus")
    assert (r.status_code, r.text.strip()) == (200, "[]")
    r = agent.get("/v1/health/state/")
    assert (r.status_code, r.text) == (400, "Missing check state")


def test_health_state_empty_list(agents):
    a = agents()
    r = a.get("/v1/health/state/warning")
    assert r.status_code == 200 and r.text.strip() == "[]"
    consul_index(r)


# --------------------------------------------------------------------------
# blocking
# --------------------------------------------------------------------------

def _cases(agent):
    svc, nodes_ = svc_with_checks(agent, ["passing"])
    node = nodes_[0]

    def set_status(st, cid):
        return lambda: creg(agent, {"Node": node, "Address": "10.1.0.1",
                                    "Check": {"CheckID": cid, "Name": "c", "Status": st,
                                              "ServiceID": f"{svc}-0" if cid.endswith("-c")
                                              else ""}})
    return [
        (f"/v1/health/node/{node}", set_status("critical", f"{svc}-0-c")),
        (f"/v1/health/checks/{svc}", set_status("warning", f"{svc}-0-c")),
        (f"/v1/health/service/{svc}", set_status("critical", f"{svc}-0-c")),
        ("/v1/health/state/critical", set_status("critical", unique("newnodecheck"))),
        ("/v1/health/state/any", set_status("passing", unique("another"))),
    ]


@pytest.mark.parametrize("i", range(5))
def test_blocking_wakes_on_change(agent, i):
    path, mutate = _cases(agent)[i]
    i0 = consul_index(agent.get(path))
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
    svc, nodes_ = svc_with_checks(a, ["passing"])
    paths = [f"/v1/health/node/{nodes_[0]}", f"/v1/health/checks/{svc}",
             f"/v1/health/service/{svc}", "/v1/health/state/critical"]
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
        assert consul_index(r) == p.i0, f"{path}: index moved without a change"


def test_churn_in_a_does_not_wake_watcher_of_b(agents):
    """DESIGN.md: a health/catalog service query's index moves only when that
    service's instances or checks change."""
    a = agents()
    register_service(a, {"ID": "b-1", "Name": "svc-b",
                         "Check": {"CheckID": "b-1-ttl", "TTL": "60s", "Status": "passing"}})
    register_service(a, {"ID": "a-0", "Name": "svc-a",
                         "Check": {"CheckID": "a-0-ttl", "TTL": "60s", "Status": "passing"}})
    wait_health(a, "svc-b", lambda e: len(e) == 1, passing="")
    wait_health(a, "svc-a", lambda e: len(e) == 1, passing="")
    rh = a.get("/v1/health/service/svc-b")
    rc = a.get("/v1/catalog/service/svc-b")
    ih, ic = consul_index(rh), consul_index(rc)
    ia0 = consul_index(a.get("/v1/health/service/svc-a"))
    wh = Park(a, "/v1/health/service/svc-b", {"index": ih, "wait": "20s"})
    wc = Park(a, "/v1/catalog/service/svc-b", {"index": ic, "wait": "20s"})
    wh.start()
    wc.start()
    time.sleep(0.2)
    assert wh.is_alive() and wc.is_alive()

    # ~1.5 s of churn in A: new instances, failing/passing checks, deregistrations
    t_end = time.monotonic() + 1.5
    n = 0
    while time.monotonic() < t_end:
        n += 1
        register_service(a, {"ID": f"a-{n}", "Name": "svc-a", "Tags": [f"t{n}"],
                             "Check": {"CheckID": f"a-{n}-ttl", "TTL": "60s"}})
        a.put("/v1/agent/check/fail/a-0-ttl", params={"note": f"f{n}"})
        a.put("/v1/agent/check/pass/a-0-ttl", params={"note": f"p{n}"})
        if n > 2:
            a.put(f"/v1/agent/service/deregister/a-{n - 2}")
        time.sleep(0.05)
    # A's churn reached the catalog...
    wait_until(lambda: consul_index(a.get("/v1/health/service/svc-a")) > ia0, 3,
               what="svc-a index to move")
    time.sleep(0.3)
    # ...and B's watchers did not notice
    assert wh.is_alive(), \
        f"health/service/svc-b woke on churn in svc-a: {wh.resp and wh.resp.headers}"
    assert wc.is_alive(), \
        f"catalog/service/svc-b woke on churn in svc-a: {wc.resp and wc.resp.headers}"

    # a change to B wakes its health watcher at once
    a.put("/v1/agent/check/fail/b-1-ttl", params={"note": "down"})
    t = time.monotonic()
    r = wh.done(5)
    assert wh.t1 - t < 1.5, f"woke {wh.t1 - t:.2f}s after B changed"
    assert consul_index(r) > ih
    assert [c["Status"] for c in r.json()[0]["Checks"] if c["CheckID"] == "b-1-ttl"] == ["critical"]
    # a new B instance wakes the catalog watcher (it may already have woken
    # on B's check change, which is B's business; then watch again from there)
    time.sleep(0.2)
    if not wc.is_alive():
        ic = consul_index(wc.done(1))
        wc = Park(a, "/v1/catalog/service/svc-b", {"index": ic, "wait": "20s"})
        wc.start()
        time.sleep(0.2)
        assert wc.is_alive()
    register_service(a, {"ID": "b-2", "Name": "svc-b"})
    t = time.monotonic()
    r = wc.done(5)
    assert wc.t1 - t < 1.5
    assert sorted(e["ServiceID"] for e in r.json()) == ["b-1", "b-2"]
