"""`cairn info` and the Stats object of /v1/agent/self it prints.

Consul facts used here (command/info/info.go): sections sorted by name, each a
"<section>:" line followed by "\t<key> = <value>" lines sorted by key; a server
shows agent, build, consul, raft, runtime, serf_lan and serf_wan; the values
in Stats are all strings.
"""

import json
import re

SECTIONS = ["agent", "build", "consul", "raft", "runtime", "serf_lan", "serf_wan"]


def parse(text):
    out, cur = {}, None
    for line in text.splitlines():
        if line.startswith("\t"):
            k, v = line[1:].split(" = ", 1)
            out[cur].append((k, v))
        else:
            assert line.endswith(":"), line
            cur = line[:-1]
            out[cur] = []
    return out


def test_info_shape(agent):
    agent.put("/v1/agent/service/register", data=json.dumps({"Name": "info-web"}))
    try:
        p = agent.cli("info")
        assert p.returncode == 0, p.stderr
        assert p.stderr == b""
        text = p.stdout.decode()
        assert re.fullmatch(r"([a-z_]+:\n(\t[a-z_]+ = [^\n]*\n)*)+", text), text
        info = parse(text)
        assert list(info) == SECTIONS
        for sec, rows in info.items():
            keys = [k for k, _ in rows]
            assert keys == sorted(keys), sec
        d = {sec: dict(rows) for sec, rows in info.items()}
        assert d["raft"]["state"] == "Leader"
        assert int(d["raft"]["applied_index"]) >= 1
        assert int(d["raft"]["commit_index"]) >= int(d["raft"]["applied_index"]) - 1
        assert d["raft"]["num_peers"] == "0"
        assert d["agent"]["check_monitors"] == "0"
        assert int(d["agent"]["services"]) >= 1
        assert d["consul"]["leader"] == "true"
        assert d["consul"]["leader_addr"] == f"{agent.ip}:8300"
        assert d["consul"]["server"] == "true"
        assert d["serf_lan"]["members"] == "1"
        assert d["serf_wan"]["members"] == "1"
        assert d["runtime"]["os"] == "linux"
        assert re.match(r"\d+\.\d+\.\d+", d["build"]["version"])
    finally:
        agent.put("/v1/agent/service/deregister/info-web")


def test_stats_are_strings(agent):
    stats = agent.get("/v1/agent/self").json()["Stats"]
    for sec, m in stats.items():
        assert isinstance(m, dict), sec
        assert all(isinstance(v, str) for v in m.values()), (sec, m)


def test_info_errors(agent):
    p = agent.cli("info", env={"CONSUL_HTTP_ADDR": "127.0.0.1:1"})
    assert p.returncode == 1
    assert p.stderr.decode().startswith(
        'Error querying agent: Get "http://127.0.0.1:1/v1/agent/self": dial tcp ')
    p = agent.cli("info", "-nope")
    assert p.returncode == 1
    assert "flag provided but not defined: -nope" in p.stderr.decode()
