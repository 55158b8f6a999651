"""The HTTP API on unix domain sockets (addresses.http = "unix:///path").

Consul facts used here (agent configuration reference, agent.go listeners):
- addresses.http (and https) replaces client_addr for that listener; it is a
  space-separated list of IPs and unix:///path sockets.
- unix_sockets { user, group, mode } sets the socket file's owner and octal
  mode ("0600").
- A socket file left at the path is replaced ("Replacing socket"); the file
  is removed when the agent stops (Go's UnixListener.Close).
- The log says "Started HTTP server: address=/path network=unix", and requests
  from an unnamed unix client are logged "from=@".
- The CLI dials CONSUL_HTTP_ADDR=unix:///path.
cairn refuses to replace a path that is not a socket (Consul removes any file).
"""

import http.client
import json
import os
import shutil
import socket
import stat
import subprocess
import tempfile

import pytest

from conftest import Agent, unique, wait_until

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=5):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.path)
        self.sock = s


def unix_get(path, url, method="GET", body=None):
    c = UnixHTTPConnection(path)
    try:
        c.request(method, url, body=body)
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def leader_on(path):
    try:
        st, body = unix_get(path, "/v1/status/leader")
    except OSError:
        return False
    return st == 200 and json.loads(body) != ""


@pytest.fixture
def sockdir():
    # sun_path is short (108 bytes): pytest's tmp dirs can be longer
    d = tempfile.mkdtemp(prefix="cairn-ux-", dir="/tmp")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def start_unix_agent(tmp, http_addrs, extra=None):
    a = Agent(tmp, mode="dev")
    cfg = {"addresses": {"http": http_addrs}}
    cfg.update(extra or {})
    path = tmp / f"unix-{a.ip}.json"
    path.write_text(json.dumps(cfg))
    a.extra_args += ["-config-file", str(path)]
    a.start(wait=False)
    return a


def wait_socket_ready(a, sock):
    def ready():
        assert a.running(), a.tail()
        return leader_on(sock)
    wait_until(ready, timeout=10, what="leader over the unix socket")


def test_unix_socket_only(tmp_path, sockdir):
    sock = os.path.join(sockdir, "x.sock")
    a = start_unix_agent(tmp_path, "unix://" + sock, {"unix_sockets": {"mode": "0600"}})
    try:
        wait_socket_ready(a, sock)
        st = os.lstat(sock)
        assert stat.S_ISSOCK(st.st_mode)
        assert stat.S_IMODE(st.st_mode) == 0o600
        log = a.log_text()
        assert f"Started HTTP server: address={sock} network=unix" in log

        env = {"CONSUL_HTTP_ADDR": "unix://" + sock}
        r = a.cli("members", env=env)
        assert r.returncode == 0, r.stderr
        assert a.name in r.stdout.decode()

        key = unique("ux")
        r = a.cli("kv", "put", key, "over-a-socket", env=env)
        assert r.returncode == 0, r.stderr
        r = a.cli("kv", "get", key, env=env)
        assert r.returncode == 0, r.stderr
        assert r.stdout.decode().strip() == "over-a-socket"

        r = subprocess.run(["curl", "-sS", "--unix-socket", sock,
                            f"http://localhost/v1/kv/{key}?raw"],
                           capture_output=True, timeout=10)
        assert r.returncode == 0, r.stderr
        assert r.stdout == b"over-a-socket"
        wait_until(lambda: "from=@" in a.log_text(), what="from=@ in the log")

        # addresses.http replaces client_addr for HTTP: no TCP listener
        with pytest.raises(OSError):
            socket.create_connection((a.ip, 8500), timeout=1).close()
    finally:
        a.stop()
    assert not os.path.exists(sock), "socket file left after SIGINT"


def test_tcp_and_unix_list(tmp_path, sockdir):
    sock = os.path.join(sockdir, "both.sock")
    a = Agent(tmp_path, mode="dev")
    cfg = tmp_path / "both.json"
    cfg.write_text(json.dumps({"addresses": {"http": f"{a.ip} unix://{sock}"}}))
    a.extra_args += ["-config-file", str(cfg)]
    try:
        a.start()  # waits for a leader over TCP
        wait_socket_ready(a, sock)
        key = unique("both")
        a.kv_put(key, "v")
        st, body = unix_get(sock, f"/v1/kv/{key}?raw")
        assert (st, body) == (200, b"v")
        log = a.log_text()
        assert f"Started HTTP server: address={a.ip}:8500 network=tcp" in log
        assert f"Started HTTP server: address={sock} network=unix" in log
    finally:
        a.close()
    assert not os.path.exists(sock)


def test_stale_socket_replaced_other_file_refused(tmp_path, sockdir):
    sock = os.path.join(sockdir, "stale.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(sock)  # a socket file nobody listens on, as a crash leaves
    s.close()
    a = start_unix_agent(tmp_path, "unix://" + sock)
    try:
        wait_socket_ready(a, sock)
        assert "Replacing socket" in a.log_text()
    finally:
        a.stop()
    assert not os.path.exists(sock)

    plain = os.path.join(sockdir, "not-a-socket")
    with open(plain, "w") as f:
        f.write("keep me")
    b = start_unix_agent(tmp_path, "unix://" + plain)
    try:
        wait_until(lambda: not b.running(), timeout=10, what="agent to exit")
        assert "not a socket" in b.log_text()
    finally:
        b.stop()
    with open(plain) as f:
        assert f.read() == "keep me"


def test_bad_mode_fails_start(tmp_path, sockdir):
    sock = os.path.join(sockdir, "m.sock")
    a = start_unix_agent(tmp_path, "unix://" + sock, {"unix_sockets": {"mode": "0x9"}})
    try:
        wait_until(lambda: not a.running(), timeout=10, what="agent to exit")
        assert "invalid mode specified" in a.log_text()
    finally:
        a.stop()
    assert not os.path.exists(sock)


def test_unix_clients_not_limited_per_ip(tmp_path, sockdir):
    """limits.http_max_conns_per_client counts client IPs: unix socket clients
    have none and are not lumped together under one limit."""
    sock = os.path.join(sockdir, "lim.sock")
    a = start_unix_agent(tmp_path, "unix://" + sock,
                         {"limits": {"http_max_conns_per_client": 2}})
    held = []
    try:
        wait_socket_ready(a, sock)
        for _ in range(4):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(sock)
            held.append(s)
        st, _ = unix_get(sock, "/v1/agent/self")
        assert st == 200
    finally:
        for s in held:
            s.close()
        a.stop()


def test_https_on_unix_socket(tmp_path, sockdir):
    """addresses.https may name a socket too: TLS over it."""
    from test_https import Certs
    sock = os.path.join(sockdir, "tls.sock")
    a = Agent(tmp_path, mode="dev")
    certs = Certs(tmp_path / "certs", a.ip)
    cfg = tmp_path / "tls.json"
    cfg.write_text(json.dumps({
        "ports": {"https": 8501},
        "addresses": {"https": "unix://" + sock},
        "tls": {"defaults": {"cert_file": str(certs.cert), "key_file": str(certs.key),
                             "ca_file": str(certs.ca)}}}))
    a.extra_args += ["-config-file", str(cfg)]
    try:
        a.start()  # plain HTTP stays on client_addr
        wait_until(lambda: os.path.exists(sock), what="the HTTPS socket")
        r = subprocess.run(["curl", "-sS", "--unix-socket", sock, "--cacert", str(certs.ca),
                            "https://localhost/v1/status/leader"],
                           capture_output=True, timeout=10)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)
        assert f"Started HTTPS server: address={sock} network=unix" in a.log_text()
    finally:
        a.close()
    assert not os.path.exists(sock)
