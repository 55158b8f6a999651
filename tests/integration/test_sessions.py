"""Sessions, locks and leader election (issue 7; seed 004's session-based election).

Consul references: /v1/session API (create/destroy/renew/info/node/list),
KV ?acquire/?release, /v1/txn lock/unlock/check-session, session TTL
(invalidated within 2x TTL), lock-delay, check-linked invalidation.
Agents run with "session_ttl_min": "1s" so TTL tests stay fast.
"""

import base64
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import consul
import pytest
import requests

from conftest import Agent, unique, wait_until

HERE = Path(__file__).resolve().parent
SESSION_FIELDS = ["ID", "Name", "Node", "LockDelay", "Behavior", "TTL", "NodeChecks",
                  "ServiceChecks", "CreateIndex", "ModifyIndex"]


def start_agent(tmp):
    cfg = Path(tmp) / "sessions.json"
    cfg.write_text(json.dumps({"session_ttl_min": "1s"}))
    a = Agent(tmp, args=["-config-file", str(cfg)])
    a.start()
    wait_serf(a)
    return a


def wait_serf(a):
    def ok():
        r = a.get(f"/v1/health/node/{a.name}")
        return r.status_code == 200 and any(
            c["CheckID"] == "serfHealth" and c["Status"] == "passing" for c in r.json())
    wait_until(ok, timeout=20, what="serfHealth registered")


@pytest.fixture(scope="module")
def sa(tmp_path_factory):
    a = start_agent(tmp_path_factory.mktemp("sessions"))
    yield a
    a.close()


@pytest.fixture
def c(sa):
    return consul.Consul(host=sa.ip, port=8500)


def create(a, **body):
    r = a.put("/v1/session/create", data=json.dumps(body))
    assert r.status_code == 200, (r.status_code, r.text)
    return r.json()["ID"]


def acquire(a, key, sid, value=b"v"):
    r = a.put(f"/v1/kv/{key}", data=value, params={"acquire": sid})
    assert r.status_code == 200, (r.status_code, r.text)
    return r.json()


def info(a, sid):
    r = a.get(f"/v1/session/info/{sid}")
    assert r.status_code == 200
    return r.json()


# ---- API shape --------------------------------------------------------------

def test_python_consul_session_lifecycle(sa, c, key):
    sid = c.session.create(name="api", ttl=10, behavior="delete", lock_delay=5)
    _, s = c.session.info(sid)
    assert s["ID"] == sid and s["Name"] == "api" and s["Node"] == sa.name
    assert s["Behavior"] == "delete" and s["TTL"] == "10s"
    assert s["LockDelay"] == 5 * 10**9
    assert s["NodeChecks"] == ["serfHealth"]
    assert sid in [x["ID"] for x in c.session.list()[1]]
    assert sid in [x["ID"] for x in c.session.node(sa.name)[1]]
    renewed = c.session.renew(sid)
    assert renewed["ID"] == sid
    assert c.kv.put(key, "held", acquire=sid) is True
    _, e = c.kv.get(key)
    assert e["Session"] == sid and e["LockIndex"] == 1
    assert c.session.destroy(sid) is True
    assert c.session.info(sid)[1] is None
    assert c.kv.get(key)[1] is None  # behavior delete


def test_session_json_field_order(sa):
    sid = create(sa, Name="order", LockDelay=7, Behavior="release")
    r = sa.get(f"/v1/session/info/{sid}")
    assert r.headers["Content-Type"].startswith("application/json")
    assert int(r.headers["X-Consul-Index"]) >= 1
    body = r.json(object_pairs_hook=lambda kv: kv)
    assert [k for k, _ in body[0]] == SESSION_FIELDS
    s = dict(body[0])
    assert s["LockDelay"] == 7 * 10**9  # numbers below 1000 are seconds
    assert s["ServiceChecks"] is None and s["TTL"] == ""
    assert sa.get("/v1/session/info/nope").json() == []
    assert sa.get("/v1/session/node/no-such-node").json() == []
    sa.put(f"/v1/session/destroy/{sid}")


def test_checks_defaults_and_legacy_field(sa):
    # an empty Checks list drops the default serfHealth (fixupEmptySessionChecks)
    sid = create(sa, Checks=[])
    s = info(sa, sid)[0]
    assert s["NodeChecks"] is None and "Checks" not in s
    # non-default legacy Checks are kept beside NodeChecks, as Consul does
    sid2 = create(sa, checks=["serfHealth", "serfHealth"], lockdelay="3s")
    s2 = info(sa, sid2)[0]
    assert s2["Checks"] == ["serfHealth", "serfHealth"]
    assert s2["NodeChecks"] == ["serfHealth"] and s2["LockDelay"] == 3 * 10**9
    list(map(lambda x: sa.put(f"/v1/session/destroy/{x}"), (sid, sid2)))


def test_blocking_list_wakes_on_create(sa):
    r = sa.get("/v1/session/list")
    idx = int(r.headers["X-Consul-Index"])
    t0 = time.monotonic()
    import threading
    sid = {}
    th = threading.Thread(target=lambda: (time.sleep(0.3), sid.update(id=create(sa))))
    th.start()
    r = sa.get("/v1/session/list", params={"index": idx, "wait": "5s"})
    th.join()
    assert time.monotonic() - t0 < 4
    assert int(r.headers["X-Consul-Index"]) > idx
    assert sid["id"] in [x["ID"] for x in r.json()]
    sa.put(f"/v1/session/destroy/{sid['id']}")


# ---- locks ------------------------------------------------------------------

def test_acquire_release_semantics(sa, key):
    a = create(sa, LockDelay="0s")
    b = create(sa, LockDelay="0s")
    assert acquire(sa, key, a, b"one") is True
    assert acquire(sa, key, b, b"two") is False        # held by a
    assert acquire(sa, key, a, b"three") is True       # holder updates
    e = sa.kv_get(key)
    assert e["Session"] == a and e["LockIndex"] == 1
    assert base64.b64decode(e["Value"]) == b"three"
    r = sa.put(f"/v1/kv/{key}", data=b"x", params={"release": b})
    assert r.json() is False                           # not the holder
    r = sa.put(f"/v1/kv/{key}", data=b"four", params={"release": a})
    assert r.json() is True
    e = sa.kv_get(key)
    assert "Session" not in e and e["LockIndex"] == 1
    assert acquire(sa, key, b) is True
    assert sa.kv_get(key)["LockIndex"] == 2
    for s in (a, b):
        sa.put(f"/v1/session/destroy/{s}")


def test_destroy_release_vs_delete(sa, key):
    rel = create(sa, Behavior="release", LockDelay="0s")
    dele = create(sa, Behavior="delete", LockDelay="0s")
    assert acquire(sa, f"{key}/r", rel, b"kept") is True
    assert acquire(sa, f"{key}/d", dele, b"gone") is True
    assert sa.put(f"/v1/session/destroy/{rel}").json() is True
    assert sa.put(f"/v1/session/destroy/{dele}").json() is True
    e = sa.kv_get(f"{key}/r")
    assert "Session" not in e and base64.b64decode(e["Value"]) == b"kept"
    assert sa.get(f"/v1/kv/{key}/d").status_code == 404
    assert info(sa, rel) == [] and info(sa, dele) == []


def test_lock_delay_blocks_reacquire(sa, key):
    a = create(sa, LockDelay="1500ms")
    b = create(sa, LockDelay="0s")
    assert acquire(sa, key, a) is True
    sa.put(f"/v1/session/destroy/{a}")
    t0 = time.monotonic()
    assert acquire(sa, key, b) is False               # lock-delay running
    wait_until(lambda: acquire(sa, key, b), timeout=5, interval=0.1, what="re-acquire")
    waited = time.monotonic() - t0
    assert 1.2 <= waited <= 3.0, waited
    sa.put(f"/v1/session/destroy/{b}")


# ---- TTL ----------------------------------------------------------------------

def test_ttl_invalidated_within_2x(sa, key):
    sid = create(sa, TTL="1s", LockDelay="0s")
    assert acquire(sa, key, sid) is True
    t0 = time.monotonic()
    wait_until(lambda: info(sa, sid) == [], timeout=5, interval=0.05, what="TTL expiry")
    gone = time.monotonic() - t0
    assert 1.0 <= gone <= 2.0 + 0.5, gone               # Consul allows up to 2x TTL
    assert "Session" not in sa.kv_get(key)


def test_renew_keeps_session(sa):
    sid = create(sa, TTL="1s")
    for _ in range(8):
        time.sleep(0.4)
        r = sa.put(f"/v1/session/renew/{sid}")
        assert r.status_code == 200 and r.json()[0]["ID"] == sid
    assert info(sa, sid) != []
    sa.put(f"/v1/session/destroy/{sid}")
    r = sa.put(f"/v1/session/renew/{sid}")
    assert r.status_code == 404 and r.text == f"Session id '{sid}' not found"


# ---- check-linked invalidation ------------------------------------------------

def test_critical_check_invalidates_session(sa, key):
    cid = unique("chk")
    r = sa.put("/v1/agent/check/register",
               data=json.dumps({"ID": cid, "Name": cid, "TTL": "60s", "Status": "passing"}))
    assert r.status_code == 200, r.text

    def synced():
        return any(x["CheckID"] == cid and x["Status"] == "passing"
                   for x in sa.get(f"/v1/health/node/{sa.name}").json())
    wait_until(synced, timeout=10, what="check in catalog")
    sid = create(sa, NodeChecks=["serfHealth", cid], LockDelay="0s")
    assert acquire(sa, key, sid) is True
    assert sa.put(f"/v1/agent/check/fail/{cid}").status_code == 200
    wait_until(lambda: info(sa, sid) == [], timeout=10, what="session invalidated")
    assert "Session" not in sa.kv_get(key)
    # a session cannot be tied to a check that is already critical
    r = sa.put("/v1/session/create", data=json.dumps({"NodeChecks": [cid]}))
    assert r.status_code == 500 and r.text == f"Check '{cid}' is in critical state"
    r = sa.put("/v1/session/create", data=json.dumps({"ServiceChecks": [{"ID": "nope"}]}))
    assert r.status_code == 500 and r.text == "Missing check 'nope' registration"
    sa.put(f"/v1/agent/check/deregister/{cid}")


def test_deregistered_node_invalidates_sessions(sa, key):
    node = unique("node")
    r = sa.put("/v1/catalog/register", data=json.dumps({
        "Node": node, "Address": "10.1.2.3",
        "Check": {"CheckID": "serfHealth", "Name": "serf", "Status": "passing"}}))
    assert r.status_code == 200, r.text
    sid = create(sa, Node=node, LockDelay="0s")
    assert [s["ID"] for s in sa.get(f"/v1/session/node/{node}").json()] == [sid]
    assert acquire(sa, key, sid) is True
    assert sa.put("/v1/catalog/deregister", data=json.dumps({"Node": node})).json() is True
    assert info(sa, sid) == [] and "Session" not in sa.kv_get(key)
    r = sa.put("/v1/session/create", data=json.dumps({"Node": node}))
    assert r.status_code == 500 and r.text == "Missing node registration"


# ---- txn verbs ------------------------------------------------------------------

def txn(a, ops):
    return a.put("/v1/txn", data=json.dumps([{"KV": op} for op in ops]))


def test_txn_lock_unlock_check_session(sa, key):
    s1 = create(sa, LockDelay="0s")
    s2 = create(sa, LockDelay="0s")
    v = base64.b64encode(b"val").decode()
    r = txn(sa, [{"Verb": "lock", "Key": key, "Value": v, "Session": s1},
                 {"Verb": "check-session", "Key": key, "Session": s1}])
    assert r.status_code == 200, r.text
    res = r.json()["Results"]
    assert res[0]["KV"]["Session"] == s1 and res[0]["KV"]["LockIndex"] == 1
    assert res[0]["KV"]["Value"] is None
    r = txn(sa, [{"Verb": "lock", "Key": key, "Session": s2}])
    assert r.status_code == 409
    assert r.json()["Errors"] == [{"OpIndex": 0, "What":
                                   f'failed to lock key "{key}", lock is already held'}]
    r = txn(sa, [{"Verb": "check-session", "Key": key, "Session": s2}])
    assert r.status_code == 409
    assert f'current session "{s1}" != "{s2}"' in r.json()["Errors"][0]["What"]
    r = txn(sa, [{"Verb": "unlock", "Key": key, "Session": s2}])
    assert r.status_code == 409 and "lock isn't held" in r.json()["Errors"][0]["What"]
    r = txn(sa, [{"Verb": "unlock", "Key": key, "Value": v, "Session": s1}])
    assert r.status_code == 200 and "Session" not in r.json()["Results"][0]["KV"]
    r = txn(sa, [{"Verb": "lock", "Key": key, "Session": "no-such"}])
    assert r.status_code == 409
    assert r.json()["Errors"][0]["What"] == 'invalid session "no-such"'
    for s in (s1, s2):
        sa.put(f"/v1/session/destroy/{s}")


def test_txn_lock_refused_during_lock_delay(sa, key):
    a = create(sa, LockDelay="1500ms")
    b = create(sa, LockDelay="0s")
    assert txn(sa, [{"Verb": "lock", "Key": key, "Session": a}]).status_code == 200
    sa.put(f"/v1/session/destroy/{a}")
    # Consul's txn preApply: the whole transaction fails, nothing is applied
    r = txn(sa, [{"Verb": "set", "Key": key + "/other", "Value": ""},
                 {"Verb": "lock", "Key": key, "Session": b}])
    assert r.status_code == 409, r.text
    assert r.json()["Errors"] == [{"OpIndex": 1, "What":
                                   f'failed to lock key "{key}" due to lock delay'}]
    assert sa.get(f"/v1/kv/{key}/other").status_code == 404
    wait_until(lambda: txn(sa, [{"Verb": "lock", "Key": key, "Session": b}]).status_code == 200,
               timeout=5, interval=0.1, what="the lock after the delay")
    assert sa.kv_get(key)["Session"] == b
    sa.put(f"/v1/session/destroy/{b}")


# ---- bad input ----------------------------------------------------------------------

@pytest.mark.parametrize("body,status,text", [
    ({"TTL": "500ms"}, 500, "Invalid Session TTL '500000000', must be between [1s=24h0m0s]"),
    ({"TTL": "90000s"}, 500,
     "Invalid Session TTL '90000000000000', must be between [1s=24h0m0s]"),
    ({"TTL": "soon"}, 500, "Session TTL 'soon' invalid: time: invalid duration \"soon\""),
    ({"Behavior": "explode"}, 500, "Invalid Behavior setting 'explode'"),
    ({"Name": 5}, 400, None),
])
def test_bad_create(sa, body, status, text):
    r = sa.put("/v1/session/create", data=json.dumps(body))
    assert r.status_code == status, r.text
    if text:
        assert r.text == text
    else:
        assert r.text.startswith("Request decode failed: ")


def test_bad_session_requests(sa, key):
    r = sa.put(f"/v1/kv/{key}", data=b"x", params={"acquire": "not-a-session"})
    assert r.status_code == 500 and r.text == 'invalid session "not-a-session"'
    r = sa.put(f"/v1/kv/{key}", data=b"x", params={"acquire": ""})
    assert r.status_code == 500 and r.text == "missing session"
    assert sa.put("/v1/session/destroy/").status_code == 400
    assert sa.get("/v1/session/info/").text == "Missing session"
    assert sa.get("/v1/session/node/").text == "Missing node name"
    assert sa.put("/v1/session/destroy/unknown-id").json() is True
    assert sa.get("/v1/session/list").status_code == 200
    assert sa.request("POST", "/v1/session/create").status_code == 405


# ---- durability ------------------------------------------------------------------------

def test_sessions_survive_restart(tmp_path, key):
    a = start_agent(tmp_path)
    try:
        sid = create(a, Name="durable", Behavior="delete", LockDelay="0s")
        assert acquire(a, key, sid) is True
        a.stop()
        a.start()
        assert info(a, sid)[0]["Name"] == "durable"
        assert a.kv_get(key)["Session"] == sid
        a.kill9()
        a.start()
        wait_serf(a)
        assert info(a, sid)[0]["Behavior"] == "delete"
        assert a.put(f"/v1/session/destroy/{sid}").json() is True
        assert a.get(f"/v1/kv/{key}").status_code == 404
    finally:
        a.close()


def test_ttl_rearmed_after_restart(tmp_path):
    a = start_agent(tmp_path)
    try:
        sid = create(a, TTL="1s")
        a.kill9()
        a.start()
        t0 = time.monotonic()
        wait_until(lambda: info(a, sid) == [], timeout=10, interval=0.05,
                   what="TTL expiry after restart")
        assert time.monotonic() - t0 <= 2.0 + 1.5
    finally:
        a.close()


# ---- leader election (seed 004) ----------------------------------------------------------

def roles(files):
    out = {}
    for name, f in files.items():
        try:
            out[name] = json.loads(Path(f).read_text())
        except (OSError, ValueError):
            pass
    return out


def leaders(files):
    return [n for n, s in roles(files).items() if s["role"] == "leader"]


def test_leader_election_three_contenders(sa, tmp_path, key):
    lock_key = f"{key}/leader"
    files = {f"c{i}": str(tmp_path / f"c{i}.json") for i in range(3)}
    procs = {}
    env = dict(os.environ)
    env["PYTHONPATH"] = str(HERE)
    try:
        for name, f in files.items():
            procs[name] = subprocess.Popen(
                ["/usr/bin/python3", str(HERE / "session_contender.py"), sa.ip, name,
                 lock_key, f, "1s", "1s"], env=env)
        wait_until(lambda: len(roles(files)) == 3 and len(leaders(files)) == 1, timeout=10,
                   what="one leader among three contenders")

        def watch(seconds):
            # exactly one leader at any time; the key is held by its session
            deadline = time.monotonic() + seconds
            seen = set()
            while time.monotonic() < deadline:
                ls = leaders(files)
                assert len(ls) <= 1, f"two leaders: {ls}"
                seen.update(ls)
                time.sleep(0.05)
            return seen

        first = watch(2.5)
        assert len(first) == 1
        old = first.pop()
        old_sid = roles(files)[old]["session"]
        assert sa.kv_get(lock_key)["Session"] == old_sid

        procs[old].send_signal(signal.SIGKILL)   # kill -9 the leader contender
        procs[old].wait()
        t_kill = time.monotonic()
        wait_until(lambda: info(sa, old_sid) == [], timeout=5, interval=0.02,
                   what="dead leader's session invalidated")
        t_inv = time.monotonic()
        # within 2x TTL, plus slack for a loaded machine (the suite runs on 2 cores)
        assert t_inv - t_kill <= 2 * 1.0 + 1.5, t_inv - t_kill

        def new_leader():
            ls = [n for n in leaders(files) if n != old]
            return ls[0] if ls else None
        wait_until(new_leader, timeout=6, interval=0.02, what="a new leader")
        t_new = time.monotonic()
        # lock-delay (1s) respected; t_inv may be observed up to a poll late
        assert t_new - t_inv >= 0.5, t_new - t_inv
        new = new_leader()
        new_sid = roles(files)[new]["session"]
        assert sa.kv_get(lock_key)["Session"] == new_sid
        assert sa.kv_get(lock_key)["LockIndex"] >= 2
        live = {n: f for n, f in files.items() if n != old}
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            assert len(leaders(live)) == 1
            time.sleep(0.05)
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.kill()
                p.wait()
