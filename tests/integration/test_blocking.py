"""Blocking queries on the KV endpoint.

Consul: ?index=N parks the request while the result's index <= N, until a
change or `wait` (Go duration, default 5m, max 10m, + up to wait/16 jitter).
Bad wait -> 400 "Invalid wait time"; bad index -> 400 "Invalid index".
"""

import threading
import time

import consul
import pytest
import requests


def idx(r):
    v = r.headers.get("X-Consul-Index")
    assert v is not None and v.isdigit(), f"bad X-Consul-Index {v!r} on {r.url}"
    assert int(v) > 0, "X-Consul-Index must never be 0"
    return int(v)


class Blocker(threading.Thread):
    """Runs one GET in the background and records when its reply arrived."""

    def __init__(self, agent, path, params, timeout=30):
        super().__init__(daemon=True)
        self.url = agent.url(path)
        self.params = params
        self.timeout = timeout
        self.resp = None
        self.err = None
        self.t_start = None
        self.t_done = None

    def run(self):
        s = requests.Session()
        self.t_start = time.monotonic()
        try:
            self.resp = s.get(self.url, params=self.params, timeout=self.timeout)
        except Exception as e:  # noqa
            self.err = e
        self.t_done = time.monotonic()

    def result(self, timeout=30):
        self.join(timeout)
        assert not self.is_alive(), "blocking query never returned"
        if self.err:
            raise self.err
        return self.resp


def park(agent, path, params, settle=0.15):
    """Start a blocking GET and give it time to reach the server and park."""
    b = Blocker(agent, path, params)
    b.start()
    time.sleep(settle)
    assert b.is_alive(), f"query returned at once: {b.resp and (b.resp.status_code, b.resp.headers)}"
    return b


def test_wakes_within_50ms_of_put(agent, key):
    agent.kv_put(key, "v1")
    r = agent.get("/v1/kv/" + key)
    i0 = idx(r)
    b = park(agent, "/v1/kv/" + key, {"index": i0, "wait": "10s"})
    pr = agent.put("/v1/kv/" + key, data=b"v2")
    t_put = time.monotonic()
    assert pr.content == b"true"
    r = b.result()
    assert r.status_code == 200
    assert b.t_done - t_put < 0.050, f"woke {1000 * (b.t_done - t_put):.1f} ms after the PUT reply"
    assert idx(r) > i0
    assert r.json()[0]["Value"] == "djI="       # "v2"
    assert idx(r) == r.json()[0]["ModifyIndex"]


def test_not_woken_by_other_prefix(agent, key):
    agent.kv_put(f"{key}/watched", "v")
    i0 = idx(agent.get(f"/v1/kv/{key}/watched"))
    b = park(agent, f"/v1/kv/{key}/watched", {"index": i0, "wait": "1s"})
    for n in range(5):
        agent.kv_put(f"{key}-elsewhere/{n}", "x")
        agent.kv_put(f"{key}/watchedX{n}", "x")   # shares a byte prefix only
    r = b.result()
    elapsed = b.t_done - b.t_start
    assert r.status_code == 200
    assert elapsed >= 1.0, f"returned after {elapsed:.3f}s, before the 1s wait ran out"
    assert elapsed < 1.0 + 1.0 / 16 + 0.5
    assert idx(r) == i0, "index moved although the watched key did not change"


def test_recurse_wakes_on_delete_under_prefix(agent, key):
    agent.kv_put(f"{key}/a", "1")
    agent.kv_put(f"{key}/b", "2")
    r = agent.get(f"/v1/kv/{key}/?recurse")
    i0 = idx(r)
    b = park(agent, f"/v1/kv/{key}/", {"recurse": "", "index": i0, "wait": "10s"})
    agent.delete(f"/v1/kv/{key}/a")
    t_del = time.monotonic()
    r = b.result()
    assert r.status_code == 200
    assert b.t_done - t_del < 0.050
    assert idx(r) > i0
    assert [e["Key"] for e in r.json()] == [f"{key}/b"]


def test_recurse_wakes_on_put_under_prefix(agent, key):
    agent.kv_put(f"{key}/a", "1")
    i0 = idx(agent.get(f"/v1/kv/{key}/?recurse"))
    b = park(agent, f"/v1/kv/{key}/", {"recurse": "1", "index": i0, "wait": "10s"})
    agent.kv_put(f"{key}/new", "2")
    r = b.result()
    assert idx(r) > i0
    assert [e["Key"] for e in r.json()] == [f"{key}/a", f"{key}/new"]


def test_keys_blocking_wakes(agent, key):
    agent.kv_put(f"{key}/a", "1")
    i0 = idx(agent.get(f"/v1/kv/{key}/?keys"))
    b = park(agent, f"/v1/kv/{key}/", {"keys": "", "index": i0, "wait": "10s"})
    agent.kv_put(f"{key}/b", "2")
    r = b.result()
    assert idx(r) > i0 and r.json() == [f"{key}/a", f"{key}/b"]


def test_missing_key_blocking_returns_when_created(agent, key):
    r = agent.get("/v1/kv/" + key)
    assert r.status_code == 404
    i0 = idx(r)
    b = park(agent, "/v1/kv/" + key, {"index": i0, "wait": "10s"})
    agent.kv_put(key, "born")
    t_put = time.monotonic()
    r = b.result()
    assert r.status_code == 200
    assert b.t_done - t_put < 0.050
    assert r.json()[0]["Key"] == key
    assert idx(r) > i0


def test_python_consul_blocking(agent, key):
    c = consul.Consul(host=agent.ip, port=8500)
    c.kv.put(key, "a")
    index, _ = c.kv.get(key)
    out = {}

    def waiter():
        out["r"] = c.kv.get(key, index=index, wait="10s")

    t = threading.Thread(target=waiter, daemon=True)
    t.start()
    time.sleep(0.15)
    assert t.is_alive()
    c.kv.put(key, "b")
    t.join(5)
    assert not t.is_alive()
    new_index, data = out["r"]
    assert int(new_index) > int(index) and data["Value"] == b"b"


@pytest.mark.parametrize("wait,seconds", [
    ("700ms", 0.7),
    ("1s", 1.0),
    ("1s200ms", 1.2),
    ("0m1s", 1.0),
    ("1000000us", 1.0),
    ("900000000ns", 0.9),
])
def test_wait_duration_forms(agent, key, wait, seconds):
    agent.kv_put(key, "v")
    i0 = idx(agent.get("/v1/kv/" + key))
    t0 = time.monotonic()
    r = agent.get("/v1/kv/" + key, params={"index": i0, "wait": wait})
    el = time.monotonic() - t0
    assert r.status_code == 200
    assert seconds <= el < seconds * (1 + 1 / 16) + 0.4, f"wait={wait} took {el:.3f}s"
    assert idx(r) == i0


def test_wait_in_go_client_ms_form_still_wakes(agent, key):
    # the official Go client sends wait=300000ms
    agent.kv_put(key, "v")
    i0 = idx(agent.get("/v1/kv/" + key))
    b = park(agent, "/v1/kv/" + key, {"index": i0, "wait": "300000ms"})
    agent.kv_put(key, "w")
    r = b.result(timeout=5)
    assert idx(r) > i0


def test_index_above_current_blocks_until_wait(agent, key):
    agent.kv_put(key, "v")
    i0 = idx(agent.get("/v1/kv/" + key))
    t0 = time.monotonic()
    r = agent.get("/v1/kv/" + key, params={"index": i0 + 1_000_000, "wait": "500ms"})
    el = time.monotonic() - t0
    assert r.status_code == 200
    assert el >= 0.5


def test_index_below_current_returns_at_once(agent, key):
    agent.kv_put(key, "v1")
    agent.kv_put(key, "v2")
    i = idx(agent.get("/v1/kv/" + key))
    t0 = time.monotonic()
    r = agent.get("/v1/kv/" + key, params={"index": i - 1, "wait": "5s"})
    assert time.monotonic() - t0 < 0.2
    assert idx(r) == i


@pytest.mark.parametrize("wait", ["abc", "5", "10x", "1.5.5s", "-", "s"])
def test_bad_wait_400(agent, key, wait):
    agent.kv_put(key, "v")
    r = agent.get("/v1/kv/" + key, params={"index": 1, "wait": wait})
    assert r.status_code == 400, (wait, r.status_code, r.text)
    assert r.text == "Invalid wait time"


@pytest.mark.parametrize("index", ["abc", "-1", "1.5", "0x10", "99999999999999999999999"])
def test_bad_index_400(agent, key, index):
    agent.kv_put(key, "v")
    try:
        r = agent.get("/v1/kv/" + key, params={"index": index}, timeout=3)
    except requests.Timeout:
        pytest.fail(f"?index={index} blocked instead of answering 400 Invalid index")
    assert r.status_code == 400, (index, r.status_code, r.text)
    assert r.text == "Invalid index"


def test_index_header_on_every_kv_read(agent, key):
    agent.kv_put(f"{key}/a", "1")
    reads = [
        ("/v1/kv/" + key + "/a", {}),
        ("/v1/kv/" + key + "/missing", {}),
        ("/v1/kv/" + key + "/", {"recurse": ""}),
        ("/v1/kv/" + key + "-none/", {"recurse": ""}),
        ("/v1/kv/" + key + "/", {"keys": ""}),
        ("/v1/kv/" + key + "-none/", {"keys": ""}),
        ("/v1/kv/" + key + "/a", {"raw": ""}),
        ("/v1/kv/" + key + "/a", {"stale": ""}),
        ("/v1/kv/" + key + "/a", {"consistent": ""}),
    ]
    for path, params in reads:
        r = agent.get(path, params=params)
        assert r.status_code in (200, 404), (path, params, r.status_code)
        idx(r)


def test_index_never_zero_on_fresh_agent(agents):
    a = agents()
    for path in ("/v1/kv/nothing", "/v1/kv/?recurse", "/v1/kv/?keys", "/v1/kv/x/?keys"):
        r = a.get(path)
        assert r.status_code in (200, 404), (path, r.status_code)
        assert idx(r) >= 1, path
    # ?index=0 never blocks
    t0 = time.monotonic()
    r = a.get("/v1/kv/nothing", params={"index": 0, "wait": "2s"})
    assert time.monotonic() - t0 < 0.5


def test_many_parked_queries_all_wake(agent, key):
    agent.kv_put(key, "v")
    i0 = idx(agent.get("/v1/kv/" + key))
    bs = [Blocker(agent, "/v1/kv/" + key, {"index": i0, "wait": "10s"}) for _ in range(50)]
    for b in bs:
        b.start()
    time.sleep(0.3)
    assert all(b.is_alive() for b in bs)
    agent.kv_put(key, "w")
    t_put = time.monotonic()
    for b in bs:
        r = b.result(timeout=5)
        assert r.status_code == 200 and idx(r) > i0
    assert max(b.t_done for b in bs) - t_put < 0.5


def test_disconnected_waiter_does_not_hurt(agent, key):
    import socket
    agent.kv_put(key, "v")
    i0 = idx(agent.get("/v1/kv/" + key))
    for _ in range(20):
        s = socket.create_connection((agent.ip, 8500))
        s.sendall(f"GET /v1/kv/{key}?index={i0}&wait=30s HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        s.close()
    agent.kv_put(key, "w")
    r = agent.get("/v1/kv/" + key)
    assert r.status_code == 200 and idx(r) > i0
