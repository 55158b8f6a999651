"""Cluster-wide gossip keyring operations with real agents: `cairn keyring`
and /v1/operator/keyring (list / install / use / remove), the rotation
Consul documents, and the errors.

Three single-bootstrapped servers share `-encrypt KEY1` and join on LAN and
WAN; every operation runs across both pools (WAN entry first).
"""
import base64
import json
import time


from conftest import wait_until

ALIVE, FAILED = 1, 4
KEY1 = base64.b64encode(bytes(range(32))).decode()
KEY2 = base64.b64encode(bytes(range(1, 33))).decode()
KEY3 = base64.b64encode(bytes(range(16))).decode()


def statuses(a, wan=False):
    r = a.get("/v1/agent/members", params={"wan": "1"} if wan else None)
    assert r.status_code == 200, r.text
    return {m["Name"]: m["Status"] for m in r.json()}


def cluster(agents, n=3, key=KEY1):
    first = agents(args=["-encrypt", key])
    rest = [agents(args=["-encrypt", key, "-join", first.ip, "-join-wan", first.ip])
            for _ in range(n - 1)]
    every = [first] + rest

    def converged():
        return all(len(statuses(a)) == n and set(statuses(a).values()) == {ALIVE}
                   and len(statuses(a, wan=True)) == n for a in every)
    wait_until(converged, timeout=20, interval=0.2, what="LAN and WAN converged")
    return every


def keyring_file(a):
    return json.loads((a.data_dir / "serf" / "local.keyring").read_text())


def list_blocks(out):
    """`keyring -list` output -> {"WAN": {key: "n/N"}, "dc1 (LAN)": {...}}"""
    blocks, cur = {}, None
    for line in out.splitlines():
        if line.endswith(":") and not line.startswith(" "):
            cur = blocks.setdefault(line[:-1], {})
        elif line.startswith("  ") and cur is not None and not line.startswith("  ===>"):
            k, n = line.split()
            cur[k] = n.strip("[]")
    return blocks


def no_one_failed(every):
    for a in every:
        assert set(statuses(a).values()) == {ALIVE}, statuses(a)


def test_list_install_use_remove_rotation(agents):
    every = cluster(agents)
    a = every[0]

    r = a.cli("keyring", "-list")
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode()
    assert out.startswith("==> Gathering installed encryption keys...\n"), out
    blocks = list_blocks(out)
    assert blocks == {"WAN": {KEY1: "3/3"}, "dc1 (LAN)": {KEY1: "3/3"}}, out
    # the WAN block comes first, then the LAN one, each after a blank line
    assert out.index("\nWAN:\n") < out.index("\ndc1 (LAN):\n")

    r = a.cli("keyring", "-install", KEY2)
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode() == "==> Installing new gossip encryption key...\n"
    blocks = list_blocks(every[1].cli("keyring", "-list").stdout.decode())
    assert blocks["dc1 (LAN)"] == {KEY1: "3/3", KEY2: "3/3"}
    assert blocks["WAN"] == {KEY1: "3/3", KEY2: "3/3"}
    prim = list_blocks(a.cli("keyring", "-list-primary").stdout.decode())
    assert prim["dc1 (LAN)"] == {KEY1: "3/3"}
    for x in every:
        assert keyring_file(x) == [KEY1, KEY2]

    r = every[2].cli("keyring", "-use", KEY2)
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode() == "==> Changing primary gossip encryption key...\n"
    prim = a.cli("keyring", "-list-primary")
    assert prim.stdout.decode().startswith(
        "==> Gathering installed primary encryption keys...")
    assert list_blocks(prim.stdout.decode())["dc1 (LAN)"] == {KEY2: "3/3"}
    for x in every:
        assert keyring_file(x) == [KEY2, KEY1]

    r = a.cli("keyring", "-remove", KEY1)
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode() == "==> Removing gossip encryption key...\n"
    blocks = list_blocks(a.cli("keyring", "-list").stdout.decode())
    assert blocks == {"WAN": {KEY2: "3/3"}, "dc1 (LAN)": {KEY2: "3/3"}}
    for x in every:
        assert keyring_file(x) == [KEY2]
        assert json.loads((x.data_dir / "serf" / "remote.keyring").read_text()) == [KEY2]

    # nobody was ever marked failed; give the failure detector a few rounds
    time.sleep(3)
    no_one_failed(every)

    # the new key admits a newcomer, the old one no longer does
    old = agents(args=["-encrypt", KEY1])
    r = old.cli("join", a.ip)
    assert r.returncode == 1, r.stdout
    new = agents(args=["-encrypt", KEY2, "-join", a.ip])
    wait_until(lambda: statuses(a).get(new.name) == ALIVE, timeout=15, interval=0.2,
               what="KEY2 newcomer alive")
    assert old.name not in statuses(a)


def test_errors(agents):
    every = cluster(agents, n=2)
    a = every[0]

    # removing the primary key: every member refuses
    r = a.cli("keyring", "-remove", KEY1)
    assert r.returncode == 1
    err = r.stderr.decode()
    assert err.startswith("error: Unexpected response code: 500 ("), err
    assert "WAN error: 2/2 nodes reported failure" in err
    assert "dc1 (LAN) error: 2/2 nodes reported failure" in err
    for x in every:
        assert f"{x.name}: Removing the primary key is not allowed" in err
    assert "6 errors occurred:" in err

    # a key that is not base64: the origin refuses before asking anyone
    r = a.request("POST", "/v1/operator/keyring", data=json.dumps({"Key": "not base64!"}))
    assert r.status_code == 500
    assert r.text == ("2 errors occurred:\n"
                      "\t* WAN error: illegal base64 data at input byte 3\n"
                      "\t* dc1 (LAN) error: illegal base64 data at input byte 3\n\n"), r.text

    # a key of the wrong size: every member answers memberlist's message
    bad = base64.b64encode(b"x" * 10).decode()
    r = a.cli("keyring", "-install", bad)
    assert r.returncode == 1
    assert "nodes reported failure" in r.stderr.decode()
    assert "key size must be 16, 24 or 32 bytes" in r.stderr.decode()

    # using a key that is not installed
    r = a.cli("keyring", "-use", KEY3)
    assert r.returncode == 1
    assert "Requested key is not in the keyring" in r.stderr.decode()

    # the keyrings did not change
    for x in every:
        assert keyring_file(x) == [KEY1]

    # CLI flag checks
    r = a.cli("keyring")
    assert r.returncode == 1 and b"Usage: consul keyring" in r.stderr
    r = a.cli("keyring", "-list", "-install", KEY2)
    assert r.returncode == 1 and r.stderr == b"Only a single action is allowed\n"
    r = a.cli("keyring", "-list", "-relay-factor", "6")
    assert r.returncode == 1
    assert b"Relay factor must be in range: [0, 5]" in r.stderr
    r = a.cli("keyring", "-install", KEY2, "-local-only")
    assert r.returncode == 1
    assert b"local-only can only be set for list requests" in r.stderr


def test_http_api_shapes(agents):
    every = cluster(agents, n=2)
    a = every[0]

    r = a.get("/v1/operator/keyring")
    assert r.status_code == 200, r.text
    body = r.json()
    assert [e["WAN"] for e in body] == [True, False]
    lan = body[1]
    assert list(lan) == ["WAN", "Datacenter", "Segment", "Messages", "Keys", "PrimaryKeys",
                         "NumNodes", "Error"]
    assert lan == {"WAN": False, "Datacenter": "dc1", "Segment": "", "Messages": {},
                   "Keys": {KEY1: 2}, "PrimaryKeys": {KEY1: 2}, "NumNodes": 2,
                   "Error": ""}

    # local-only: the LAN entry alone
    r = a.get("/v1/operator/keyring", params={"local-only": "true"})
    assert r.status_code == 200
    assert [e["WAN"] for e in r.json()] == [False]

    # install / use / remove answer 200 with no body
    r = a.request("POST", "/v1/operator/keyring", data=json.dumps({"Key": KEY2}))
    assert r.status_code == 200 and r.text == "", r.text
    r = a.put("/v1/operator/keyring", data=json.dumps({"key": KEY2}))  # any case
    assert r.status_code == 200 and r.text == ""
    r = a.delete("/v1/operator/keyring", data=json.dumps({"Key": KEY1}))
    assert r.status_code == 200 and r.text == ""
    r = a.get("/v1/operator/keyring", params={"local-only": "1"})
    assert r.json()[0]["Keys"] == {KEY2: 2}

    # 400s
    r = a.request("POST", "/v1/operator/keyring", data="{")
    assert r.status_code == 400 and r.text.startswith("Request decode failed:")
    r = a.request("POST", "/v1/operator/keyring")
    assert r.status_code == 400 and r.text == "Request decode failed: EOF"
    r = a.get("/v1/operator/keyring", params={"relay-factor": "9"})
    assert r.status_code == 400
    assert r.text == "Invalid relay-factor: Relay factor must be in range: [0, 5]"
    r = a.get("/v1/operator/keyring", params={"relay-factor": "x"})
    assert r.status_code == 400 and r.text.startswith("Error parsing relay factor:")
    r = a.put("/v1/operator/keyring", params={"local-only": "true"},
              data=json.dumps({"Key": KEY2}))
    assert r.status_code == 400
    assert r.text == ("Invalid use of local-only: local-only can only be set for list "
                      "requests")
    r = a.get("/v1/operator/keyring", params={"local-only": "maybe"})
    assert r.status_code == 400 and r.text.startswith("Error parsing local-only:")


def test_encryption_not_enabled(agents):
    a = agents()
    r = a.get("/v1/operator/keyring")
    assert r.status_code == 500
    assert r.text == ("4 errors occurred:\n"
                      "\t* WAN error: 1/1 nodes reported failure\n"
                      f"\t* {a.name}.dc1: Keyring is empty (encryption not enabled)\n"
                      "\t* dc1 (LAN) error: 1/1 nodes reported failure\n"
                      f"\t* {a.name}: Keyring is empty (encryption not enabled)\n\n"), r.text
    r = a.cli("keyring", "-install", KEY1)
    assert r.returncode == 1
    assert "No keyring to modify (encryption not enabled)" in r.stderr.decode()


def test_long_list_is_truncated_like_serf(agents):
    """A member whose keys do not fit one answer lists the first ones and says
    so (ok, with serf's message), which the CLI prints as ===> lines."""
    a = agents(args=["-encrypt", KEY1])
    extra = [base64.b64encode(bytes([i]) * 32).decode() for i in range(40, 70)]
    for k in extra:
        r = a.request("POST", "/v1/operator/keyring", data=json.dumps({"Key": k}))
        assert r.status_code == 200, r.text
    r = a.get("/v1/operator/keyring", params={"local-only": "true"})
    assert r.status_code == 200, r.text
    lan = r.json()[0]
    msg = lan["Messages"][a.name]
    assert msg.startswith("truncated key list response, showing first "), msg
    shown = int(msg.split()[6])
    assert msg.endswith(f" of {len(extra) + 1} keys") and 0 < shown < len(extra) + 1
    assert len(lan["Keys"]) == shown and lan["PrimaryKeys"] == {KEY1: 1}
    out = a.cli("keyring", "-list", "-local-only").stdout.decode()
    assert f"  ===> {a.name}: truncated key list response" in out, out
    assert len(keyring_file(a)) == len(extra) + 1
