"""`cairn exec` against a real agent.

Consul facts used here (command/exec/exec.go, agent/user_event.go):
- the command line: arguments joined by spaces (run by a shell), the argument
  vector itself with -shell=false, or stdin as a script with "-". Errors, all exit
  1: "Must specify a command to execute" followed by a blank line and the help
  (stderr); "Cannot configure -shell=false when reading from stdin"; "Cannot
  provide tag filter without service filter."; "Failed to compile node filter
  regexp: ..."; "Error querying Consul agent: ...".
- the protocol: a session "Remote Exec" (Behavior delete, TTL 15s); the job spec
  {"Command"|"Args"|"Script", "Wait": ns} at _rexec/<session>/job acquired by it;
  the user event "_rexec" with payload {"Prefix": "_rexec", "Session": <id>};
  then the keys <node>/ack, <node>/out/<n> and <node>/exit under
  _rexec/<session>/ are read until nothing new came for -wait; output lines are
  printed as "    <node>: <line>", exits as "==> <node>: finished with exit code
  N", then "N / M node(s) completed / acknowledged"; exit 2 when a node failed
  or never finished, else 0. The session and the _rexec/<session> tree are
  removed at the end.
- agents refuse remote exec by default (disable_remote_exec = true): they ignore
  the event, so nothing acknowledges and Consul's CLI ends with "0 / 0 node(s)
  completed / acknowledged", exit 0.

cairn agents do not execute remote jobs (the agent side of remote exec is not
built), so the protocol test plays the part of a Consul agent that has
disable_remote_exec = false: it reads the job and writes ack/out/exit keys with
the session, exactly as agent/remote_exec.go does, through the real agent's KV.
"""

import base64
import json
import re
import threading
import time

import pytest


def no_rexec_left(agent):
    r = agent.get("/v1/kv/_rexec", params={"recurse": ""})
    assert r.status_code == 404, r.text
    assert agent.get("/v1/session/list").json() == []


def has_event_fire(agent):
    r = agent.put("/v1/event/fire/cairn-exec-probe")
    return r.status_code != 404


@pytest.mark.parametrize("args,stdin,message", [
    ((), None, "Must specify a command to execute"),
    (("-shell=false", "-"), None, "Cannot configure -shell=false when reading from stdin"),
    (("-tag", "v1", "uptime"), None, "Cannot provide tag filter without service filter."),
    (("-node", "(", "uptime"), None, "Failed to compile node filter regexp: "),
    (("-service", "web", "-tag", "[", "uptime"), None, "Failed to compile tag filter regexp: "),
    (("-bogus", "uptime"), None, "flag provided but not defined: -bogus"),
])
def test_usage_errors(agent, args, stdin, message):
    p = agent.cli("exec", *args, input=stdin)
    assert p.returncode == 1
    err = p.stderr.decode()
    assert err.startswith(message), err
    assert p.stdout == b""
    if message.startswith("Must specify"):
        assert err.startswith(message + "\n\nUsage: consul exec [options] [-|command...]\n")
        assert "\n  -wait-repl=<duration>\n" in err


def test_unreachable_agent(agent):
    p = agent.cli("exec", "uptime", env={"CONSUL_HTTP_ADDR": "127.0.0.1:1"})
    assert p.returncode == 1
    assert p.stderr.decode() == ('Error querying Consul agent: Get '
                                 '"http://127.0.0.1:1/v1/agent/self": dial tcp 127.0.0.1:1: '
                                 'connect: connection refused\n')


def test_help(agent):
    p = agent.cli("exec", "-h")
    assert p.returncode == 0
    text = p.stdout.decode()
    assert text.startswith("Usage: consul exec [options] [-|command...]\n")
    for flag in ("-node=<string>", "-service=<string>", "-tag=<string>", "-prefix=<string>",
                 "-shell", "-wait=<duration>", "-wait-repl=<duration>", "-verbose",
                 "-datacenter=<value>", "-stale"):
        assert "\n  " + flag + "\n" in text, flag


def test_remote_exec_disabled_by_default(agent):
    """Nobody runs the job: Consul's "0 / 0" after -wait, exit 0 (or, on an agent
    without the event endpoint, Consul's api error for the event, exit 1)."""
    start = time.monotonic()
    p = agent.cli("exec", "-verbose", "-wait=1s", "uptime")
    took = time.monotonic() - start
    out, err = p.stdout.decode(), p.stderr.decode()
    lines = out.splitlines()
    assert re.fullmatch(r"Created remote execution session: [0-9a-f-]{36}", lines[0]), out
    assert lines[1] == "Uploaded remote execution spec"
    if has_event_fire(agent):
        assert p.returncode == 0, err
        assert re.fullmatch(r"Fired remote execution event: [0-9a-f-]{36}", lines[2])
        assert lines[3] == "0 / 0 node(s) completed / acknowledged"
        assert re.fullmatch(r"Completed in \d+\.\d\d seconds", lines[4])
        assert len(lines) == 5
        assert err == ""
        assert took >= 1.0
    else:
        assert p.returncode == 1
        assert err.startswith("Failed to fire event: Unexpected response code: 404 (")
    no_rexec_left(agent)


class Responder(threading.Thread):
    """What a Consul agent with remote exec enabled writes for a job."""

    def __init__(self, agent, node, output, code, ack_only=False):
        super().__init__(daemon=True)
        self.agent, self.node, self.output, self.code = agent, node, output, code
        self.ack_only = ack_only
        self.spec = None
        self.session = None
        self.error = None

    def put(self, key, value):
        r = self.agent.put(f"/v1/kv/{key}", data=value, params={"acquire": self.session})
        assert r.json() is True, (key, r.text)

    def run(self):
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                r = self.agent.get("/v1/kv/_rexec", params={"recurse": ""})
                if r.status_code == 200:
                    job = [e for e in r.json() if e["Key"].endswith("/job")]
                    if job:
                        break
                time.sleep(0.02)
            else:
                raise AssertionError("no job appeared")
            self.session = job[0]["Session"]
            self.spec = json.loads(base64.b64decode(job[0]["Value"]))
            d = f"_rexec/{self.session}/{self.node}"
            self.put(f"{d}/ack", "")
            if self.ack_only:
                return
            time.sleep(0.2)
            self.put(f"{d}/out/00000", "")  # a heartbeat
            self.put(f"{d}/out/00001", self.output)
            self.put(f"{d}/exit", str(self.code))
        except Exception as e:  # reported by the test
            self.error = e


@pytest.mark.parametrize("args,stdin,spec,code,rc", [
    (("echo", "hello"), None, {"Command": "echo hello", "Wait": 1000000000}, 0, 0),
    (("-shell=false", "ls", "-l"), None, {"Args": ["ls", "-l"], "Wait": 1000000000}, 3, 2),
    (("-",), b"uptime\n", {"Script": base64.b64encode(b"uptime\n").decode(),
                           "Wait": 1000000000}, 0, 0),
])
def test_protocol_with_an_enabled_node(agent, args, stdin, spec, code, rc):
    if not has_event_fire(agent):
        pytest.skip("agent has no /v1/event/fire")
    node = "remote-1"
    resp = Responder(agent, node, "hello\nworld\n", code)
    resp.start()
    p = agent.cli("exec", "-wait=1s", *args, input=stdin)
    resp.join(5)
    assert resp.error is None, resp.error
    assert resp.spec == spec
    assert p.returncode == rc, p.stderr
    assert p.stdout.decode() == (f"    {node}: hello\n"
                                 f"    {node}: world\n"
                                 f"==> {node}: finished with exit code {code}\n"
                                 "1 / 1 node(s) completed / acknowledged\n")
    assert p.stderr == b""
    no_rexec_left(agent)


def test_acknowledged_but_never_finished(agent):
    if not has_event_fire(agent):
        pytest.skip("agent has no /v1/event/fire")
    resp = Responder(agent, "slow-1", "", 0, ack_only=True)
    resp.start()
    start = time.monotonic()
    p = agent.cli("exec", "-verbose", "-wait=1s", "sleep 100")
    took = time.monotonic() - start
    resp.join(5)
    assert resp.error is None, resp.error
    assert p.returncode == 2
    out = p.stdout.decode()
    assert "==> slow-1: acknowledged\n" in out
    assert "0 / 1 node(s) completed / acknowledged\n" in out
    assert took >= 2.0  # twice -wait while a node is working
    no_rexec_left(agent)


def test_foreign_datacenter_needs_a_server_there(agent):
    """In another datacenter the session is bound to a passing "consul" node there;
    a datacenter the agent cannot reach fails at the session step."""
    p = agent.cli("exec", "-verbose", "-datacenter", "dc-nowhere", "uptime")
    assert p.returncode == 1
    assert p.stdout.decode() == "Remote exec in foreign datacenter, using Session TTL\n"
    assert p.stderr.decode() == ("Failed to create session: Failed to find Consul server in "
                                 "remote datacenter: Unexpected response code: 500 (No path "
                                 "to datacenter)\n")
    no_rexec_left(agent)
