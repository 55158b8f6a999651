"""Linearizability under leader failures (issue 6).

Several clients do writes, CAS writes and default-consistency reads on a few
keys through every server (followers forward to the leader) while the leader
is killed with -9 and restarted, repeatedly. The recorded history of each key
must be linearizable as a register (linearizability.py: Wing & Gong search),
so no acknowledged write is lost and no read sees a value that was never
written or already overwritten; at the end every server holds the same KV.
"""
import base64
import random
import threading
import time

import pytest
import requests

from conftest import wait_until
from linearizability import check
from test_cluster import form, leader_of

KEYS = ["lin/a", "lin/b"]
RUN_S = 14
CLIENTS = 4


@pytest.fixture
def servers(tmp_path):
    made = []
    try:
        yield form(tmp_path, "l", made=made)
    finally:
        for a in made:
            a.close()


def client(idx, servers, history, lock, stop):
    rng = random.Random(idx)
    sess = requests.Session()
    n = 0
    while not stop.is_set():
        srv = servers[rng.randrange(len(servers))]
        key = rng.choice(KEYS)
        base = f"http://{srv.ip}:8500/v1/kv/{key}"
        kind = rng.choice(["read", "read", "write", "cas"])
        n += 1
        op = {"key": key, "kind": kind, "call": time.monotonic(), "end": None, "ret": None}
        try:
            if kind == "read":
                r = sess.get(base, timeout=3)
                if r.status_code == 404:
                    op["absent"], op["end"] = True, time.monotonic()
                elif r.status_code == 200:
                    op["ret"] = base64.b64decode(r.json()[0]["Value"]).decode()
                    op["end"] = time.monotonic()
                else:
                    op = None  # an error read constrains nothing
            elif kind == "write":
                v = f"w{idx}-{n}"
                op["arg"] = v
                r = sess.put(base, data=v, timeout=3)
                if r.status_code == 200 and r.json() is True:
                    op["ret"], op["end"] = True, time.monotonic()
            else:
                r = sess.get(base, params={"consistent": ""}, timeout=3)
                if r.status_code == 404:
                    expected, index = None, 0
                elif r.status_code == 200:
                    e = r.json()[0]
                    expected = base64.b64decode(e["Value"]).decode()
                    index = e["ModifyIndex"]
                else:
                    continue
                v = f"c{idx}-{n}"
                op["arg"] = (expected, v)
                op["call"] = time.monotonic()
                r = sess.put(base, data=v, params={"cas": index}, timeout=3)
                if r.status_code == 200:
                    op["ret"], op["end"] = r.json(), time.monotonic()
        except requests.RequestException as e:
            if (kind == "cas" and "arg" not in op) or "Connection refused" in str(e):
                op = None  # never sent: nothing happened
            # else the outcome is unknown: ret stays None
        if op is not None:
            with lock:
                history.append(op)


def check_key(ops):
    """The checker's ret None means "unknown", so a read that found the key
    absent carries a sentinel value instead, and so does a CAS expecting
    absence (index 0)."""
    model = []
    for o in ops:
        o = dict(o)
        if o["kind"] == "read":
            if o.get("absent"):
                o["ret"] = "<absent>"
            elif o["ret"] is None:
                continue
        if o["kind"] == "cas":
            exp, new = o["arg"]
            o["arg"] = ("<absent>" if exp is None else exp, new)
        model.append(o)
    return check(model, initial="<absent>")


def test_linearizable_kv_under_leader_kills(servers):
    history, lock, stop = [], threading.Lock(), threading.Event()
    threads = [threading.Thread(target=client, args=(i, servers, history, lock, stop))
               for i in range(CLIENTS)]
    for t in threads:
        t.start()
    kills = 0
    t_end = time.monotonic() + RUN_S
    try:
        while time.monotonic() < t_end - 3:
            time.sleep(2.5)
            lead = next((a for a in servers if leader_of(a) == f"{a.ip}:8300"), None)
            if lead is None:
                continue
            lead.kill9()
            kills += 1
            time.sleep(1.0)
            lead.start(wait=False)
        time.sleep(max(0, t_end - time.monotonic()))
    finally:
        stop.set()
        for t in threads:
            t.join(10)
    assert kills >= 2, kills
    acked = [o for o in history if o["kind"] != "read" and o["ret"] is True]
    assert len(acked) > 20, f"only {len(acked)} acknowledged writes"
    for key in KEYS:
        ok, why = check_key([o for o in history if o["key"] == key])
        assert ok, f"{key}: {why}"

    # every server ends with the same KV, and it is the leader's
    wait_until(lambda: len({leader_of(a) for a in servers}) == 1 and leader_of(servers[0]),
               timeout=20, what="a leader after the run")

    def dump(a):
        r = a.get("/v1/kv/lin/", params={"recurse": "", "stale": ""})
        return [(e["Key"], e["Value"], e["ModifyIndex"]) for e in r.json()] \
            if r.status_code == 200 else None
    wait_until(lambda: dump(servers[0]) is not None and
               all(dump(a) == dump(servers[0]) for a in servers),
               timeout=20, what="identical KV on every server")


def test_checker_rejects_what_it_must():
    """The checker itself: a stale read, a lost acknowledged write and a CAS
    that succeeded against the wrong value are each refused; their valid
    twins are accepted."""
    w = lambda v, c, e: {"kind": "write", "arg": v, "ret": True, "call": c, "end": e}
    r = lambda v, c, e: {"kind": "read", "ret": v, "call": c, "end": e}
    cas = lambda x, y, ok, c, e: {"kind": "cas", "arg": (x, y), "ret": ok, "call": c, "end": e}
    A = "<absent>"
    assert check([w("a", 0, 1), w("b", 2, 3), r("b", 4, 5)], initial=A)[0]
    assert not check([w("a", 0, 1), w("b", 2, 3), r("a", 4, 5)], initial=A)[0]  # stale
    assert check([w("a", 0, 3), r("a", 1, 2)], initial=A)[0]  # concurrent: fine
    assert not check([w("a", 0, 1), r(A, 2, 3)], initial=A)[0]  # lost write
    assert check([w("a", 0, 1), cas("a", "b", True, 2, 3), r("b", 4, 5)], initial=A)[0]
    assert not check([w("a", 0, 1), cas("x", "b", True, 2, 3)], initial=A)[0]
    # an unknown write that someone read did happen; one nobody read may not have
    unk = {"kind": "write", "arg": "u", "ret": None, "call": 0, "end": None}
    assert check([unk, r("u", 1, 2)], initial=A)[0]
    assert check([unk, r(A, 1, 2)], initial=A)[0]
    assert not check([unk, r("u", 1, 2), r(A, 3, 4)], initial=A)[0]
