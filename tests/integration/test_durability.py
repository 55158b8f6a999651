"""Acknowledged writes survive kill -9; snapshots restore everything.

DESIGN.md: "Data written and acknowledged is never lost by a crash (kill -9)".
Config keys (Consul): raft_snapshot_threshold, raft_snapshot_interval.
"""

import base64
import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests


def write_json(path, obj):
    path.write_text(json.dumps(obj))
    return path


def all_keys(a, prefix):
    r = a.get(f"/v1/kv/{prefix}?keys", timeout=60)
    assert r.status_code == 200, (r.status_code, r.text[:200])
    return r.json()


def test_acknowledged_puts_survive_kill9(agents, key):
    a = agents()
    n = 500
    acked = {}
    for i in range(n):
        k = f"{key}/{i:04d}"
        v = f"value-{i}-{'x' * (i % 50)}"
        r = a.put("/v1/kv/" + k, data=v.encode(), params={"flags": i})
        assert r.status_code == 200 and r.content == b"true"
        acked[k] = v
    # a few deletes and overwrites, also acknowledged
    for i in range(0, n, 50):
        k = f"{key}/{i:04d}"
        assert a.delete("/v1/kv/" + k).content == b"true"
        del acked[k]
    for i in range(1, n, 50):
        k = f"{key}/{i:04d}"
        acked[k] = "overwritten"
        assert a.put("/v1/kv/" + k, data=b"overwritten", params={"flags": i}).content == b"true"
    before = {e["Key"]: e for e in a.get(f"/v1/kv/{key}/?recurse").json()}
    assert len(before) == len(acked)

    a.kill9()
    a.start()

    r = a.get(f"/v1/kv/{key}/?recurse")
    assert r.status_code == 200
    after = {e["Key"]: e for e in r.json()}
    missing = sorted(set(acked) - set(after))
    extra = sorted(set(after) - set(acked))
    assert not missing, f"{len(missing)} acknowledged keys lost, e.g. {missing[:5]}"
    assert not extra, f"deleted keys came back: {extra[:5]}"
    for k, v in acked.items():
        e = after[k]
        assert base64.b64decode(e["Value"]).decode() == v, k
        assert e == before[k], f"{k}: {before[k]} became {e}"


def test_concurrent_acknowledged_puts_survive_kill9(agents, key):
    a = agents()
    n_threads, per = 8, 100
    acked = []
    lock = threading.Lock()

    def writer(t):
        s = requests.Session()
        for i in range(per):
            k = f"{key}/{t}/{i:03d}"
            r = s.put(a.url("/v1/kv/" + k), data=k.encode(), timeout=10)
            if r.status_code == 200 and r.content == b"true":
                with lock:
                    acked.append(k)

    with ThreadPoolExecutor(n_threads) as ex:
        list(ex.map(writer, range(n_threads)))
    assert len(acked) == n_threads * per
    a.kill9()
    a.start()
    got = set(all_keys(a, key + "/"))
    lost = [k for k in acked if k not in got]
    assert not lost, f"{len(lost)} acknowledged keys lost after kill -9, e.g. {lost[:5]}"


def test_kill9_during_write_load_loses_nothing_acked(agents, key):
    a = agents()
    acked = []
    stop = threading.Event()

    def writer(t):
        s = requests.Session()
        i = 0
        while not stop.is_set():
            k = f"{key}/{t}/{i:06d}"
            try:
                r = s.put(a.url("/v1/kv/" + k), data=b"v", timeout=5)
            except requests.RequestException:
                return
            if r.status_code == 200 and r.content == b"true":
                acked.append(k)
            i += 1

    threads = [threading.Thread(target=writer, args=(t,), daemon=True) for t in range(4)]
    for t in threads:
        t.start()
    from conftest import wait_until
    wait_until(lambda: len(acked) >= 400, timeout=30, what="400 acknowledged writes")
    a.kill9()
    stop.set()
    for t in threads:
        t.join(10)
    a.start()
    got = set(all_keys(a, key + "/"))
    lost = [k for k in acked if k not in got]
    assert not lost, f"{len(lost)} of {len(acked)} acknowledged keys lost, e.g. {lost[:5]}"


def _txn_load(a, prefix, total, batch=64, workers=8):
    def one(start):
        s = requests.Session()
        ops = [{"KV": {"Verb": "set", "Key": f"{prefix}/{i:06d}",
                       "Value": base64.b64encode(f"v{i}".encode()).decode()}}
               for i in range(start, min(start + batch, total))]
        r = s.put(a.url("/v1/txn"), data=json.dumps(ops), timeout=60)
        assert r.status_code == 200, (r.status_code, r.text[:300])
        return len(ops)

    with ThreadPoolExecutor(workers) as ex:
        done = sum(ex.map(one, range(0, total, batch)))
    assert done == total


def _snapshot_files(data_dir):
    return [p for p in Path(data_dir).rglob("*") if "snapshot" in p.name.lower()
            or "snapshot" in str(p.parent).lower()]


def test_100k_keys_snapshot_and_restart(agents, tmp_path, key):
    cfg = write_json(tmp_path / "snap.json", {"raft_snapshot_threshold": 1024,
                                              "raft_snapshot_interval": "1s"})
    a = agents(args=["-config-file", str(cfg)])
    total = 100_000
    _txn_load(a, key, total)
    keys = all_keys(a, key + "/")
    assert len(keys) == total

    # some snapshots must have been taken with a threshold of 1024 entries
    def snapped():
        return _snapshot_files(a.data_dir)
    from conftest import wait_until
    wait_until(snapped, timeout=15, what=f"a snapshot file under {a.data_dir}")

    spot = [0, 1, 63, 64, 4095, 50_000, 77_777, total - 1]
    before = {i: a.kv_get(f"{key}/{i:06d}") for i in spot}

    a.restart()
    keys = all_keys(a, key + "/")
    assert len(keys) == total, f"{total - len(keys)} keys missing after restart"
    assert keys == [f"{key}/{i:06d}" for i in range(total)]
    for i in spot:
        e = a.kv_get(f"{key}/{i:06d}")
        assert base64.b64decode(e["Value"]).decode() == f"v{i}"
        assert e == before[i]

    # and after a crash as well, with more writes on top of the snapshot
    a.kv_put(f"{key}/after-snapshot", "tail")
    a.kill9()
    a.start()
    assert len(all_keys(a, key + "/")) == total + 1
    assert a.kv_raw(f"{key}/after-snapshot").content == b"tail"
    # the index keeps growing after restore
    m = a.kv_get(f"{key}/after-snapshot")["ModifyIndex"]
    a.kv_put(f"{key}/after-restart", "x")
    assert a.kv_get(f"{key}/after-restart")["ModifyIndex"] > m
