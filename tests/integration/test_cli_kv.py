"""`consul kv ...`, `version`, `validate` through build/cairn and build/consul.

Messages and exit codes are Consul's (command/kv/*/kv_*.go): Info lines go to
stdout, Error lines to stderr, each followed by a newline.
"""

import base64
import json
import re

import pytest

from conftest import BIN, CONSUL_BIN, run_cli


@pytest.fixture(scope="module", params=["cairn", "consul"])
def binary(request):
    b = BIN if request.param == "cairn" else CONSUL_BIN
    return b


def out(p):
    return p.stdout.decode(errors="replace")


def err(p):
    return p.stderr.decode(errors="replace")


def detailed(create, flags, key, lock, modify, value, session="-"):
    rows = [("CreateIndex", create), ("Flags", flags), ("Key", key),
            ("LockIndex", lock), ("ModifyIndex", modify), ("Session", session),
            ("Value", value)]
    # tabwriter(minwidth 0, tabwidth 2, padding 6): widest label (11) + 6
    return "".join(f"{k:<17}{v}\n" for k, v in rows)


def test_put_get(agent, binary, key):
    p = agent.cli("kv", "put", key, "hello world", binary=binary)
    assert p.returncode == 0, err(p)
    assert out(p) == f"Success! Data written to: {key}\n"
    assert err(p) == ""
    assert agent.kv_raw(key).content == b"hello world"
    p = agent.cli("kv", "get", key, binary=binary)
    assert p.returncode == 0
    assert out(p) == "hello world\n"


def test_get_missing(agent, binary, key):
    p = agent.cli("kv", "get", key, binary=binary)
    assert p.returncode == 1
    assert err(p) == f"Error! No key exists at: {key}\n"
    assert out(p) == ""


def test_leading_slash_stripped(agent, binary, key):
    agent.kv_put(key, "v")
    p = agent.cli("kv", "get", "/" + key, binary=binary)
    assert p.returncode == 0 and out(p) == "v\n"


def test_get_detailed(agent, binary, key):
    agent.kv_put(key, "val", flags="42")
    e = agent.kv_get(key)
    p = agent.cli("kv", "get", "-detailed", key, binary=binary)
    assert p.returncode == 0, err(p)
    assert out(p) == detailed(e["CreateIndex"], 42, key, 0, e["ModifyIndex"], "val")


def test_get_recurse(agent, binary, key):
    for k, v in [("b", "2"), ("a", "1"), ("c/d", "3")]:
        agent.kv_put(f"{key}/{k}", v)
    p = agent.cli("kv", "get", "-recurse", key + "/", binary=binary)
    assert p.returncode == 0, err(p)
    assert out(p) == f"{key}/a:1\n{key}/b:2\n{key}/c/d:3\n"
    p = agent.cli("kv", "get", "-recurse", "-base64", key + "/", binary=binary)
    assert out(p) == f"{key}/a:MQ==\n{key}/b:Mg==\n{key}/c/d:Mw==\n"


def test_get_recurse_detailed(agent, binary, key):
    agent.kv_put(f"{key}/a", "1")
    agent.kv_put(f"{key}/b", "2")
    ea, eb = agent.kv_get(f"{key}/a"), agent.kv_get(f"{key}/b")
    p = agent.cli("kv", "get", "-recurse", "-detailed", key + "/", binary=binary)
    assert p.returncode == 0
    assert out(p) == (detailed(ea["CreateIndex"], 0, f"{key}/a", 0, ea["ModifyIndex"], "1")
                      + "\n"
                      + detailed(eb["CreateIndex"], 0, f"{key}/b", 0, eb["ModifyIndex"], "2"))


def test_get_recurse_empty_prefix_is_silent(agent, binary, key):
    p = agent.cli("kv", "get", "-recurse", key + "-none/", binary=binary)
    assert p.returncode == 0 and out(p) == ""


def test_get_keys_separator(agent, binary, key):
    for k in ["a", "b/c", "b/d/e", "f/g"]:
        agent.kv_put(f"{key}/{k}", "x")
    # -separator defaults to "/"
    p = agent.cli("kv", "get", "-keys", key + "/", binary=binary)
    assert p.returncode == 0, err(p)
    assert out(p) == f"{key}/a\n{key}/b/\n{key}/f/\n"
    p = agent.cli("kv", "get", "-keys", "-separator=", key + "/", binary=binary)
    assert out(p) == f"{key}/a\n{key}/b/c\n{key}/b/d/e\n{key}/f/g\n"
    p = agent.cli("kv", "get", "-keys", "-separator", "d", f"{key}/b/", binary=binary)
    assert out(p) == f"{key}/b/c\n{key}/b/d\n"


def test_get_base64(agent, binary, key):
    blob = b"\x00\x01binary\xff"
    agent.kv_put(key, blob)
    p = agent.cli("kv", "get", "-base64", key, binary=binary)
    assert out(p) == base64.b64encode(blob).decode() + "\n"


def test_get_missing_key_arg(agent, binary):
    p = agent.cli("kv", "get", binary=binary)
    assert p.returncode == 1
    assert err(p) == "Error! Missing KEY argument\n"


def test_put_flags(agent, binary, key):
    p = agent.cli("kv", "put", "-flags=42", key, "v", binary=binary)
    assert p.returncode == 0, err(p)
    assert agent.kv_get(key)["Flags"] == 42
    p = agent.cli("kv", "put", "-flags", "7", key, "v", binary=binary)
    assert p.returncode == 0, err(p)
    assert agent.kv_get(key)["Flags"] == 7


def test_put_cas(agent, binary, key):
    agent.kv_put(key, "a")
    m = agent.kv_get(key)["ModifyIndex"]
    p = agent.cli("kv", "put", "-cas", f"-modify-index={m + 100}", key, "b", binary=binary)
    assert p.returncode == 1
    assert err(p) == f"Error! Did not write to {key}: CAS failed\n"
    assert agent.kv_raw(key).content == b"a"
    p = agent.cli("kv", "put", "-cas", "-modify-index", str(m), key, "b", binary=binary)
    assert p.returncode == 0, err(p)
    assert out(p) == f"Success! Data written to: {key}\n"
    assert agent.kv_raw(key).content == b"b"


def test_put_cas_without_index(agent, binary, key):
    p = agent.cli("kv", "put", "-cas", key, "b", binary=binary)
    assert p.returncode == 1
    assert err(p) == "Must specify -modify-index with -cas!\n"


def test_put_base64(agent, binary, key):
    p = agent.cli("kv", "put", "-base64", key, base64.b64encode(b"\x00\xffdata").decode(),
                  binary=binary)
    assert p.returncode == 0, err(p)
    assert agent.kv_raw(key).content == b"\x00\xffdata"


def test_put_from_file(agent, binary, key, tmp_path):
    f = tmp_path / "value.bin"
    data = b"line1\nline2\n\x00\x01\xfe end\n"
    f.write_bytes(data)
    p = agent.cli("kv", "put", key, f"@{f}", binary=binary)
    assert p.returncode == 0, err(p)
    assert out(p) == f"Success! Data written to: {key}\n"
    assert agent.kv_raw(key).content == data


def test_put_from_missing_file(agent, binary, key, tmp_path):
    p = agent.cli("kv", "put", key, f"@{tmp_path}/nope", binary=binary)
    assert p.returncode == 1
    assert err(p).startswith("Error! Failed to read file: ")
    assert agent.kv_get(key) is None


def test_put_from_stdin(agent, binary, key):
    data = b"from stdin\nsecond line\n"
    p = agent.cli("kv", "put", key, "-", input=data, binary=binary)
    assert p.returncode == 0, err(p)
    assert agent.kv_raw(key).content == data


def test_put_dash_prefixed_literal(agent, binary, key):
    # "-x" (longer than "-") is literal data, not stdin
    p = agent.cli("kv", "put", key, "-x", binary=binary)
    assert p.returncode == 0, err(p)
    assert agent.kv_raw(key).content == b"-x"


def test_put_without_data_creates_empty_key(agent, binary, key):
    p = agent.cli("kv", "put", key, binary=binary)
    assert p.returncode == 0, err(p)
    assert agent.kv_get(key)["Value"] is None


def test_put_arg_errors(agent, binary, key):
    p = agent.cli("kv", "put", binary=binary)
    assert p.returncode == 1 and err(p) == "Error! Missing KEY argument\n"
    p = agent.cli("kv", "put", key, "a", "b", binary=binary)
    assert p.returncode == 1
    assert err(p) == "Error! Too many arguments (expected 1 or 2, got 3)\n"


def test_delete(agent, binary, key):
    agent.kv_put(key, "v")
    p = agent.cli("kv", "delete", key, binary=binary)
    assert p.returncode == 0, err(p)
    assert out(p) == f"Success! Deleted key: {key}\n"
    assert agent.kv_get(key) is None


def test_delete_recurse(agent, binary, key):
    for k in ["a", "b/c"]:
        agent.kv_put(f"{key}/{k}", "x")
    agent.kv_put(f"{key}-keep", "x")
    p = agent.cli("kv", "delete", "-recurse", key + "/", binary=binary)
    assert p.returncode == 0, err(p)
    assert out(p) == f"Success! Deleted keys with prefix: {key}/\n"
    assert agent.get(f"/v1/kv/{key}/?keys").status_code == 404
    assert agent.kv_get(f"{key}-keep") is not None


def test_delete_cas(agent, binary, key):
    agent.kv_put(key, "v")
    m = agent.kv_get(key)["ModifyIndex"]
    p = agent.cli("kv", "delete", "-cas", f"-modify-index={m + 9}", key, binary=binary)
    assert p.returncode == 1
    assert err(p) == f"Error! Did not delete key {key}: CAS failed\n"
    p = agent.cli("kv", "delete", "-cas", f"-modify-index={m}", key, binary=binary)
    assert p.returncode == 0 and out(p) == f"Success! Deleted key: {key}\n"
    assert agent.kv_get(key) is None


def test_delete_flag_errors(agent, binary, key):
    p = agent.cli("kv", "delete", "-modify-index=5", key, binary=binary)
    assert p.returncode == 1 and err(p) == "Cannot specify -modify-index without -cas!\n"
    p = agent.cli("kv", "delete", "-cas", key, binary=binary)
    assert p.returncode == 1
    assert err(p) == ("Cannot delete a key that does not exist. "
                      "Provide a -modify-index greater than than 0.\n")
    p = agent.cli("kv", "delete", binary=binary)
    assert p.returncode == 1 and err(p) == "Error! Missing KEY argument\n"


def test_export_format(agent, binary, key):
    agent.kv_put(f"{key}/b", "2", flags="5")
    agent.kv_put(f"{key}/a", b"\x00bin")
    agent.put(f"/v1/kv/{key}/empty", data=b"")
    p = agent.cli("kv", "export", key + "/", binary=binary)
    assert p.returncode == 0, err(p)
    expect = [
        {"key": f"{key}/a", "flags": 0, "value": base64.b64encode(b"\x00bin").decode()},
        {"key": f"{key}/b", "flags": 5, "value": "Mg=="},
        {"key": f"{key}/empty", "flags": 0, "value": ""},
    ]
    # json.MarshalIndent(exported, "", "\t") + newline
    assert out(p) == json.dumps(expect, indent="\t") + "\n"


def test_export_empty_prefix(agent, binary, key):
    p = agent.cli("kv", "export", key + "-none/", binary=binary)
    assert p.returncode == 0
    assert out(p) == "[]\n"


def test_export_import_roundtrip(agent, binary, key, tmp_path):
    data = {f"{key}/x": (b"one", 0), f"{key}/y/z": (b"\xff\x00two", 3), f"{key}/w": (b"", 0)}
    for k, (v, f) in data.items():
        agent.put(f"/v1/kv/{k}", data=v, params={"flags": f})
    p = agent.cli("kv", "export", key + "/", binary=binary)
    assert p.returncode == 0
    dump = p.stdout
    agent.delete(f"/v1/kv/{key}/?recurse")
    assert agent.get(f"/v1/kv/{key}/?keys").status_code == 404
    f = tmp_path / "dump.json"
    f.write_bytes(dump)
    p = agent.cli("kv", "import", f"@{f}", binary=binary)
    assert p.returncode == 0, err(p)
    assert out(p) == "".join(f"Imported: {k}\n" for k in sorted(data))
    for k, (v, fl) in data.items():
        e = agent.kv_get(k)
        assert (base64.b64decode(e["Value"]) if e["Value"] else b"") == v
        assert e["Flags"] == fl
    # from stdin, and as a literal argument
    agent.delete(f"/v1/kv/{key}/?recurse")
    p = agent.cli("kv", "import", "-", input=dump, binary=binary)
    assert p.returncode == 0, err(p)
    assert len(agent.get(f"/v1/kv/{key}/?keys").json()) == 3
    agent.delete(f"/v1/kv/{key}/?recurse")
    p = agent.cli("kv", "import", dump.decode(), binary=binary)
    assert p.returncode == 0, err(p)
    assert len(agent.get(f"/v1/kv/{key}/?keys").json()) == 3


def test_import_errors(agent, binary):
    p = agent.cli("kv", "import", binary=binary)
    assert p.returncode == 1 and err(p) == "Error! Missing DATA argument\n"
    p = agent.cli("kv", "import", "not json", binary=binary)
    assert p.returncode == 1 and err(p).startswith("Cannot unmarshal data: ")


def test_http_addr_flag_and_env(agent, binary, key):
    agent.kv_put(key, "v")
    bad = {"CONSUL_HTTP_ADDR": "127.0.0.1:1"}
    p = agent.cli("kv", "get", f"-http-addr={agent.addr}", key, binary=binary, env=bad)
    assert p.returncode == 0 and out(p) == "v\n", err(p)
    p = agent.cli("kv", "get", "-http-addr", f"http://{agent.addr}", key, binary=binary, env=bad)
    assert p.returncode == 0 and out(p) == "v\n", err(p)
    p = agent.cli("kv", "get", key, binary=binary, env={"CONSUL_HTTP_ADDR": f"http://{agent.addr}"})
    assert p.returncode == 0 and out(p) == "v\n", err(p)


def test_unreachable_agent(agent, binary, key):
    p = agent.cli("kv", "get", key, binary=binary, env={"CONSUL_HTTP_ADDR": "127.0.0.1:1"})
    assert p.returncode == 1
    assert err(p).startswith("Error querying Consul agent: ")
    p = agent.cli("kv", "put", key, "v", binary=binary, env={"CONSUL_HTTP_ADDR": "127.0.0.1:1"})
    assert p.returncode == 1
    assert err(p).startswith("Error! Failed writing data: ")


def test_version(binary):
    p = run_cli("version", binary=binary)
    assert p.returncode == 0, err(p)
    text = out(p)
    assert text.startswith("Consul v"), text
    assert re.match(r"^Consul v\d+\.\d+\.\d+", text)
    assert re.search(r"^Protocol 2 spoken by default, understands 2 to 3 "
                     r"\(agent will automatically use protocol >2 when speaking to "
                     r"compatible agents\)$", text, re.M), text
    p = run_cli("version", "-format=json", binary=binary)
    assert p.returncode == 0
    v = json.loads(out(p))
    assert re.match(r"^\d+\.\d+\.\d+", v["Version"])
    assert v["RPC"] == {"Default": 2, "Min": 2, "Max": 3}


def test_validate(binary, tmp_path):
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"datacenter": "dc1", "data_dir": str(tmp_path / "d"),
                                "server": True, "bootstrap": True,
                                "ports": {"http": 8500}}))
    p = run_cli("validate", str(good), binary=binary)
    assert p.returncode == 0, err(p) + out(p)
    assert out(p) == "Configuration is valid!\n"
    p = run_cli("validate", "-quiet", str(good), binary=binary)
    assert p.returncode == 0 and out(p) == ""

    syntax = tmp_path / "syntax.json"
    syntax.write_text('{"datacenter": "dc1", ')
    p = run_cli("validate", str(syntax), binary=binary)
    assert p.returncode == 1
    assert err(p).startswith("Config validation failed: "), err(p)
    assert "syntax.json" in err(p)

    badval = tmp_path / "badval.json"
    badval.write_text(json.dumps({"data_dir": str(tmp_path / "d"), "ports": {"http": "eighty"}}))
    p = run_cli("validate", str(badval), binary=binary)
    assert p.returncode == 1
    assert err(p).startswith("Config validation failed: "), err(p)
    assert "badval.json" in err(p) and "http" in err(p)

    p = run_cli("validate", binary=binary)
    assert p.returncode == 1
    assert err(p) == "Must specify at least one config file or directory\n"


def test_get_keys_recurse(agent, binary, key):
    # modern Consul: -keys with -recurse lists every key, no separator roll-up
    for k in ["a", "b/c", "b/d/e"]:
        agent.kv_put(f"{key}/{k}", "x")
    p = agent.cli("kv", "get", "-keys", "-recurse", key + "/", binary=binary)
    assert p.returncode == 0, err(p)
    assert out(p) == f"{key}/a\n{key}/b/c\n{key}/b/d/e\n"
