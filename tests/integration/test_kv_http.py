"""KV store over HTTP, with raw requests and python-consul 0.7.1.

Reference: Consul agent/kvs_endpoint.go, agent/http.go, state/kvs.go.
"""

import base64
import json

import consul
import pytest

from conftest import KV_FIELDS, unique

U64_MAX = 2**64 - 1


@pytest.fixture(scope="module")
def c(agent):
    return consul.Consul(host=agent.ip, port=8500)


def b64(s):
    if isinstance(s, str):
        s = s.encode()
    return base64.b64encode(s).decode()


def idx(r):
    v = r.headers.get("X-Consul-Index")
    assert v is not None, f"no X-Consul-Index on {r.request.method} {r.url}: {dict(r.headers)}"
    assert v.isdigit(), v
    return int(v)


# ---------------------------------------------------------------- python-consul

def test_python_consul_put_get_delete(c, key):
    assert c.kv.put(key, "hello") is True
    index, data = c.kv.get(key)
    assert data is not None
    assert data["Key"] == key
    assert data["Value"] == b"hello"
    assert data["Flags"] == 0
    assert data["LockIndex"] == 0
    assert int(index) == data["ModifyIndex"]
    assert c.kv.delete(key) is True
    index2, data2 = c.kv.get(key)        # needs X-Consul-Index on the 404
    assert data2 is None
    assert int(index2) >= 1


def test_python_consul_recurse_keys_separator(c, key):
    for k in ["b", "a", "c/d", "c/e/f"]:
        assert c.kv.put(f"{key}/{k}", k) is True
    _, items = c.kv.get(key + "/", recurse=True)        # sends recurse=1
    assert [i["Key"] for i in items] == [f"{key}/{x}" for x in ["a", "b", "c/d", "c/e/f"]]
    assert [i["Value"] for i in items] == [b"a", b"b", b"c/d", b"c/e/f"]
    _, keys = c.kv.get(key + "/", keys=True)            # sends keys=True
    assert keys == [f"{key}/{x}" for x in ["a", "b", "c/d", "c/e/f"]]
    _, keys = c.kv.get(key + "/", keys=True, separator="/")
    assert keys == [f"{key}/a", f"{key}/b", f"{key}/c/"]
    assert c.kv.delete(key + "/", recurse=True) is True   # sends recurse=1
    _, items = c.kv.get(key + "/", recurse=True)
    assert items is None


def test_python_consul_cas_and_flags(c, key):
    assert c.kv.put(key, "v1", cas=0) is True
    assert c.kv.put(key, "v2", cas=0) is False
    _, d = c.kv.get(key)
    assert d["Value"] == b"v1"
    assert c.kv.put(key, "v3", cas=d["ModifyIndex"], flags=7) is True
    _, d2 = c.kv.get(key)
    assert d2["Value"] == b"v3" and d2["Flags"] == 7
    assert c.kv.delete(key, cas=d["ModifyIndex"]) is False   # stale index
    assert c.kv.delete(key, cas=d2["ModifyIndex"]) is True
    assert c.kv.get(key)[1] is None


def test_python_consul_empty_value_is_none(c, key):
    assert c.kv.put(key, None) is True
    _, d = c.kv.get(key)
    assert d is not None and d["Value"] is None


def test_python_consul_token_and_consistency(agent, key):
    cc = consul.Consul(host=agent.ip, port=8500, token="anything", consistency="stale")
    assert cc.kv.put(key, "t") is True                     # ?token=anything
    _, d = cc.kv.get(key)                                  # ?token=..&stale=1
    assert d["Value"] == b"t"
    cc2 = consul.Consul(host=agent.ip, port=8500, consistency="consistent")
    assert cc2.kv.get(key)[1]["Value"] == b"t"


# ---------------------------------------------------------------- shape

def test_get_json_shape_and_headers(agent, key):
    r = agent.put("/v1/kv/" + key, data=b"hello")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.content == b"true"
    r = agent.get("/v1/kv/" + key)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    body = r.json()
    assert isinstance(body, list) and len(body) == 1
    e = body[0]
    assert list(e.keys()) == KV_FIELDS, "field set/order differs from Consul's DirEntry"
    assert e["Key"] == key
    assert e["Value"] == b64("hello")
    assert e["Flags"] == 0 and e["LockIndex"] == 0
    assert e["CreateIndex"] == e["ModifyIndex"] > 0
    assert idx(r) == e["ModifyIndex"]


def test_empty_body_value_is_null(agent, key):
    r = agent.put("/v1/kv/" + key, data=b"")
    assert r.status_code == 200 and r.content == b"true"
    r = agent.get("/v1/kv/" + key)
    assert r.status_code == 200
    assert '"Value":null' in r.text.replace(" ", "")
    assert r.json()[0]["Value"] is None
    raw = agent.kv_raw(key)
    assert raw.status_code == 200 and raw.content == b""


def test_missing_key_404_empty_body(agent, key):
    r = agent.get("/v1/kv/" + key + "/nope")
    assert r.status_code == 404
    assert r.content == b""
    assert idx(r) >= 1


def test_raw_bytes_exact_and_not_sniffed(agent, key):
    blob = bytes(range(256)) * 3 + b"\r\n\x00tail"
    assert agent.put("/v1/kv/" + key, data=blob).content == b"true"
    r = agent.get("/v1/kv/" + key, params={"raw": ""})
    assert r.status_code == 200
    assert r.content == blob
    assert r.headers["Content-Type"] == "text/plain"
    assert r.headers.get("X-Content-Type-Options") == "nosniff"
    assert int(r.headers["Content-Length"]) == len(blob)
    e = agent.kv_get(key)
    assert base64.b64decode(e["Value"]) == blob


def test_raw_html_is_served_as_text_plain(agent, key):
    html = b"<html><body><script>alert(1)</script></body></html>"
    agent.kv_put(key, html)
    r = agent.get("/v1/kv/" + key + "?raw")
    assert r.status_code == 200 and r.content == html
    assert r.headers["Content-Type"] == "text/plain"
    assert r.headers.get("X-Content-Type-Options") == "nosniff"


@pytest.mark.parametrize("form", ["raw", "raw=1", "raw=true", "raw=True"])
def test_raw_flag_forms(agent, key, form):
    agent.kv_put(key, b"rawval")
    r = agent.get(f"/v1/kv/{key}?{form}")
    assert r.status_code == 200 and r.content == b"rawval"
    assert r.headers["Content-Type"] == "text/plain"


# ---------------------------------------------------------------- flags

def test_flags(agent, key):
    assert agent.kv_put(key, "v", flags="42") is True
    assert agent.kv_get(key)["Flags"] == 42
    assert agent.kv_put(key, "v", flags=str(U64_MAX)) is True
    r = agent.get("/v1/kv/" + key)
    assert r.json()[0]["Flags"] == U64_MAX
    assert str(U64_MAX) in r.text          # printed as an exact integer
    # a PUT without ?flags resets them to 0 (Consul sets Flags=0 by default)
    assert agent.kv_put(key, "v2") is True
    assert agent.kv_get(key)["Flags"] == 0


# ---------------------------------------------------------------- cas

def test_cas_zero_is_create_only(agent, key):
    r = agent.put(f"/v1/kv/{key}?cas=0", data=b"first")
    assert r.status_code == 200 and r.content == b"true"
    r = agent.put(f"/v1/kv/{key}?cas=0", data=b"second")
    assert r.status_code == 200 and r.content == b"false"
    assert agent.kv_raw(key).content == b"first"


def test_cas_modify_index(agent, key):
    agent.kv_put(key, "a")
    m = agent.kv_get(key)["ModifyIndex"]
    r = agent.put(f"/v1/kv/{key}?cas={m + 1000}", data=b"wrong")
    assert r.content == b"false"
    assert agent.kv_raw(key).content == b"a"
    r = agent.put(f"/v1/kv/{key}?cas={m}", data=b"b")
    assert r.content == b"true"
    e = agent.kv_get(key)
    assert base64.b64decode(e["Value"]) == b"b" and e["ModifyIndex"] > m
    r = agent.put(f"/v1/kv/{key}?cas={m}", data=b"c")   # m is now stale
    assert r.content == b"false"
    assert agent.kv_raw(key).content == b"b"


def test_cas_nonzero_on_missing_key_fails(agent, key):
    r = agent.put(f"/v1/kv/{key}?cas=5", data=b"x")
    assert r.status_code == 200 and r.content == b"false"
    assert agent.get("/v1/kv/" + key).status_code == 404


# ---------------------------------------------------------------- indexes

def test_create_and_modify_index(agent, key):
    agent.kv_put(key, "v1")
    e1 = agent.kv_get(key)
    assert e1["CreateIndex"] == e1["ModifyIndex"]
    agent.kv_put(key, "v2")
    e2 = agent.kv_get(key)
    assert e2["CreateIndex"] == e1["CreateIndex"]
    assert e2["ModifyIndex"] > e1["ModifyIndex"]
    assert e2["LockIndex"] == 0
    # another key written later gets a higher index
    agent.kv_put(key + "-other", "x")
    assert agent.kv_get(key + "-other")["CreateIndex"] > e2["ModifyIndex"]
    # delete and recreate: a new CreateIndex
    agent.delete("/v1/kv/" + key)
    agent.kv_put(key, "v3")
    e3 = agent.kv_get(key)
    assert e3["CreateIndex"] == e3["ModifyIndex"] > e2["ModifyIndex"]


def test_identical_put_keeps_modify_index(agent, key):
    # Consul's kvsSetTxn skips the write when the entry is unchanged
    agent.kv_put(key, "same", flags="3")
    m = agent.kv_get(key)["ModifyIndex"]
    agent.kv_put(key + "-bump", "x")    # move the raft index on
    agent.kv_put(key, "same", flags="3")
    assert agent.kv_get(key)["ModifyIndex"] == m


# ---------------------------------------------------------------- recurse / keys

ORDER_KEYS = ["b", "a", "a/x", "A", "ab", "a-", "a/y/z", "_", "~", "0"]


def test_recurse_sorted_bytewise(agent, key):
    for k in ORDER_KEYS:
        agent.kv_put(f"{key}/{k}", k)
    r = agent.get(f"/v1/kv/{key}/?recurse")
    assert r.status_code == 200
    items = r.json()
    want = sorted(f"{key}/{k}" for k in ORDER_KEYS)     # bytewise for ASCII
    assert [i["Key"] for i in items] == want
    for i in items:
        assert list(i.keys()) == KV_FIELDS
        assert base64.b64decode(i["Value"]).decode() == i["Key"].split("/", 1)[1]
    assert idx(r) == max(i["ModifyIndex"] for i in items)


def test_recurse_is_prefix_not_directory(agent, key):
    agent.kv_put(f"{key}x", "1")
    agent.kv_put(f"{key}/y", "2")
    agent.kv_put(f"{key}", "3")
    r = agent.get(f"/v1/kv/{key}?recurse")
    assert [i["Key"] for i in r.json()] == [key, f"{key}/y", f"{key}x"]


@pytest.mark.parametrize("form", ["recurse", "recurse=1", "recurse=true", "recurse=True"])
def test_recurse_flag_forms(agent, key, form):
    agent.kv_put(f"{key}/a", "1")
    agent.kv_put(f"{key}/b", "2")
    r = agent.get(f"/v1/kv/{key}/?{form}")
    assert r.status_code == 200
    assert [i["Key"] for i in r.json()] == [f"{key}/a", f"{key}/b"]


def test_flag_presence_semantics(agent, key):
    # Consul only checks that the parameter is present: ?recurse=false recurses
    agent.kv_put(f"{key}/a", "1")
    r = agent.get(f"/v1/kv/{key}/?recurse=false")
    assert r.status_code == 200
    assert [i["Key"] for i in r.json()] == [f"{key}/a"]


def test_recurse_missing_prefix_404(agent, key):
    r = agent.get(f"/v1/kv/{key}/?recurse")
    assert r.status_code == 404 and r.content == b""
    assert idx(r) >= 1


@pytest.mark.parametrize("form", ["keys", "keys=1", "keys=true", "keys=True"])
def test_keys_without_separator(agent, key, form):
    for k in ["b", "a/x", "a/y/z", "c"]:
        agent.kv_put(f"{key}/{k}", k)
    r = agent.get(f"/v1/kv/{key}/?{form}")
    assert r.status_code == 200
    assert r.json() == [f"{key}/a/x", f"{key}/a/y/z", f"{key}/b", f"{key}/c"]
    assert idx(r) >= 1


def test_keys_with_separator(agent, key):
    for k in ["b", "a/x", "a/y/z", "c", "d/e/f", "d/g"]:
        agent.kv_put(f"{key}/{k}", k)
    r = agent.get(f"/v1/kv/{key}/?keys&separator=/")
    assert r.status_code == 200
    assert r.json() == [f"{key}/a/", f"{key}/b", f"{key}/c", f"{key}/d/"]
    # the historic misspelling is accepted too
    r = agent.get(f"/v1/kv/{key}/?keys&seperator=/")
    assert r.json() == [f"{key}/a/", f"{key}/b", f"{key}/c", f"{key}/d/"]
    # deeper prefix
    r = agent.get(f"/v1/kv/{key}/d/?keys&separator=/")
    assert r.json() == [f"{key}/d/e/", f"{key}/d/g"]
    # prefix without trailing slash
    r = agent.get(f"/v1/kv/{key}/a?keys&separator=/")
    assert r.json() == [f"{key}/a/"]


def test_keys_missing_prefix_404(agent, key):
    r = agent.get(f"/v1/kv/{key}/?keys")
    assert r.status_code == 404 and r.content == b""


def test_keys_root_lists_everything(agent, key):
    agent.kv_put(key, "x")
    r = agent.get("/v1/kv/?keys")
    assert r.status_code == 200
    keys = r.json()
    assert key in keys and keys == sorted(keys)


# ---------------------------------------------------------------- delete

def test_delete_recurse(agent, key):
    for k in [f"{key}/x", f"{key}/xy", f"{key}/x/z", f"{key}/w"]:
        agent.kv_put(k, "v")
    r = agent.delete(f"/v1/kv/{key}/x?recurse")
    assert r.status_code == 200 and r.content == b"true"
    assert agent.get(f"/v1/kv/{key}/?keys").json() == [f"{key}/w"]


def test_delete_single_and_missing(agent, key):
    agent.kv_put(key, "v")
    agent.kv_put(key + "/child", "v")
    r = agent.delete("/v1/kv/" + key)
    assert r.status_code == 200 and r.content == b"true"
    assert agent.get("/v1/kv/" + key).status_code == 404
    assert agent.get(f"/v1/kv/{key}/child").status_code == 200  # not recursive
    r = agent.delete("/v1/kv/" + key + "-never-existed")
    assert r.status_code == 200 and r.content == b"true"


def test_delete_cas(agent, key):
    agent.kv_put(key, "v")
    m = agent.kv_get(key)["ModifyIndex"]
    r = agent.delete(f"/v1/kv/{key}?cas={m + 1000}")
    assert r.status_code == 200 and r.content == b"false"
    assert agent.kv_get(key) is not None
    r = agent.delete(f"/v1/kv/{key}?cas={m}")
    assert r.status_code == 200 and r.content == b"true"
    assert agent.kv_get(key) is None


def test_delete_conflicting_flags(agent, key):
    agent.kv_put(key, "v")
    r = agent.delete(f"/v1/kv/{key}?recurse&cas=1")
    assert r.status_code == 400
    assert r.text.startswith("Conflicting flags: ")
    assert agent.kv_get(key) is not None


def test_put_conflicting_flags(agent, key):
    r = agent.put(f"/v1/kv/{key}?cas=0&acquire=abc", data=b"v")
    assert r.status_code == 400
    assert r.text.startswith("Conflicting flags: ")
    assert agent.kv_get(key) is None


def test_missing_key_name(agent):
    for method in ("GET", "PUT", "DELETE"):
        r = agent.request(method, "/v1/kv/", data=b"x" if method == "PUT" else None)
        assert r.status_code == 400, method
        assert r.text == "Missing key name", (method, r.text)


# ---------------------------------------------------------------- params

def test_dc_param(agent, key):
    assert agent.put(f"/v1/kv/{key}?dc=dc1", data=b"v").content == b"true"
    r = agent.get(f"/v1/kv/{key}?dc=dc1")
    assert r.status_code == 200 and r.json()[0]["Key"] == key
    assert agent.delete(f"/v1/kv/{key}?dc=dc1").content == b"true"


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_unknown_dc(agent, key, method):
    r = agent.request(method, f"/v1/kv/{key}?dc=nope-dc", data=b"v" if method == "PUT" else None)
    assert r.status_code == 500
    assert r.text == "No path to datacenter"
    assert agent.kv_get(key) is None


def test_pretty(agent, key):
    agent.kv_put(key, "v")
    r = agent.get(f"/v1/kv/{key}?pretty")
    assert r.status_code == 200
    parsed = json.loads(r.text)
    assert r.text == json.dumps(parsed, indent=4) + "\n"
    assert '[\n    {\n        "LockIndex": 0,\n        "Key": ' in r.text
    r = agent.put(f"/v1/kv/{key}?pretty", data=b"v2")
    assert r.text == "true\n"
    r = agent.get(f"/v1/kv/{key}")
    assert "\n" not in r.text                 # compact without ?pretty


def test_ns_partition_accepted_and_ignored(agent, key):
    # COMPAT.md: enterprise-only params are accepted and ignored.
    # (Consul CE itself answers 400 "...are a Consul Enterprise feature".)
    q = "ns=default&partition=default"
    assert agent.put(f"/v1/kv/{key}?{q}", data=b"v").content == b"true"
    r = agent.get(f"/v1/kv/{key}?{q}")
    assert r.status_code == 200 and r.json()[0]["Key"] == key
    assert agent.get(f"/v1/kv/{key}").json()[0]["Key"] == key
    r = agent.get(f"/v1/kv/{key}?{q}&recurse")
    assert r.status_code == 200
    assert agent.delete(f"/v1/kv/{key}?{q}").content == b"true"
    assert agent.kv_get(key) is None


@pytest.mark.parametrize("how", ["header", "bearer", "query"])
def test_tokens_accepted(agent, key, how):
    headers, params = {}, {}
    if how == "header":
        headers["X-Consul-Token"] = "0d2f5c3e-aaaa-bbbb-cccc-123456789abc"
    elif how == "bearer":
        headers["Authorization"] = "Bearer 0d2f5c3e-aaaa-bbbb-cccc-123456789abc"
    else:
        params["token"] = "0d2f5c3e-aaaa-bbbb-cccc-123456789abc"
    r = agent.put("/v1/kv/" + key, data=b"tok", headers=headers, params=params)
    assert r.status_code == 200 and r.content == b"true"
    r = agent.get("/v1/kv/" + key, headers=headers, params=params)
    assert r.status_code == 200 and r.json()[0]["Value"] == b64("tok")
    r = agent.delete("/v1/kv/" + key, headers=headers, params=params)
    assert r.status_code == 200 and r.content == b"true"


def test_special_characters_in_keys(agent, key):
    keys = [f"{key}/with space", f"{key}/ключ", f"{key}/a:b@c", f"{key}/q?x"]
    for k in keys:
        r = agent.put("/v1/kv/" + requests_quote(k), data=k.encode())
        assert r.status_code == 200 and r.content == b"true", (k, r.status_code, r.text)
    r = agent.get(f"/v1/kv/{key}/?recurse")
    got = {i["Key"]: base64.b64decode(i["Value"]).decode() for i in r.json()}
    assert got == {k: k for k in keys}
    assert [i["Key"] for i in r.json()] == sorted(keys, key=lambda s: s.encode())


def requests_quote(k):
    from urllib.parse import quote
    return quote(k, safe="/")


def test_large_value_roundtrip(agent, key):
    blob = (b"0123456789abcdef" * 32768)[:500_000]
    assert agent.put("/v1/kv/" + key, data=blob).content == b"true"
    assert agent.kv_raw(key).content == blob


def test_many_keys_listing(agent, key):
    n = 300
    for i in range(n):
        agent.kv_put(f"{key}/{i:05d}", str(i))
    r = agent.get(f"/v1/kv/{key}/?keys")
    assert r.json() == [f"{key}/{i:05d}" for i in range(n)]
    r = agent.get(f"/v1/kv/{key}/?recurse")
    assert len(r.json()) == n
