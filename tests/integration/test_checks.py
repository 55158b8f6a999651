"""Every check type, through /v1/agent/check/register and service registrations.

Consul facts (agent/checks/check.go, agent/agent.go, agent_endpoint.go, 1.20):
 - a check starts critical unless `status` is given; interval minimum 1s;
 - TTL: pass/warn/fail take ?note= as the output; PUT /v1/agent/check/update
   takes {"Status","Output"}; a bad status is 400 "Invalid check status: '<s>'";
   expiry sets critical with "TTL expired", or "TTL expired (last output before
   timeout follows): <last output>"; outputs over 4096 bytes become
   "<first 4096> ... (captured 4096 of <n> bytes)";
 - HTTP: 2xx passing, 429 warning, anything else critical; output
   "HTTP <METHOD> <url>: <status line> Output: <body>"; the body is kept to
   4096 bytes; User-Agent "Consul Health Check", Accept "text/plain, text/*, */*";
   redirects are followed unless disable_redirects; default timeout 10s;
 - TCP: "TCP connect <addr>: Success"; UDP: "UDP connect <addr>: Success" when a
   reply or a read timeout comes, critical on an error (ICMP port unreachable);
 - gRPC: grpc.health.v1.Health/Check with the service after "/" in the target;
   SERVING -> passing "gRPC check <target>: success", else critical;
 - H2PING: "HTTP2 ping was successful" (h2ping_use_tls=false for h2c);
 - script (args): exit 0 passing, 1 warning, other critical, stdout+stderr as
   output, "Captured <kept> of <total> bytes\n...\n<last bytes>" past 4096,
   "Timed out (<timeout>) running check" after the timeout (default 30s);
   refused over HTTP without enable_script_checks (500, "Scripts are disabled on
   this agent from remote calls; to enable, configure 'enable_script_checks' to
   true"), and from config files without enable_script_checks or
   enable_local_script_checks ("Scripts are disabled on this agent; to enable,
   configure 'enable_script_checks' or 'enable_local_script_checks' to true");
 - alias: mirrors the worst check of the aliased service (or of the node's
   node-level checks): "All checks passing." / "Aliased check \"<name>\" failing: <output>";
 - success_before_passing / failures_before_warning / failures_before_critical:
   consecutive results needed before a transition (the counters start at the
   thresholds, so the first result after registration applies at once);
 - deregister_critical_service_after below 1 minute is raised to 1 minute
   (the reaper runs every 30s).
"""

import json
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from conftest import (HTTPTarget, TCPListener, agent_checks, agent_services, free_port,
                      json_ok, register_check, register_service, unique, wait_check,
                      wait_until, write_json_file)

SCRIPTS_REMOTE = ("Scripts are disabled on this agent from remote calls; to enable, "
                  "configure 'enable_script_checks' to true")
SCRIPTS_LOCAL = ("Scripts are disabled on this agent; to enable, configure "
                 "'enable_script_checks' or 'enable_local_script_checks' to true")


def cid():
    return unique("chk")


def status_of(agent, check_id):
    return agent_checks(agent)[check_id]["Status"]


# --------------------------------------------------------------------------
# TTL
# --------------------------------------------------------------------------

def test_ttl_starts_critical_then_pass_warn_fail(agent):
    c = cid()
    register_check(agent, {"Name": "ttl check", "ID": c, "TTL": "30s"})
    chk = agent_checks(agent)[c]
    assert chk["Status"] == "critical" and chk["Output"] == ""
    assert chk["Name"] == "ttl check" and chk["Type"] == "ttl"
    assert chk["ServiceID"] == "" and chk["ServiceName"] == "" and chk["ServiceTags"] == []
    assert chk["Node"] == agent.name

    for verb, status, note in [("pass", "passing", "all good"), ("warn", "warning", "hmm"),
                               ("fail", "critical", "bad"), ("pass", "passing", "")]:
        r = agent.put(f"/v1/agent/check/{verb}/{c}", params={"note": note} if note else None)
        assert r.status_code == 200, (verb, r.status_code, r.text)
        chk = agent_checks(agent)[c]
        assert chk["Status"] == status, (verb, chk)
        assert chk["Output"] == note, (verb, chk)


def test_ttl_initial_status_given(agent):
    c = cid()
    register_check(agent, {"name": c, "ttl": "30s", "status": "passing"})
    assert status_of(agent, c) == "passing"     # ID defaults to the name
    c2 = cid()
    register_check(agent, {"Name": c2, "TTL": "30s", "Status": "warning"})
    assert status_of(agent, c2) == "warning"
    r = agent.put("/v1/agent/check/register", json={"Name": cid(), "TTL": "30s", "Status": "ok"})
    assert r.status_code == 400 and r.text == "Bad check status"


def test_ttl_update_endpoint(agent):
    c = cid()
    register_check(agent, {"Name": c, "TTL": "30s"})
    r = agent.put(f"/v1/agent/check/update/{c}", json={"Status": "passing", "Output": "via update"})
    assert r.status_code == 200, r.text
    chk = agent_checks(agent)[c]
    assert (chk["Status"], chk["Output"]) == ("passing", "via update")
    r = agent.put(f"/v1/agent/check/update/{c}", json={"Status": "warning"})
    assert r.status_code == 200
    assert agent_checks(agent)[c]["Status"] == "warning"
    r = agent.put(f"/v1/agent/check/update/{c}", json={"Status": "bogus", "Output": "x"})
    assert r.status_code == 400
    assert r.text == "Invalid check status: 'bogus'"
    assert agent_checks(agent)[c]["Status"] == "warning"


def test_ttl_output_capped_at_4k(agent):
    c = cid()
    register_check(agent, {"Name": c, "TTL": "30s"})
    r = agent.put(f"/v1/agent/check/update/{c}", json={"Status": "passing", "Output": "y" * 5000})
    assert r.status_code == 200
    assert agent_checks(agent)[c]["Output"] == "y" * 4096 + " ... (captured 4096 of 5000 bytes)"
    r = agent.put(f"/v1/agent/check/pass/{c}", params={"note": "z" * 4097})
    assert r.status_code == 200
    assert agent_checks(agent)[c]["Output"] == "z" * 4096 + " ... (captured 4096 of 4097 bytes)"


def test_ttl_expiry_text(agent):
    c1, c2 = cid(), cid()
    register_check(agent, {"Name": c1, "TTL": "1s"})
    register_check(agent, {"Name": c2, "TTL": "1s"})
    t0 = time.monotonic()
    assert agent.put(f"/v1/agent/check/pass/{c1}", params={"note": "last words"}).status_code == 200
    assert agent.put(f"/v1/agent/check/pass/{c2}").status_code == 200
    assert status_of(agent, c1) == "passing"
    a = wait_check(agent, c1, "critical", timeout=3)
    b = wait_check(agent, c2, "critical", timeout=3)
    assert time.monotonic() - t0 >= 0.9, "TTL expired early"
    assert a["Output"] == "TTL expired (last output before timeout follows): last words"
    assert b["Output"] == "TTL expired"
    # a pass renews it
    assert agent.put(f"/v1/agent/check/pass/{c1}").status_code == 200
    assert status_of(agent, c1) == "passing"


def test_ttl_unknown_and_non_ttl_checks(agent):
    r = agent.put("/v1/agent/check/pass/no-such-check")
    assert r.status_code == 404
    assert r.text == ('Unknown check ID "no-such-check". Ensure that the check ID is passed, '
                      'not the check name.')
    lis = TCPListener()
    try:
        c = cid()
        register_check(agent, {"Name": c, "TCP": lis.addr, "Interval": "10s"})
        r = agent.put(f"/v1/agent/check/pass/{c}")
        assert r.status_code == 500
        assert r.text == f'CheckID "{c}" does not have associated TTL'
    finally:
        lis.close()


def test_check_register_validation(agent):
    r = agent.put("/v1/agent/check/register", json={"TTL": "10s"})
    assert r.status_code == 400 and r.text == "Missing check name"
    r = agent.put("/v1/agent/check/register", json={"Name": cid()})
    assert r.status_code == 400 and r.text.startswith("Invalid check: "), r.text
    r = agent.put("/v1/agent/check/register",
                  json={"Name": cid(), "HTTP": "http://127.0.0.1:1/"})     # no interval
    assert r.status_code == 400 and r.text.startswith("Invalid check: "), r.text
    r = agent.put("/v1/agent/check/register",
                  json={"Name": cid(), "TTL": "10s", "ServiceID": "no-such-service"})
    assert r.status_code == 404
    assert r.text == 'ServiceID "no-such-service" does not exist'
    r = agent.put("/v1/agent/check/register", data=b"{not json")
    assert r.status_code == 400 and r.text.startswith("Request decode failed: ")


def test_check_deregister(agent):
    c = cid()
    register_check(agent, {"Name": c, "TTL": "10s"})
    assert c in agent_checks(agent)
    r = agent.put(f"/v1/agent/check/deregister/{c}")
    assert r.status_code == 200, r.text
    assert c not in agent_checks(agent)
    r = agent.put(f"/v1/agent/check/deregister/{c}")
    assert r.status_code == 404


# --------------------------------------------------------------------------
# TCP / UDP
# --------------------------------------------------------------------------

def test_tcp_up_and_down(agent):
    lis = TCPListener()
    c_up, c_down = cid(), cid()
    down = f"127.0.0.1:{free_port()}"
    try:
        register_check(agent, {"Name": c_up, "TCP": lis.addr, "Interval": "1s", "Timeout": "1s"})
        register_check(agent, {"Name": c_down, "TCP": down, "Interval": "1s", "Timeout": "1s",
                               "Status": "passing"})
        up = wait_check(agent, c_up, "passing", timeout=4)
        assert up["Output"] == f"TCP connect {lis.addr}: Success"
        assert up["Type"] == "tcp"
        dn = wait_check(agent, c_down, "critical", timeout=4)
        assert "refused" in dn["Output"], dn
        assert lis.accepted >= 1
        lis.close()
        wait_check(agent, c_up, "critical", timeout=3)
    finally:
        lis.close()


class UDPEcho:
    def __init__(self, host="127.0.0.1"):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.addr = f"{host}:{self.sock.getsockname()[1]}"
        self.got = []
        self.sock.settimeout(0.1)
        self._stop = False
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self):
        while not self._stop:
            try:
                data, peer = self.sock.recvfrom(65535)
            except (socket.timeout, OSError):
                continue
            self.got.append(data)
            try:
                self.sock.sendto(data or b".", peer)
            except OSError:
                pass

    def close(self):
        self._stop = True
        self._t.join(1)
        self.sock.close()


def test_udp_up_and_down(agent):
    echo = UDPEcho()
    down = f"127.0.0.1:{free_port(kind=socket.SOCK_DGRAM)}"
    c_up, c_down = cid(), cid()
    try:
        register_check(agent, {"Name": c_up, "UDP": echo.addr, "Interval": "1s", "Timeout": "1s"})
        register_check(agent, {"Name": c_down, "UDP": down, "Interval": "1s", "Timeout": "1s",
                               "Status": "passing"})
        up = wait_check(agent, c_up, "passing", timeout=4)
        assert up["Output"] == f"UDP connect {echo.addr}: Success"
        assert up["Type"] == "udp"
        assert echo.got, "the UDP check sent nothing"
        wait_check(agent, c_down, "critical", timeout=4)
    finally:
        echo.close()


# --------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------

@pytest.mark.parametrize("code,status,reason", [
    (200, "passing", "200 OK"),
    (204, "passing", "204 No Content"),
    (429, "warning", "429 Too Many Requests"),
    (500, "critical", "500 Internal Server Error"),
    (404, "critical", "404 Not Found"),
])
def test_http_status_mapping(agent, http_target, code, status, reason):
    body = "" if code == 204 else f"body-{code}"
    http_target.routes["/s"] = (code, body, {})
    c = cid()
    initial = "critical" if status != "critical" else "passing"
    register_check(agent, {"Name": c, "HTTP": http_target.url("/s"), "Interval": "1s",
                           "Status": initial})
    chk = wait_check(agent, c, status, timeout=4)
    assert chk["Output"] == f"HTTP GET {http_target.url('/s')}: {reason} Output: {body}"
    assert chk["Type"] == "http"


def test_http_timeout(agent, http_target):
    http_target.delay = 3.0
    c = cid()
    register_check(agent, {"Name": c, "HTTP": http_target.url("/slow"), "Interval": "1s",
                           "Timeout": "500ms", "Status": "passing"})
    t0 = time.monotonic()
    chk = wait_check(agent, c, "critical", timeout=4)
    assert time.monotonic() - t0 < 3.0, "check waited for the slow server instead of timing out"
    assert chk["Output"] and "200 OK" not in chk["Output"]


def test_http_method_header_body(agent, http_target):
    c = cid()
    register_check(agent, {
        "Name": c, "HTTP": http_target.url("/m"), "Interval": "1s",
        "Method": "PUT", "Header": {"X-Test": ["a", "b"], "X-One": ["1"]},
        "Body": "{\"ping\": true}"})
    chk = wait_check(agent, c, "passing", timeout=4)
    assert chk["Output"] == f"HTTP PUT {http_target.url('/m')}: 200 OK Output: ok"
    req = [r for r in http_target.requests if r["path"] == "/m"][0]
    assert req["method"] == "PUT"
    assert req["body"] == b"{\"ping\": true}"
    assert [v for k, v in req["header_list"] if k.lower() == "x-test"] == ["a", "b"]
    assert req["headers"].get("X-One") == "1"
    assert req["headers"].get("User-Agent") == "Consul Health Check"
    assert req["headers"].get("Accept") == "text/plain, text/*, */*"


def test_http_host_header_and_user_agent_override(agent, http_target):
    c = cid()
    register_check(agent, {"name": c, "http": http_target.url("/h"), "interval": "1s",
                           "header": {"Host": ["virtual.example"], "User-Agent": ["mine/1.0"]}})
    wait_check(agent, c, "passing", timeout=4)
    req = [r for r in http_target.requests if r["path"] == "/h"][0]
    assert req["headers"].get("Host") == "virtual.example"
    assert req["headers"].get("User-Agent") == "mine/1.0"


def test_http_redirects(agent, http_target):
    http_target.routes["/r"] = (302, "", {"Location": "/final"})
    http_target.routes["/final"] = (200, "landed", {})
    follow, nofollow = cid(), cid()
    register_check(agent, {"Name": follow, "HTTP": http_target.url("/r"), "Interval": "1s"})
    register_check(agent, {"Name": nofollow, "HTTP": http_target.url("/r"), "Interval": "1s",
                           "DisableRedirects": True, "Status": "passing"})
    a = wait_check(agent, follow, "passing", timeout=4)
    assert a["Output"] == f"HTTP GET {http_target.url('/r')}: 200 OK Output: landed"
    b = wait_check(agent, nofollow, "critical", timeout=4)
    assert b["Output"] == f"HTTP GET {http_target.url('/r')}: 302 Found Output: "


def test_http_output_capped_at_4k(agent, http_target):
    http_target.routes["/big"] = (200, "x" * 10000, {})
    c = cid()
    register_check(agent, {"Name": c, "HTTP": http_target.url("/big"), "Interval": "1s"})
    chk = wait_check(agent, c, "passing", timeout=4)
    assert chk["Output"] == f"HTTP GET {http_target.url('/big')}: 200 OK Output: " + "x" * 4096


def test_http_connection_refused(agent):
    c = cid()
    url = f"http://127.0.0.1:{free_port()}/"
    register_check(agent, {"Name": c, "HTTP": url, "Interval": "1s", "Status": "passing"})
    chk = wait_check(agent, c, "critical", timeout=4)
    assert "refused" in chk["Output"], chk


# --------------------------------------------------------------------------
# gRPC and H2PING (python3-grpcio from Debian)
# --------------------------------------------------------------------------

class GRPCHealth:
    """grpc.health.v1.Health served by grpcio (python3-grpcio from Debian) in a
    child process (grpc_health_server.py), so grpcio never runs inside pytest,
    which forks agents."""
    SERVING, NOT_SERVING = 1, 2

    def __init__(self):
        script = Path(__file__).with_name("grpc_health_server.py")
        self.proc = subprocess.Popen(["/usr/bin/python3", str(script)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("port "):
            err = self.proc.stderr.read() if self.proc.poll() is not None else ""
            pytest.fail(f"gRPC health server did not start (python3-grpcio installed?): "
                        f"{line!r} {err}")
        self.port = int(line.split()[1])
        self.addr = f"127.0.0.1:{self.port}"

    def _cmd(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def set(self, service, status):
        assert self._cmd(f"set {service or '-'} {status}") == "ok"

    @property
    def asked(self):
        return json.loads(self._cmd("asked"))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def grpc_health():
    g = GRPCHealth()
    yield g
    g.stop()


def test_grpc_health(agent, grpc_health):
    grpc_health.set("web", GRPCHealth.SERVING)
    grpc_health.set("sick", GRPCHealth.NOT_SERVING)
    whole, web, sick, unknown = cid(), cid(), cid(), cid()
    register_check(agent, {"Name": whole, "GRPC": grpc_health.addr, "Interval": "1s"})
    register_check(agent, {"Name": web, "GRPC": grpc_health.addr + "/web", "Interval": "1s"})
    register_check(agent, {"Name": sick, "GRPC": grpc_health.addr + "/sick", "Interval": "1s",
                           "Status": "passing"})
    register_check(agent, {"Name": unknown, "grpc": grpc_health.addr + "/nope",
                           "grpc_use_tls": False, "interval": "1s", "status": "passing"})
    a = wait_check(agent, whole, "passing", timeout=4)
    assert a["Output"] == f"gRPC check {grpc_health.addr}: success"
    assert a["Type"] == "grpc"
    b = wait_check(agent, web, "passing", timeout=4)
    assert b["Output"] == f"gRPC check {grpc_health.addr}/web: success"
    wait_check(agent, sick, "critical", timeout=4)
    wait_check(agent, unknown, "critical", timeout=4)
    assert {"", "web", "sick", "nope"} <= set(grpc_health.asked)
    # the server flips to NOT_SERVING, then goes away
    grpc_health.set("web", GRPCHealth.NOT_SERVING)
    wait_check(agent, web, "critical", timeout=3)
    grpc_health.stop()
    wait_check(agent, whole, "critical", timeout=3)


def test_h2ping(agent, grpc_health):
    up, down = cid(), cid()
    register_check(agent, {"Name": up, "H2PING": grpc_health.addr, "H2PingUseTLS": False,
                           "Interval": "1s"})
    register_check(agent, {"Name": down, "h2ping": f"127.0.0.1:{free_port()}",
                           "h2ping_use_tls": False, "interval": "1s", "status": "passing"})
    a = wait_check(agent, up, "passing", timeout=4)
    assert a["Output"] == "HTTP2 ping was successful"
    assert a["Type"] == "h2ping"
    wait_check(agent, down, "critical", timeout=4)


# --------------------------------------------------------------------------
# alias
# --------------------------------------------------------------------------

def test_alias_service_and_node(agents):
    a = agents()
    register_service(a, {"Name": "aliased", "ID": "aliased",
                         "Check": {"CheckID": "aliased-ttl", "TTL": "30s"}})
    register_service(a, {"Name": "front", "ID": "front",
                         "Check": {"CheckID": "front-alias", "AliasService": "aliased"}})
    chk = wait_check(a, "front-alias", "critical", timeout=3)
    assert chk["Type"] == "alias"
    assert a.put("/v1/agent/check/pass/aliased-ttl", params={"note": "fine"}).status_code == 200
    chk = wait_check(a, "front-alias", "passing", timeout=3)
    assert chk["Output"] == "All checks passing."
    assert a.put("/v1/agent/check/warn/aliased-ttl", params={"note": "meh"}).status_code == 200
    chk = wait_check(a, "front-alias", "warning", timeout=3)
    assert chk["Output"] == "Aliased check \"Service 'aliased' check\" failing: meh"
    assert a.put("/v1/agent/check/fail/aliased-ttl", params={"note": "down"}).status_code == 200
    chk = wait_check(a, "front-alias", "critical", timeout=3)
    assert chk["Output"] == "Aliased check \"Service 'aliased' check\" failing: down"

    # alias_node: mirrors the node-level checks of this node (serfHealth, node-ttl);
    # it belongs to a service so that it does not alias itself
    register_check(a, {"Name": "node ttl", "ID": "node-ttl", "TTL": "30s"})
    register_service(a, {"Name": "watcher", "ID": "watcher",
                         "Check": {"CheckID": "node-alias", "AliasNode": a.name,
                                   "Status": "passing"}})
    wait_check(a, "node-alias", "critical", timeout=4)
    a.put("/v1/agent/check/pass/node-ttl")
    wait_check(a, "node-alias", "passing", timeout=4)

    # alias of a service that does not exist is critical
    register_service(a, {"Name": "ghostwatch", "ID": "ghostwatch",
                         "check": {"id": "ghost-alias", "alias_service": "ghost",
                                   "status": "passing"}})
    wait_check(a, "ghost-alias", "critical", timeout=3)


def test_alias_rejects_interval_and_ttl(agent):
    r = agent.put("/v1/agent/check/register",
                  json={"Name": cid(), "AliasService": "x", "TTL": "10s"})
    assert r.status_code == 400 and r.text.startswith("Invalid check: "), r.text


# --------------------------------------------------------------------------
# script checks
# --------------------------------------------------------------------------

def cfg_agent(agents, tmp_path, name, cfg):
    f = write_json_file(tmp_path / f"{name}.json", cfg)
    return agents(args=["-config-file", str(f)])


def test_script_checks_enabled(agents, tmp_path):
    a = cfg_agent(agents, tmp_path, "scripts", {"enable_script_checks": True})
    for name, args, status, output in [
            ("ok", ["sh", "-c", "echo out; echo err >&2; exit 0"], "passing", None),
            ("warn", ["sh", "-c", "echo w; exit 1"], "warning", "w\n"),
            ("crit", ["sh", "-c", "echo c; exit 2"], "critical", "c\n"),
            ("crit3", ["sh", "-c", "exit 3"], "critical", "")]:
        register_check(a, {"Name": name, "Args": args, "Interval": "1s",
                           "Status": "critical" if status != "critical" else "passing"})
        chk = wait_check(a, name, status, timeout=4)
        assert chk["Type"] == "script"
        if output is not None:
            assert chk["Output"] == output, (name, chk)
        else:
            assert sorted(chk["Output"].splitlines()) == ["err", "out"], chk
    # snake_case and ScriptArgs spellings
    register_check(a, {"name": "snake", "script_args": ["true"], "interval": "1s"})
    register_check(a, {"Name": "camel", "ScriptArgs": ["true"], "Interval": "1s"})
    wait_check(a, "snake", "passing", timeout=4)
    wait_check(a, "camel", "passing", timeout=4)


def test_script_output_cap_and_timeout(agents, tmp_path):
    a = cfg_agent(agents, tmp_path, "scripts", {"enable_script_checks": True})
    register_check(a, {"Name": "big", "Interval": "1s",
                       "Args": ["sh", "-c", "head -c 10000 /dev/zero | tr '\\0' x"]})
    chk = wait_check(a, "big", "passing", timeout=4)
    assert chk["Output"] == "Captured 4096 of 10000 bytes\n...\n" + "x" * 4096
    register_check(a, {"Name": "slow", "Interval": "1s", "Timeout": "1s", "Status": "passing",
                       "Args": ["sh", "-c", "echo started; sleep 5"]})
    t0 = time.monotonic()
    chk = wait_check(a, "slow", "critical", timeout=4)
    assert time.monotonic() - t0 < 3.5
    assert chk["Output"].startswith("Timed out (1s) running check"), chk
    assert "started" in chk["Output"]


def test_script_refused_over_http_by_default(agent):
    r = agent.put("/v1/agent/check/register",
                  json={"Name": cid(), "Args": ["true"], "Interval": "10s"})
    assert r.status_code == 500, r.text
    assert r.text == SCRIPTS_REMOTE
    name = unique("scriptsvc")
    r = agent.put("/v1/agent/service/register",
                  json={"Name": name, "Check": {"Args": ["true"], "Interval": "10s"}})
    assert r.status_code == 500, r.text
    assert r.text == SCRIPTS_REMOTE
    assert name not in agent_services(agent)


def test_local_script_checks_only_from_config(agents, tmp_path):
    d = tmp_path / "conf.d"
    d.mkdir()
    write_json_file(d / "local.json", {
        "enable_local_script_checks": True,
        "service": {"name": "scripted", "check": {"id": "scripted-chk", "args": ["true"],
                                                  "interval": "1s"}}})
    a = agents(args=["-config-dir", str(d)])
    wait_check(a, "scripted-chk", "passing", timeout=4)
    r = a.put("/v1/agent/check/register", json={"Name": cid(), "Args": ["true"], "Interval": "1s"})
    assert r.status_code == 500 and r.text == SCRIPTS_REMOTE


def test_config_script_check_refused_without_enable(agents, tmp_path):
    d = tmp_path / "conf.d"
    d.mkdir()
    write_json_file(d / "svc.json", {
        "service": {"name": "scripted", "check": {"args": ["true"], "interval": "10s"}}})
    a = agents(start=False, args=["-config-dir", str(d)])
    a.start(wait=False)
    try:
        rc = a.proc.wait(10)
    except subprocess.TimeoutExpired:
        pytest.fail("agent kept running with a script check in its config and scripts disabled")
    assert rc != 0, "agent started with a script check and scripts disabled"
    assert SCRIPTS_LOCAL in a.log_text(), a.tail()


# --------------------------------------------------------------------------
# thresholds, deregister_critical_service_after
# --------------------------------------------------------------------------

def _status_after(agent, target, check_id, n):
    """Status right after the target has served its n-th request."""
    target.wait_requests(n, timeout=4)
    time.sleep(0.3)
    assert target.count == n, "check ran faster than its 1s interval"
    return status_of(agent, check_id)


def test_failures_before_critical_and_success_before_passing(agent):
    t = HTTPTarget().start()
    try:
        c = cid()
        register_check(agent, {"Name": c, "HTTP": t.url("/"), "Interval": "1s",
                               "SuccessBeforePassing": 2, "FailuresBeforeCritical": 3})
        # the counters start at their thresholds: the first result applies at once
        t.wait_requests(1)
        wait_check(agent, c, "passing", timeout=1)
        base = t.count
        t.status = 500
        assert _status_after(agent, t, c, base + 1) == "passing"
        assert _status_after(agent, t, c, base + 2) == "passing"
        assert _status_after(agent, t, c, base + 3) == "critical"
        t.status = 200
        assert _status_after(agent, t, c, base + 4) == "critical"
        assert _status_after(agent, t, c, base + 5) == "passing"
    finally:
        t.stop()


def test_failures_before_warning(agent):
    t = HTTPTarget().start()
    try:
        c = cid()
        register_check(agent, {"name": c, "http": t.url("/"), "interval": "1s",
                               "failures_before_warning": 1, "failures_before_critical": 3})
        t.wait_requests(1)
        wait_check(agent, c, "passing", timeout=1)
        base = t.count
        t.status = 500
        assert _status_after(agent, t, c, base + 1) == "warning"
        assert _status_after(agent, t, c, base + 2) == "warning"
        assert _status_after(agent, t, c, base + 3) == "critical"
    finally:
        t.stop()


def test_deregister_critical_service_after_has_one_minute_minimum(agent):
    name = unique("reap")
    register_service(agent, {"Name": name, "Check": {"TTL": "30s",
                                                     "DeregisterCriticalServiceAfter": "1s"}})
    register_service(agent, {"name": name + "-snake", "check": {
        "ttl": "30s", "deregister_critical_service_after": "90m"}})
    assert status_of(agent, f"service:{name}") == "critical"
    time.sleep(2.5)
    svcs = agent_services(agent)
    assert name in svcs, "reaped before the 1 minute minimum"
    assert name + "-snake" in svcs
    checks = wait_until(lambda: json_ok(agent.get(f"/v1/health/checks/{name}")), 5,
                        what="service check in the catalog")
    assert [c["Status"] for c in checks] == ["critical"]


def test_check_interval_below_one_second_is_raised(agent, http_target):
    c = cid()
    register_check(agent, {"Name": c, "HTTP": http_target.url("/fast"), "Interval": "100ms"})
    wait_check(agent, c, "passing", timeout=3)
    n0 = len([r for r in http_target.requests if r["path"] == "/fast"])
    time.sleep(1.5)
    n1 = len([r for r in http_target.requests if r["path"] == "/fast"])
    assert n1 - n0 <= 2, f"{n1 - n0} runs in 1.5s with a 100ms interval (minimum is 1s)"


def test_check_for_service_gets_service_name_and_tags(agent):
    name = unique("tagged")
    register_service(agent, {"Name": name, "ID": name, "Tags": ["t1", "t2"]})
    register_check(agent, {"Name": "svc ttl", "ID": name + "-ttl", "TTL": "30s",
                           "ServiceID": name})
    chk = agent_checks(agent)[name + "-ttl"]
    assert chk["ServiceID"] == name and chk["ServiceName"] == name
    assert chk["ServiceTags"] == ["t1", "t2"]
    # deregistering the service removes its checks
    assert agent.put(f"/v1/agent/service/deregister/{name}").status_code == 200
    assert name + "-ttl" not in agent_checks(agent)
