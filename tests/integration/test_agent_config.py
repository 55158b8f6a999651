"""Agent start-up: config files and dirs, flags, signals, dev mode, logs.

Consul facts:
 - config files are merged in order (-config-dir: lexical order of *.json),
   command-line flags win over files;
 - flags are Go flags: `-node x`, `-node=x`, `--node=x`;
 - a bad value is fatal: exit 1, message names the file and the key;
 - unknown keys: COMPAT.md asks for a warning naming file and key, not a failure
   (Consul itself fails with "invalid config key ...");
 - SIGHUP reloads; SIGINT on a server with default skip_leave_on_interrupt=true
   exits 1 after logging "Graceful shutdown disabled. Exiting"; with
   skip_leave_on_interrupt=false it leaves gracefully and exits 0;
 - the pid file is written at start and removed at shutdown;
 - hclog line shape: "2006-01-02T15:04:05.000Z0700 [INFO]  agent: msg" (level
   bracket padded to 7 chars, then a space); log_json: one JSON object per line
   with @timestamp, @level, @message (and @module).
"""

import json
import os
import re
import signal
import subprocess
import time

import pytest

from conftest import Agent, wait_until

LOG_RE = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}(Z|[+-]\d{4}) "
    r"(\[TRACE\] |\[DEBUG\] |\[INFO\]  |\[WARN\]  |\[ERROR\] )"
    r"[a-zA-Z0-9_.\-]+: \S")


def write_json(path, obj):
    path.write_text(json.dumps(obj))
    return path


def base_cfg(a, **extra):
    cfg = {"server": True, "bootstrap": True, "data_dir": str(a.data_dir),
           "bind_addr": a.ip, "client_addr": a.ip}
    cfg.update(extra)
    return cfg


def self_cfg(a):
    r = a.get("/v1/agent/self")
    assert r.status_code == 200
    return r.json()


def raw_agent(agents, tmp_path, make_args, **kw):
    """A raw-mode agent whose argv is built by make_args(agent)."""
    a = agents(start=False, mode="raw", **kw)
    a.extra_args = make_args(a)
    return a


def test_config_file(agents, tmp_path):
    def args(a):
        f = write_json(tmp_path / "c.json",
                       base_cfg(a, node_name="from-file", datacenter="east1"))
        return ["-config-file", str(f)]
    a = raw_agent(agents, tmp_path, args)
    a.start()
    s = self_cfg(a)
    assert s["Config"]["NodeName"] == "from-file"
    assert s["Config"]["Datacenter"] == "east1"
    assert a.leader() == f"{a.ip}:8300"


def test_config_dir_merged_alphabetically_and_flags_win(agents, tmp_path):
    d = tmp_path / "conf.d"
    d.mkdir()

    def args(a):
        # written in reverse order on purpose; lexical order must decide
        write_json(d / "20-b.json", {"node_name": "from-b", "log_level": "info"})
        write_json(d / "10-a.json", base_cfg(a, node_name="from-a", datacenter="west2"))
        write_json(d / "30-c.json", {"datacenter": "north3"})
        (d / "zz-ignored.txt").write_text("this is not a config file {{{")
        return ["-config-dir", str(d)]

    a = raw_agent(agents, tmp_path, args)
    a.start()
    s = self_cfg(a)
    assert s["Config"]["NodeName"] == "from-b"
    assert s["Config"]["Datacenter"] == "north3"
    a.stop()
    # a flag beats every file
    a.extra_args = a.extra_args + ["-node", "from-flag", "-datacenter=flagdc"]
    a.start()
    s = self_cfg(a)
    assert s["Config"]["NodeName"] == "from-flag"
    assert s["Config"]["Datacenter"] == "flagdc"


def test_config_file_then_dir_order(agents, tmp_path):
    d = tmp_path / "dir"
    d.mkdir()

    def args(a):
        f = write_json(tmp_path / "first.json", base_cfg(a, node_name="file-node"))
        write_json(d / "x.json", {"node_name": "dir-node"})
        return ["-config-file", str(f), "-config-dir", str(d)]

    a = raw_agent(agents, tmp_path, args)
    a.start()
    assert self_cfg(a)["Config"]["NodeName"] == "dir-node"


@pytest.mark.parametrize("style", ["space", "equals", "double-dash"])
def test_flag_forms(agents, tmp_path, style):
    def args(a):
        pairs = [("server", None), ("bootstrap", None), ("data-dir", str(a.data_dir)),
                 ("node", f"flag-{style}"), ("bind", a.ip), ("client", a.ip),
                 ("datacenter", "dcflag")]
        out = []
        for k, v in pairs:
            dash = "--" if style == "double-dash" else "-"
            if v is None:
                out.append(f"{dash}{k}")
            elif style == "space":
                out += [f"{dash}{k}", v]
            else:
                out.append(f"{dash}{k}={v}")
        return out

    a = raw_agent(agents, tmp_path, args)
    a.start()
    s = self_cfg(a)
    assert s["Config"]["NodeName"] == f"flag-{style}"
    assert s["Config"]["Datacenter"] == "dcflag"


def test_unknown_key_warns_but_starts(agents, tmp_path):
    def args(a):
        f = write_json(tmp_path / "withunknown.json",
                       base_cfg(a, node_name="unk", totally_unknown_key=123))
        return ["-config-file", str(f)]

    a = raw_agent(agents, tmp_path, args)
    a.start()
    log = a.log_text()
    lines = [l for l in log.splitlines() if "totally_unknown_key" in l]
    assert lines, f"no warning naming the unknown key\n{log}"
    assert any("withunknown.json" in l for l in lines), lines
    assert self_cfg(a)["Config"]["NodeName"] == "unk"


@pytest.mark.parametrize("bad,keyname", [
    ({"ports": {"http": "eighty"}}, "http"),
    ({"server": "yes please"}, "server"),
    ({"raft_snapshot_threshold": "lots"}, "raft_snapshot_threshold"),
])
def test_invalid_value_exits_1(agents, tmp_path, bad, keyname):
    def args(a):
        cfg = base_cfg(a, node_name="bad")
        cfg.update(bad)
        f = write_json(tmp_path / "broken-value.json", cfg)
        return ["-config-file", str(f)]

    a = raw_agent(agents, tmp_path, args)
    a.start(wait=False)
    try:
        rc = a.proc.wait(10)
    except subprocess.TimeoutExpired:
        pytest.fail(f"agent with invalid config kept running\n{a.tail()}")
    assert rc == 1, a.tail()
    log = a.log_text()
    assert "broken-value.json" in log, log
    assert keyname in log, log


def test_invalid_json_exits_1(agents, tmp_path):
    def args(a):
        f = tmp_path / "syntax-error.json"
        f.write_text('{"server": true, ')
        return ["-config-file", str(f)]

    a = raw_agent(agents, tmp_path, args)
    a.start(wait=False)
    rc = a.proc.wait(10)
    assert rc == 1
    assert "syntax-error.json" in a.log_text()


def test_unknown_flag_exits_1(agents, tmp_path):
    a = agents(start=False, args=["-no-such-flag"])
    a.start(wait=False)
    assert a.proc.wait(10) == 1
    assert "no-such-flag" in a.log_text()


def test_pid_file(agents, tmp_path):
    pidf = tmp_path / "agent.pid"
    a = agents(args=["-pid-file", str(pidf)])
    wait_until(lambda: pidf.exists() and pidf.read_text().strip(), what="pid file")
    assert int(pidf.read_text().strip()) == a.pid
    a.stop()
    assert not pidf.exists(), "pid file not removed at shutdown"


def test_sighup_does_not_kill(agents, key):
    a = agents()
    a.kv_put(key, "v")
    a.signal(signal.SIGHUP)
    time.sleep(0.5)
    assert a.running(), a.tail()
    assert a.leader() == f"{a.ip}:8300"
    assert a.kv_raw(key).content == b"v"
    a.signal(signal.SIGHUP)
    time.sleep(0.2)
    assert a.running()


def test_sigint_server_default(agents):
    # Consul: servers default skip_leave_on_interrupt=true -> no leave, exit 1
    a = agents()
    a.signal(signal.SIGINT)
    rc = a.proc.wait(5)
    assert rc == 1
    assert "Graceful shutdown disabled. Exiting" in a.log_text()


def test_sigint_graceful_leave_exits_0(agents, tmp_path):
    def args(a):
        f = write_json(tmp_path / "leave.json",
                       base_cfg(a, node_name="leaver", skip_leave_on_interrupt=False))
        return ["-config-file", str(f)]

    a = raw_agent(agents, tmp_path, args)
    a.start()
    a.signal(signal.SIGINT)
    rc = a.proc.wait(5)
    assert rc == 0, a.tail()
    assert "Graceful exit completed" in a.log_text()


def test_dev_mode(agents, tmp_path, key):
    work = tmp_path / "devcwd"
    work.mkdir()
    home = tmp_path / "home"
    home.mkdir()
    a = agents(mode="dev", start=False, cwd=work, env={"HOME": str(home), "TMPDIR": str(work)})
    a.start(wait=False)
    took = a.wait_ready(timeout=5)
    assert took < 3.0, f"dev agent took {took:.2f}s to elect itself"
    s = self_cfg(a)
    assert s["Config"]["Server"] is True
    assert s["Config"]["NodeName"] == a.name
    a.kv_put(key, "devval")
    # dev agents pretty-print JSON
    r = a.get("/v1/kv/" + key)
    assert r.text == json.dumps(r.json(), indent=4) + "\n"
    a.stop()
    assert os.listdir(work) == [], f"dev agent wrote {os.listdir(work)}"
    assert os.listdir(home) == [], f"dev agent wrote {os.listdir(home)}"
    a.start()
    assert a.get("/v1/kv/" + key).status_code == 404, "dev agent kept data across restarts"


def test_log_line_shape(agents, key):
    a = agents()
    a.kv_put(key, "v")
    a.stop()
    log = a.log_text()
    lines = [l for l in log.splitlines()
             if re.search(r"\[(TRACE|DEBUG|INFO|WARN|ERROR)\]", l)]
    assert lines, log
    bad = [l for l in lines if not LOG_RE.match(l)]
    assert not bad, "log lines not in Consul's hclog shape:\n" + "\n".join(bad[:10])
    assert any(re.search(r"\[INFO\]  agent: ", l) for l in lines), log


@pytest.mark.parametrize("how", ["flag", "config"])
def test_log_json(agents, tmp_path, how):
    if how == "flag":
        a = agents(args=["-log-json"])
    else:
        f = write_json(tmp_path / "logjson.json", {"log_json": True})
        a = agents(args=["-config-file", str(f)])
    a.kv_put("logjson", "v")
    a.stop()
    lines = [l for l in a.log_text().splitlines() if l.strip()]
    assert lines
    for l in lines:
        try:
            obj = json.loads(l)
        except ValueError:
            pytest.fail(f"non-JSON log line with log_json: {l!r}")
        assert isinstance(obj, dict)
        for k in ("@timestamp", "@level", "@message"):
            assert k in obj, (k, l)
        assert obj["@level"] in ("trace", "debug", "info", "warn", "error"), l
    assert any(o.get("@module", "").startswith("agent")
               for o in map(json.loads, lines)), "no @module=agent* line"


def test_log_level_flag(agents):
    a = agents(args=["-log-level=debug"])
    a.kv_put("dbg", "v")
    wait_until(lambda: "[DEBUG]" in a.log_text(), what="a DEBUG line")
    b = agents(args=["-log-level", "warn"])
    b.kv_put("dbg", "v")
    b.stop()
    assert "[INFO]" not in b.log_text() and "[DEBUG]" not in b.log_text()


def test_restart_same_data_dir_keeps_node_id(agents, key):
    a = agents()
    nid = self_cfg(a)["Config"]["NodeID"]
    a.kv_put(key, "v")
    a.restart()
    assert self_cfg(a)["Config"]["NodeID"] == nid
    assert a.kv_raw(key).content == b"v"


def test_two_agents_side_by_side(agents, key):
    a = agents()
    b = agents()
    assert a.ip != b.ip
    a.kv_put(key, "A")
    b.kv_put(key, "B")
    assert a.kv_raw(key).content == b"A"
    assert b.kv_raw(key).content == b"B"
