"""/v1/txn with KV operations.

Consul (agent/txn_endpoint.go, agent/consul/state/txn.go):
 - PUT only; 200 {"Results": [...], "Errors": null} on success,
   409 {"Results": null, "Errors": [{"OpIndex": i, "What": "..."}]} on rollback;
 - every failing op is reported, nothing is applied;
 - Value is null in results except for get / get-tree; deletes give no result;
 - more than 128 ops -> 413 "Transaction contains too many operations (N > 128)";
 - undecodable body -> 400 "Failed to parse body: ...".
Error texts (state/txn.go, state/kvs.go):
   get:              key "K" doesn't exist
   cas:              failed to set key "K", index is stale
   delete-cas:       failed to delete key "K", index is stale
   check-not-exists: key "K" exists
   check-index:      failed index check for key "K", current modify index X != Y
                     failed to check index, key "K" doesn't exist
   unknown verb:     unknown KV verb "V"
"""

import base64
import json

import pytest

from conftest import KV_FIELDS


def b64(s):
    return base64.b64encode(s.encode() if isinstance(s, str) else s).decode()


def kv(verb, key, value=None, **kw):
    op = {"Verb": verb, "Key": key}
    if value is not None:
        op["Value"] = b64(value)
    op.update(kw)
    return {"KV": op}


def txn(agent, ops, **params):
    return agent.put("/v1/txn", data=json.dumps(ops), params=params or None,
                     headers={"Content-Type": "application/json"})


def ok(r):
    assert r.status_code == 200, f"{r.status_code} {r.text}"
    body = r.json()
    assert body.get("Errors") in (None, []), body
    return body["Results"]


def conflict(r):
    assert r.status_code == 409, f"{r.status_code} {r.text}"
    assert r.headers["Content-Type"].startswith("application/json")
    body = r.json()
    assert body.get("Results") in (None, []), body
    return body["Errors"]


def test_set_get_roundtrip(agent, key):
    res = ok(txn(agent, [kv("set", f"{key}/a", "1"), kv("set", f"{key}/b", "2", Flags=9)]))
    assert len(res) == 2
    for r, k, f in zip(res, [f"{key}/a", f"{key}/b"], [0, 9]):
        e = r["KV"]
        assert list(e.keys()) == KV_FIELDS
        assert e["Key"] == k and e["Flags"] == f
        assert e["Value"] is None                       # not echoed for set
        assert e["CreateIndex"] == e["ModifyIndex"] > 0
    # one transaction, one raft index
    assert res[0]["KV"]["ModifyIndex"] == res[1]["KV"]["ModifyIndex"]
    assert agent.kv_raw(f"{key}/a").content == b"1"
    e = agent.kv_get(f"{key}/b")
    assert e["Flags"] == 9 and e["ModifyIndex"] == res[1]["KV"]["ModifyIndex"]

    res = ok(txn(agent, [kv("get", f"{key}/a"), kv("get", f"{key}/b")]))
    assert [r["KV"]["Value"] for r in res] == [b64("1"), b64("2")]
    assert res[1]["KV"]["Flags"] == 9


def test_read_only_txn_has_read_headers(agent, key):
    agent.kv_put(key, "v")
    r = txn(agent, [kv("get", key)])
    assert r.status_code == 200
    assert r.headers.get("X-Consul-KnownLeader") == "true"
    assert "X-Consul-LastContact" in r.headers


def test_read_only_txn_consistency_params(agent, key):
    agent.kv_put(key, "v")
    for p in ({"stale": ""}, {"consistent": ""}):
        assert ok(txn(agent, [kv("get", key)], **p))[0]["KV"]["Value"] == b64("v")
    r = txn(agent, [kv("get", key)], stale="", consistent="")
    assert r.status_code == 400


def test_get_tree(agent, key):
    for k in ["b", "a", "a/c"]:
        agent.kv_put(f"{key}/{k}", k)
    agent.kv_put(f"{key}x", "outside")   # same byte prefix, still matches "key"
    res = ok(txn(agent, [kv("get-tree", f"{key}/")]))
    assert [r["KV"]["Key"] for r in res] == [f"{key}/a", f"{key}/a/c", f"{key}/b"]
    assert [base64.b64decode(r["KV"]["Value"]).decode() for r in res] == ["a", "a/c", "b"]
    res = ok(txn(agent, [kv("get-tree", key)]))
    assert [r["KV"]["Key"] for r in res] == [f"{key}/a", f"{key}/a/c", f"{key}/b", f"{key}x"]


def test_get_missing_fails(agent, key):
    errs = conflict(txn(agent, [kv("get", key)]))
    assert errs == [{"OpIndex": 0, "What": f'key "{key}" doesn\'t exist'}]


def test_cas(agent, key):
    # cas with Index 0 = create only
    res = ok(txn(agent, [kv("cas", key, "v1", Index=0)]))
    m = res[0]["KV"]["ModifyIndex"]
    errs = conflict(txn(agent, [kv("cas", key, "v2", Index=0)]))
    assert errs == [{"OpIndex": 0, "What": f'failed to set key "{key}", index is stale'}]
    errs = conflict(txn(agent, [kv("cas", key, "v2", Index=m + 999)]))
    assert errs[0]["OpIndex"] == 0 and "index is stale" in errs[0]["What"]
    res = ok(txn(agent, [kv("cas", key, "v2", Index=m)]))
    assert res[0]["KV"]["ModifyIndex"] > m
    assert agent.kv_raw(key).content == b"v2"


def test_check_index(agent, key):
    agent.kv_put(key, "v")
    m = agent.kv_get(key)["ModifyIndex"]
    res = ok(txn(agent, [kv("check-index", key, Index=m)]))
    assert res[0]["KV"]["Key"] == key and res[0]["KV"]["Value"] is None
    assert res[0]["KV"]["ModifyIndex"] == m
    errs = conflict(txn(agent, [kv("check-index", key, Index=m + 5)]))
    assert errs == [{"OpIndex": 0,
                     "What": f'failed index check for key "{key}", current modify index {m} != {m + 5}'}]
    errs = conflict(txn(agent, [kv("check-index", key + "-missing", Index=1)]))
    assert errs == [{"OpIndex": 0,
                     "What": f'failed to check index, key "{key}-missing" doesn\'t exist'}]


def test_check_not_exists(agent, key):
    ok(txn(agent, [kv("check-not-exists", key)]))
    agent.kv_put(key, "v")
    errs = conflict(txn(agent, [kv("check-not-exists", key)]))
    assert errs == [{"OpIndex": 0, "What": f'key "{key}" exists'}]


def test_delete_ops(agent, key):
    for k in ["a", "b", "t/1", "t/2", "c"]:
        agent.kv_put(f"{key}/{k}", k)
    mc = agent.kv_get(f"{key}/c")["ModifyIndex"]
    res = ok(txn(agent, [kv("delete", f"{key}/a"),
                         kv("delete-tree", f"{key}/t/"),
                         kv("delete-cas", f"{key}/c", Index=mc)]))
    assert res in (None, [])        # no results for deletes
    assert agent.get(f"/v1/kv/{key}/?keys").json() == [f"{key}/b"]
    # delete-cas with a stale index
    mb = agent.kv_get(f"{key}/b")["ModifyIndex"]
    errs = conflict(txn(agent, [kv("delete-cas", f"{key}/b", Index=mb + 7)]))
    assert errs == [{"OpIndex": 0, "What": f'failed to delete key "{key}/b", index is stale'}]
    assert agent.kv_get(f"{key}/b") is not None


def test_failure_applies_nothing_and_reports_every_error(agent, key):
    agent.kv_put(f"{key}/exists", "old")
    ops = [
        kv("set", f"{key}/new1", "x"),
        kv("check-not-exists", f"{key}/exists"),            # fails
        kv("set", f"{key}/exists", "overwritten"),
        kv("delete", f"{key}/exists"),
        kv("get", f"{key}/nope"),                             # fails
        kv("set", f"{key}/new2", "y"),
    ]
    errs = conflict(txn(agent, ops))
    assert [e["OpIndex"] for e in errs] == [1, 4]
    assert errs[0]["What"] == f'key "{key}/exists" exists'
    assert errs[1]["What"] == f'key "{key}/nope" doesn\'t exist'
    assert agent.get(f"/v1/kv/{key}/new1").status_code == 404
    assert agent.get(f"/v1/kv/{key}/new2").status_code == 404
    assert agent.kv_raw(f"{key}/exists").content == b"old"


def test_ops_see_earlier_ops_in_same_txn(agent, key):
    res = ok(txn(agent, [kv("set", key, "1"), kv("get", key), kv("delete", key),
                         kv("check-not-exists", key), kv("set", key, "2")]))
    assert [r["KV"]["Key"] for r in res] == [key, key, key]
    assert res[1]["KV"]["Value"] == b64("1")
    assert agent.kv_raw(key).content == b"2"


def test_unknown_verb(agent, key):
    errs = conflict(txn(agent, [kv("frobnicate", key)]))
    assert errs == [{"OpIndex": 0, "What": 'unknown KV verb "frobnicate"'}]


def test_128_ops_ok_129_rejected(agent, key):
    ops = [kv("set", f"{key}/{i:03d}", str(i)) for i in range(128)]
    assert len(ok(txn(agent, ops))) == 128
    assert len(agent.get(f"/v1/kv/{key}/?keys").json()) == 128
    ops = [kv("set", f"{key}/x{i:03d}", str(i)) for i in range(129)]
    r = txn(agent, ops)
    assert r.status_code == 413
    assert r.text == "Transaction contains too many operations (129 > 128)"
    assert agent.get(f"/v1/kv/{key}/x000").status_code == 404


@pytest.mark.parametrize("body", [b"[{", b"not json", b"{}", b'[{"KV": 5}]', b"",
                                  b'[{"KV": {"Verb": "set", "Key": "k", "Value": "%%%"}}]'])
def test_malformed_body_400(agent, body):
    r = agent.put("/v1/txn", data=body)
    assert r.status_code == 400, (body, r.status_code, r.text)
    assert r.text.startswith("Failed to parse body: "), r.text


def test_wrong_method(agent):
    r = agent.request("POST", "/v1/txn", data="[]")
    assert r.status_code == 405
    r = agent.get("/v1/txn")
    assert r.status_code == 405


def test_txn_dc(agent, key):
    ok(txn(agent, [kv("set", key, "v")], dc="dc1"))
    r = txn(agent, [kv("set", key + "2", "v")], dc="nope-dc")
    assert r.status_code == 500 and r.text == "No path to datacenter"
    assert agent.get("/v1/kv/" + key + "2").status_code == 404


def test_pretty_txn(agent, key):
    r = txn(agent, [kv("set", key, "v")], pretty="")
    assert r.status_code == 200
    assert r.text == json.dumps(r.json(), indent=4) + "\n"


def test_txn_blocking_wakes_kv_watchers(agent, key):
    import threading
    import time
    import requests
    agent.kv_put(key, "v")
    i0 = int(agent.get("/v1/kv/" + key).headers["X-Consul-Index"])
    out = {}

    def w():
        out["r"] = requests.get(agent.url(f"/v1/kv/{key}?index={i0}&wait=10s"), timeout=20)

    t = threading.Thread(target=w, daemon=True)
    t.start()
    time.sleep(0.15)
    ok(txn(agent, [kv("set", key, "w")]))
    t.join(5)
    assert not t.is_alive()
    assert int(out["r"].headers["X-Consul-Index"]) > i0
