"""`consul watch` and the agent's `watches` (issue 8).

Consul facts checked here (command/watch, api/watch, agent/watch_handler.go):
- each type is one blocking read; the handler runs once at start and then only
  when the decoded result changes (an index moved by an unrelated write does
  not run it), with the result as one JSON line on stdin and CONSUL_INDEX set;
- without a handler the first result is printed indented by four spaces and
  the command exits 0;
- a handler that fails ends the watch: "Error executing handler: exit status N",
  exit 1; HTTP errors are retried with back-off (5 s x failures^2), never a
  busy loop;
- bad flags exit 1 with Consul's messages;
- agent-config watches: handler_type script (args / legacy handler) or http
  (POST of the JSON with X-Consul-Index), started with the agent; reload keeps
  unchanged watches (cairn: they are not restarted), starts new ones, stops
  removed ones; an invalid watch stops the agent from starting.
The seed 004 scenario: `consul watch -type=checks -service=S nohup python
healthWatch.py`, where the script reads one line of JSON with input().
"""

import base64
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import (BIN, HTTPTarget, json_ok, register_service, run_cli, unique,
                      wait_until, write_json_file)

PY = "/usr/bin/python3"

RECORDER = r'''
import json, os, sys
raw = sys.stdin.read()
with open(sys.argv[1], "a") as f:
    f.write(json.dumps({"index": os.environ.get("CONSUL_INDEX"), "raw": raw}) + "\n")
'''

# seed 004's healthWatch.py, for Python 3: one line of JSON on stdin
HEALTH_WATCH = r'''
import json, sys
serviceStatus = input()
serviceStatus = json.loads(serviceStatus)
with open(sys.argv[1], "a") as f:
    f.write(json.dumps(serviceStatus) + "\n")
'''

QUIET = 0.8  # how long "nothing happens" is watched for


def recorder(tmp_path, name="rec"):
    script = tmp_path / f"{name}.py"
    script.write_text(RECORDER)
    out = tmp_path / f"{name}.jsonl"
    return script, out


def records(out):
    if not out.exists():
        return []
    recs = []
    for line in out.read_text().splitlines():
        r = json.loads(line)
        # the handler gets exactly one line of JSON
        assert r["raw"].endswith("\n") and r["raw"].count("\n") == 1, r["raw"]
        r["data"] = json.loads(r["raw"])
        recs.append(r)
    return recs


def wait_records(out, n, timeout=6.0):
    return wait_until(lambda: len(records(out)) >= n and records(out), timeout=timeout,
                      what=f"{n} handler runs in {out}")


def assert_quiet(out, n):
    time.sleep(QUIET)
    got = records(out)
    assert len(got) == n, f"expected {n} runs, got {len(got)}: {got[n:]}"


class Watch:
    """`cairn watch ...` in the background."""

    def __init__(self, agent, *args, env=None):
        e = dict(os.environ)
        e.pop("CONSUL_HTTP_TOKEN", None)
        e["CONSUL_HTTP_ADDR"] = agent.addr
        if env:
            e.update(env)
        self.proc = subprocess.Popen([str(agent.binary), "watch"] + [str(a) for a in args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=e)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            out, err = self.proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
        return self.proc.returncode, out.decode(), err.decode()


@pytest.fixture
def watches():
    made = []

    def factory(agent, *args, **kw):
        w = Watch(agent, *args, **kw)
        made.append(w)
        return w

    yield factory
    for w in made:
        w.stop()


def kv_index(agent, path, **params):
    r = agent.get(path, params=params or None)
    return int(r.headers["X-Consul-Index"])


def b64(s):
    return base64.b64encode(s.encode()).decode()


# --------------------------------------------------------------------------
# the CLI, one test per type
# --------------------------------------------------------------------------

def test_key_watch_runs_on_start_and_on_each_change_only(agent, watches, tmp_path, key):
    script, out = recorder(tmp_path)
    w = watches(agent, "-type", "key", "-key", f"{key}/k", PY, script, out)
    first = wait_records(out, 1)[0]
    assert first["data"] is None  # missing key: null
    assert int(first["index"]) > 0

    agent.kv_put(f"{key}/k", "v1")
    rec = wait_records(out, 2)[1]
    assert rec["data"]["Key"] == f"{key}/k" and rec["data"]["Value"] == b64("v1")
    assert int(rec["index"]) == kv_index(agent, f"/v1/kv/{key}/k")

    # unrelated writes: no run
    agent.kv_put(f"{key}/other", "x")
    agent.kv_put(f"{key}/k2", "x")
    assert_quiet(out, 2)

    agent.kv_put(f"{key}/k", "v2")
    assert wait_records(out, 3)[2]["data"]["Value"] == b64("v2")
    agent.delete(f"/v1/kv/{key}/k")
    assert wait_records(out, 4)[3]["data"] is None
    assert_quiet(out, 4)
    assert w.proc.poll() is None


def test_keyprefix_watch(agent, watches, tmp_path, key):
    script, out = recorder(tmp_path)
    watches(agent, "-type", "keyprefix", "-prefix", f"{key}/p/", PY, script, out)
    assert wait_records(out, 1)[0]["data"] is None
    agent.kv_put(f"{key}/p/a", "1")
    recs = wait_records(out, 2)
    assert [e["Key"] for e in recs[1]["data"]] == [f"{key}/p/a"]
    agent.kv_put(f"{key}/q", "unrelated")
    assert_quiet(out, 2)
    agent.kv_put(f"{key}/p/b", "2")
    recs = wait_records(out, 3)
    assert [e["Key"] for e in recs[2]["data"]] == [f"{key}/p/a", f"{key}/p/b"]
    assert int(recs[2]["index"]) == kv_index(agent, f"/v1/kv/{key}/p/", recurse=1)


def test_services_watch(agent, watches, tmp_path, key):
    script, out = recorder(tmp_path)
    watches(agent, "-type", "services", PY, script, out)
    first = wait_records(out, 1)[0]
    assert "consul" in first["data"]
    name = unique("svc")
    register_service(agent, {"Name": name, "Tags": ["a"]})
    rec = wait_until(lambda: [r for r in records(out) if name in r["data"]], timeout=6)[0]
    assert rec["data"][name] == ["a"]
    n = len(records(out))
    agent.kv_put(f"{key}/unrelated", "x")
    assert_quiet(out, n)


def test_nodes_watch(agent, watches, tmp_path, key):
    script, out = recorder(tmp_path)
    watches(agent, "-type", "nodes", PY, script, out)
    first = wait_records(out, 1)[0]
    assert agent.name in [n["Node"] for n in first["data"]]
    n = len(records(out))
    agent.kv_put(f"{key}/unrelated", "x")
    register_service(agent, {"Name": unique("svc")})  # moves indexes, not the node list
    assert_quiet(out, n)


def test_service_watch_tag_and_passingonly(agent, watches, tmp_path):
    name = unique("web")
    register_service(agent, {"Name": name, "ID": f"{name}-1", "Tags": ["prod"],
                             "Check": {"CheckID": f"{name}-ttl", "TTL": "60s"}})
    script, out = recorder(tmp_path)
    watches(agent, "-type", "service", "-service", name, "-tag", "prod",
            "-passingonly", "true", PY, script, out)
    assert wait_records(out, 1)[0]["data"] == []  # critical: not passing

    # another instance with another tag, and a critical->warning move: the
    # filtered result does not change, so no run
    register_service(agent, {"Name": name, "ID": f"{name}-2", "Tags": ["dev"]})
    agent.put(f"/v1/agent/check/warn/{name}-ttl")
    assert_quiet(out, 1)

    agent.put(f"/v1/agent/check/pass/{name}-ttl")
    rec = wait_records(out, 2)[1]
    assert [e["Service"]["ID"] for e in rec["data"]] == [f"{name}-1"]
    assert rec["data"][0]["Checks"]
    assert_quiet(out, 2)


def test_checks_watch_service_and_state(agent, watches, tmp_path):
    name = unique("chk")
    register_service(agent, {"Name": name, "Check": {"CheckID": f"{name}-ttl", "TTL": "60s"}})
    s_script, s_out = recorder(tmp_path, "svc")
    c_script, c_out = recorder(tmp_path, "crit")
    watches(agent, "-type", "checks", "-service", name, PY, s_script, s_out)
    watches(agent, "-type", "checks", "-state", "passing", PY, c_script, c_out)
    first = wait_records(s_out, 1)[0]["data"]
    assert [c["CheckID"] for c in first] == [f"{name}-ttl"]
    assert first[0]["Status"] == "critical"
    wait_records(c_out, 1)
    assert f"{name}-ttl" not in [c["CheckID"] for c in records(c_out)[-1]["data"]]

    agent.put(f"/v1/agent/check/pass/{name}-ttl")
    assert wait_records(s_out, 2)[1]["data"][0]["Status"] == "passing"
    wait_until(lambda: f"{name}-ttl" in [c["CheckID"] for c in records(c_out)[-1]["data"]],
               what="the passing check in the state watch")
    assert_quiet(s_out, 2)


def test_event_watch(agent, watches, tmp_path):
    name = unique("ev")
    script, out = recorder(tmp_path)
    watches(agent, "-type", "event", "-name", name, PY, script, out)
    wait_records(out, 1)
    n = len(records(out))
    json_ok(agent.put(f"/v1/event/fire/{name}", data=b"payload"))
    rec = wait_records(out, n + 1)[n]
    assert [e["Name"] for e in rec["data"]] == [name]
    json_ok(agent.put(f"/v1/event/fire/{name}", data=b"again"))
    rec = wait_records(out, n + 2)[n + 1]
    assert len(rec["data"]) == 1  # only the new event
    assert base64.b64decode(rec["data"][0]["Payload"]) == b"again"


def test_seed_health_watch_script(agent, watches, tmp_path):
    """seed 004: consul watch -http-addr=... -type=checks -service=S nohup python healthWatch.py"""
    name = unique("service_nginx")
    register_service(agent, {"ID": name, "Name": name, "Tags": ["singleNginx"],
                             "Check": {"CheckID": f"{name}-ttl", "TTL": "60s"}})
    (tmp_path / "healthWatch.py").write_text(HEALTH_WATCH)
    out = tmp_path / "status.jsonl"
    w = Watch(agent, f"-http-addr={agent.addr}", "-type=checks", f"-service={name}",
              "nohup", PY, tmp_path / "healthWatch.py", out)
    try:
        wait_until(lambda: out.exists() and out.read_text().count("\n") >= 1, timeout=6)
        agent.put(f"/v1/agent/check/pass/{name}-ttl")
        wait_until(lambda: out.read_text().count("\n") >= 2, timeout=6)
        lines = [json.loads(x) for x in out.read_text().splitlines()]
        assert [c["Status"] for c in lines[0]] == ["critical"]
        assert [c["Status"] for c in lines[1]] == ["passing"]
    finally:
        w.stop()


# --------------------------------------------------------------------------
# CLI behaviour
# --------------------------------------------------------------------------

def test_no_handler_prints_indented_json_and_exits(agent, key):
    agent.kv_put(f"{key}/x", "hello")
    p = agent.cli("watch", "-type", "key", "-key", f"{key}/x", timeout=10)
    assert p.returncode == 0, p.stderr
    data = json.loads(p.stdout)
    assert data["Key"] == f"{key}/x" and data["Value"] == b64("hello")
    assert p.stdout.decode() == json.dumps(data, indent=4) + "\n"

    p = agent.cli("watch", "-type", "nodes", timeout=10)
    assert p.returncode == 0
    assert p.stdout.decode().startswith("[\n    {\n        ")


def test_handler_failure_ends_the_watch(agent, key):
    p = agent.cli("watch", "-type", "key", "-key", f"{key}/f", "exit 3", timeout=10)
    assert p.returncode == 1
    assert p.stderr.decode() == "Error executing handler: exit status 3\n"


def test_shell_false_runs_args_directly(agent, key, tmp_path):
    p = agent.cli("watch", "-shell=false", "-type", "key", "-key", f"{key}/s",
                  "no-such-handler-binary", timeout=10)
    assert p.returncode == 1
    assert p.stderr.decode() == ('Error starting handler: exec: "no-such-handler-binary": '
                                 'executable file not found in $PATH\n')


def test_sigint_exits_zero(agent, watches, tmp_path, key):
    script, out = recorder(tmp_path)
    w = watches(agent, "-type", "key", "-key", f"{key}/i", PY, script, out)
    wait_records(out, 1)
    rc, _, err = w.stop()
    assert rc == 0, err


@pytest.mark.parametrize("args,message", [
    ([], "Watch type must be specified\n\nUsage: consul watch [options] [child...]"),
    (["-type", "key"], "Must specify a single key to watch\n"),
    (["-type", "keyprefix"], "Must specify a single prefix to watch\n"),
    (["-type", "service"], "Must specify a single service to watch\n"),
    (["-type", "bogus"], "Unsupported watch type: bogus\n"),
    (["-type", "checks", "-service", "a", "-state", "any"], "Cannot specify service and state\n"),
    (["-type", "service", "-service", "a", "-passingonly", "maybe"],
     'Failed to parse passingonly flag: strconv.ParseBool: parsing "maybe": invalid syntax\n'),
    (["-type", "event", "-stale"], "Invalid parameters: [stale]\n"),
    (["-type", "connect_roots"], "Type connect_roots is not supported in the CLI tool\n"),
    (["-nope"], "flag provided but not defined: -nope\n"),
])
def test_bad_flags(args, message):
    p = run_cli("watch", *args, env={"CONSUL_HTTP_ADDR": "127.0.0.1:1"})
    assert p.returncode == 1
    assert p.stderr.decode().startswith(message), p.stderr.decode()
    assert p.stdout == b""


def test_unreachable_agent():
    p = run_cli("watch", "-type", "nodes", env={"CONSUL_HTTP_ADDR": "127.0.0.1:1"})
    assert p.returncode == 1
    assert p.stderr.decode().startswith(
        'Error querying Consul agent: Get "http://127.0.0.1:1/v1/status/leader": dial tcp '
        '127.0.0.1:1: connect: connection refused'), p.stderr.decode()


def test_http_errors_back_off(tmp_path):
    """A failing endpoint is retried after 5 s, not in a loop."""
    fake = HTTPTarget()
    fake.status = 500
    fake.body = b"boom"
    fake.routes["/v1/status/leader"] = (200, '"127.0.0.1:8300"', {})
    fake.start()
    try:
        p = subprocess.Popen([str(BIN), "watch", f"-http-addr={fake.host}:{fake.port}",
                              "-type", "key", "-key", "k", "cat"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(2.0)
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=5)
        kv = [r for r in fake.requests if r["path"] == "/v1/kv/k"]
        assert len(kv) == 1, kv
        assert "[ERROR] watch: Watch errored: type=key" in err.decode()
        assert 'Unexpected response code: 500 (boom)' in err.decode()
        assert "retry=5s" in err.decode()
    finally:
        fake.stop()


# --------------------------------------------------------------------------
# agent-config watches
# --------------------------------------------------------------------------

def reload_agent(a):
    p = a.cli("reload")
    assert p.returncode == 0, p.stderr


def test_agent_config_watches_and_reload(agents, tmp_path):
    d = tmp_path / "consul.d"
    d.mkdir()
    script, out = recorder(tmp_path, "key")
    _, out2 = recorder(tmp_path, "new")
    sink = HTTPTarget().start()
    write_json_file(d / "w1.json", {"watches": [
        {"type": "key", "key": "cfg/k", "args": [PY, str(script), str(out)]}]})
    write_json_file(d / "w2.json", {"watches": [
        {"type": "keyprefix", "prefix": "cfg/", "handler_type": "http",
         "http_handler_config": {"path": sink.url("/hook"), "method": "PUT",
                                 "header": {"X-Extra": ["a", "b"]}, "timeout": "5s"}}]})
    a = agents(args=("-config-dir", str(d)))
    try:
        assert wait_records(out, 1)[0]["data"] is None
        wait_until(lambda: sink.count >= 1, what="the http handler")
        req = sink.requests[0]
        assert req["method"] == "PUT" and req["path"] == "/hook"
        assert req["headers"]["Content-Type"] == "application/json"
        assert int(req["headers"]["X-Consul-Index"]) > 0
        assert [v for k, v in req["header_list"] if k == "X-Extra"] == ["a", "b"]
        assert json.loads(req["body"]) is None

        a.kv_put("cfg/k", "v1")
        assert wait_records(out, 2)[1]["data"]["Value"] == b64("v1")
        wait_until(lambda: sink.count >= 2, what="the http handler's second run")
        assert [e["Key"] for e in json.loads(sink.requests[1]["body"])] == ["cfg/k"]
        assert int(sink.requests[1]["headers"]["X-Consul-Index"]) == \
            kv_index(a, "/v1/kv/cfg/", recurse=1)

        # reload with one watch added: the unchanged ones do not run again
        write_json_file(d / "w3.json", {"watches": [
            {"type": "key", "key": "cfg/k", "handler": f"{PY} {script} {out2}"}]})
        reload_agent(a)
        assert wait_records(out2, 1)[0]["data"]["Value"] == b64("v1")
        assert_quiet(out, 2)
        assert sink.count == 2

        # reload with w1 removed: it stops, the others go on
        (d / "w1.json").unlink()
        reload_agent(a)
        time.sleep(0.3)
        a.kv_put("cfg/k", "v2")
        assert wait_records(out2, 2)[1]["data"]["Value"] == b64("v2")
        wait_until(lambda: sink.count >= 3, what="the http handler after reload")
        assert_quiet(out, 2)

        # an invalid watch fails the reload and leaves the running ones alone
        write_json_file(d / "bad.json", {"watches": [{"type": "key", "args": ["true"]}]})
        p = a.cli("reload")
        assert p.returncode == 1
        assert "Must specify a single key to watch" in p.stderr.decode()
        a.kv_put("cfg/k", "v3")
        assert wait_records(out2, 3)[2]["data"]["Value"] == b64("v3")
    finally:
        sink.stop()


@pytest.mark.parametrize("watch,message", [
    ({"type": "key", "args": ["true"]}, "Must specify a single key to watch"),
    ({"type": "nope", "args": ["true"]}, "Unsupported watch type: nope"),
    ({"type": "key", "key": "k"}, "Must define a watch handler"),
    ({"type": "key", "key": "k", "args": ["true"], "handler": "true"},
     "Only one watch handler allowed"),
    ({"type": "key", "key": "k", "handler_type": "carrier-pigeon"},
     "Handler type 'carrier-pigeon' not recognized"),
    ({"type": "key", "key": "k", "handler_type": "http"},
     "Handler type 'http' requires 'http_handler_config' to be set"),
    ({"type": "key", "key": "k", "handler_type": "http", "http_handler_config": {}},
     "Failed to parse 'http_handler_config': Requires 'path' to be set"),
    ({"type": "key", "key": "k", "args": ["true"], "colour": "red"},
     "Invalid parameters: [colour]"),
    ({"type": "connect_roots", "args": ["true"]},
     "Watch type connect_roots is not allowed in agent config"),
])
def test_agent_refuses_invalid_watch(agents, tmp_path, watch, message):
    cfg = write_json_file(tmp_path / "w.json", {"watches": [watch]})
    a = agents(args=("-config-file", str(cfg)), wait=False)
    rc = a.proc.wait(timeout=10)
    assert rc == 1
    assert message in a.log_path.read_text()
