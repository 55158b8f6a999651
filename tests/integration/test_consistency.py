"""Consistency-mode query parameters and the read metadata headers.

Consul (agent/http.go setMeta / parseConsistency): every blocking read carries
X-Consul-Index, X-Consul-KnownLeader, X-Consul-LastContact (ms) and
X-Consul-Effective-Consistency (leader | stale | consistent).
?stale with ?consistent -> 400 "Cannot specify ?stale with ?consistent, conflicting semantics."
"""

import pytest


def meta(r):
    h = r.headers
    for name in ("X-Consul-Index", "X-Consul-KnownLeader", "X-Consul-LastContact",
                 "X-Consul-Effective-Consistency"):
        assert name in h, f"{name} missing on {r.url}: {dict(h)}"
    assert h["X-Consul-Index"].isdigit() and int(h["X-Consul-Index"]) > 0
    assert h["X-Consul-LastContact"].isdigit()
    return h


def test_default_is_leader(agent, key):
    agent.kv_put(key, "v")
    h = meta(agent.get("/v1/kv/" + key))
    assert h["X-Consul-KnownLeader"] == "true"
    assert h["X-Consul-LastContact"] == "0"          # the leader answered
    assert h["X-Consul-Effective-Consistency"] == "leader"


def read_in_mode(agent, key, form, effective):
    """Read a fresh key with the query `form`; expect a 200 answered in `effective` mode."""
    agent.kv_put(key, "v")
    r = agent.get(f"/v1/kv/{key}?{form}")
    assert r.status_code == 200
    h = meta(r)
    assert h["X-Consul-Effective-Consistency"] == effective
    assert h["X-Consul-KnownLeader"] == "true"


@pytest.mark.parametrize("form", ["stale", "stale=1", "stale=true", "stale=True"])
def test_stale(agent, key, form):
    read_in_mode(agent, key, form, "stale")


@pytest.mark.parametrize("form", ["consistent", "consistent=1", "consistent=true", "consistent=True"])
def test_consistent(agent, key, form):
    read_in_mode(agent, key, form, "consistent")


def test_leader_param_forces_default(agent, key):
    agent.kv_put(key, "v")
    h = meta(agent.get(f"/v1/kv/{key}?leader"))
    assert h["X-Consul-Effective-Consistency"] == "leader"


@pytest.mark.parametrize("path", ["", "?recurse", "?keys"])
def test_headers_on_404_and_lists(agent, key, path):
    r = agent.get(f"/v1/kv/{key}-missing/{path}" if path else f"/v1/kv/{key}-missing")
    assert r.status_code == 404
    h = meta(r)
    assert h["X-Consul-KnownLeader"] == "true"
    assert h["X-Consul-Effective-Consistency"] == "leader"


@pytest.mark.parametrize("path", ["?recurse", "?keys", "?raw"])
def test_headers_on_other_read_shapes(agent, key, path):
    agent.kv_put(key, "v")
    r = agent.get(f"/v1/kv/{key}{path}&stale")
    assert r.status_code == 200
    assert meta(r)["X-Consul-Effective-Consistency"] == "stale"


@pytest.mark.parametrize("q", ["stale&consistent", "consistent=1&stale=1", "stale=true&consistent=true"])
def test_stale_and_consistent_conflict(agent, key, q):
    agent.kv_put(key, "v")
    r = agent.get(f"/v1/kv/{key}?{q}")
    assert r.status_code == 400
    assert r.text == "Cannot specify ?stale with ?consistent, conflicting semantics."


def test_consistent_blocking_query(agent, key):
    agent.kv_put(key, "v")
    i0 = int(agent.get("/v1/kv/" + key).headers["X-Consul-Index"])
    r = agent.get(f"/v1/kv/{key}?consistent&index={i0}&wait=300ms")
    assert r.status_code == 200
    assert meta(r)["X-Consul-Effective-Consistency"] == "consistent"
    assert int(r.headers["X-Consul-Index"]) == i0


def test_consistent_reads_see_acknowledged_writes(agent, key):
    for i in range(50):
        assert agent.put(f"/v1/kv/{key}", data=str(i).encode()).content == b"true"
        r = agent.get(f"/v1/kv/{key}?consistent&raw")
        assert r.content == str(i).encode()
