"""HTTPS: the agent's API on ports.https and the CLI's https:// client.

Consul facts used here (agent config reference, api package, crypto/tls):
- ports.https (off by default, 8501 by convention) serves the same HTTP API over
  TLS on the client addresses, with tls.https falling back to tls.defaults for
  cert_file/key_file/ca_file; the deprecated top-level cert_file, key_file,
  ca_file and verify_incoming(_https) still work.
- verify_incoming: a client certificate signed by ca_file is required; without
  one the handshake (TLS 1.2) or the first read (TLS 1.3) fails with
  "remote error: tls: certificate required" (Go's text for the alert).
- The CLI: CONSUL_HTTP_ADDR=https://..., -http-addr https://..., or
  CONSUL_HTTP_SSL=true; CONSUL_CACERT/-ca-file, CONSUL_CLIENT_CERT/KEY,
  -client-cert/-client-key, -tls-server-name, CONSUL_HTTP_SSL_VERIFY=false.
  Errors: Get "URL": tls: failed to verify certificate: x509: certificate signed
  by unknown authority; ... x509: certificate is valid for A, B, not C; exit 1.
- Go's HTTP server answers a plain HTTP request on an HTTPS port with an
  unencrypted "400 Bad Request" and "Client sent an HTTP request to an HTTPS
  server."; Go's client reports "http: server gave HTTP response to HTTPS client".
"""

import json
import shutil
import socket
import ssl
import subprocess
import time

import pytest
import requests

from conftest import Agent, run_cli, unique, wait_until

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")


class Certs:
    """A CA, a server certificate for ip, client and cli certificates, and a
    second CA nobody signed anything with."""

    def __init__(self, d, ip):
        self.dir = d
        d.mkdir(parents=True, exist_ok=True)
        for args in (["ca", "create"],
                     ["cert", "create", "-server", "-additional-ipaddress", ip],
                     ["cert", "create", "-client"],
                     ["cert", "create", "-cli"]):
            r = run_cli("tls", *args, cwd=str(d))
            assert r.returncode == 0, r.stderr
        self.ca = d / "consul-agent-ca.pem"
        self.cert = d / "dc1-server-consul-0.pem"
        self.key = d / "dc1-server-consul-0-key.pem"
        self.client = (d / "dc1-client-consul-0.pem", d / "dc1-client-consul-0-key.pem")
        self.cli = (d / "dc1-cli-consul-0.pem", d / "dc1-cli-consul-0-key.pem")
        other = d / "other"
        other.mkdir()
        r = run_cli("tls", "ca", "create", cwd=str(other))
        assert r.returncode == 0, r.stderr
        self.other_ca = other / "consul-agent-ca.pem"


def start_tls_agent(tmp, tls=None, top=None, http=True, extra=None):
    """A dev agent serving HTTPS on 8501 from a config file (tls block, or legacy
    top-level keys in top; extra: more top-level keys)."""
    a = Agent(tmp, mode="dev")
    certs = Certs(tmp / f"certs-{a.ip}", a.ip)
    cfg = {"ports": {"https": 8501}}
    if not http:
        cfg["ports"]["http"] = -1
    defaults = {"cert_file": str(certs.cert), "key_file": str(certs.key),
                "ca_file": str(certs.ca)}
    if top is not None:
        cfg.update(defaults)
        cfg.update(top)
    else:
        cfg["tls"] = {"defaults": defaults}
        for k, v in (tls or {}).items():
            cfg["tls"].setdefault(k, {}).update(v)
    cfg.update(extra or {})
    path = tmp / f"https-{a.ip}.json"
    path.write_text(json.dumps(cfg))
    a.extra_args = ["-config-file", str(path)]
    a.certs = certs
    a.https = f"https://{a.ip}:8501"
    if http:
        a.start()
    else:
        a.start(wait=False)
        wait_until(lambda: https_ready(a), timeout=10, what="HTTPS listener")
    return a


def https_ready(a):
    try:
        r = requests.get(a.https + "/v1/status/leader", verify=str(a.certs.ca), timeout=1)
        return r.status_code == 200 and r.json()
    except requests.RequestException:
        return False


def curl(*args):
    return subprocess.run(["curl", "-sS", "--max-time", "10"] + [str(x) for x in args],
                          capture_output=True, text=True, timeout=20)


@pytest.fixture(scope="module")
def tls_agent(tmp_path_factory):
    a = start_tls_agent(tmp_path_factory.mktemp("https"))
    try:
        yield a
    finally:
        a.close()


@pytest.fixture(scope="module")
def mtls_agent(tmp_path_factory):
    a = start_tls_agent(tmp_path_factory.mktemp("mtls"),
                        tls={"https": {"verify_incoming": True}})
    try:
        yield a
    finally:
        a.close()


def cli(a, *args, env=None):
    e = {"CONSUL_HTTP_ADDR": a.https}
    e.update(env or {})
    return a.cli(*args, env=e, addr=False)


# ---- the listener --------------------------------------------------------


def test_https_serves_the_same_api_as_http(tls_agent):
    a = tls_agent
    key = unique("k")
    a.kv_put(key, "v1")
    for path in ("/v1/status/leader", f"/v1/kv/{key}", "/v1/catalog/nodes"):
        r = curl("--cacert", a.certs.ca, a.https + path)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout) == a.get(path).json()
    r = curl("--cacert", a.certs.ca, "-X", "PUT", "--data-binary", "v2",
             f"{a.https}/v1/kv/{key}")
    assert r.returncode == 0 and r.stdout.strip() == "true", r.stderr
    assert a.kv_raw(key).text == "v2"
    assert "Started HTTPS server: address=%s:8501 network=tcp" % a.ip in a.log_text()


def test_https_with_python_requests(tls_agent):
    a = tls_agent
    key = unique("big")
    value = b"x" * (500 * 1024) + b"end"  # under kv_max_value_size
    s = requests.Session()
    ca = str(a.certs.ca)  # per request: REQUESTS_CA_BUNDLE would beat Session.verify
    r = s.put(f"{a.https}/v1/kv/{key}", data=value, verify=ca, timeout=10)
    assert r.status_code == 200 and r.json() is True
    for _ in range(20):  # one kept-alive TLS connection
        r = s.get(f"{a.https}/v1/kv/{key}", params={"raw": ""}, verify=ca, timeout=10)
        assert r.status_code == 200 and r.content == value
    r = s.get(f"{a.https}/v1/kv/{key}", verify=ca, timeout=10)
    assert r.headers["X-Consul-Index"] == a.get(f"/v1/kv/{key}").headers["X-Consul-Index"]


def test_https_blocking_query(tls_agent):
    a = tls_agent
    key = unique("blk")
    idx = a.kv_put(key, "1") and a.get(f"/v1/kv/{key}").headers["X-Consul-Index"]
    t0 = time.monotonic()
    r = requests.get(f"{a.https}/v1/kv/{key}", params={"index": idx, "wait": "300ms"},
                     verify=str(a.certs.ca), timeout=10)
    assert r.status_code == 200 and time.monotonic() - t0 >= 0.25


def test_https_rejects_untrusted_client_verification(tls_agent):
    # The server's certificate is checked: a client with another CA refuses it.
    a = tls_agent
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(a.https + "/v1/status/leader", verify=str(a.certs.other_ca), timeout=5)
    r = curl("--cacert", a.certs.other_ca, a.https + "/v1/status/leader")
    assert r.returncode != 0
    # the agent is unharmed
    assert https_ready(a)


def test_plain_http_on_https_port(tls_agent):
    a = tls_agent
    with socket.create_connection((a.ip, 8501), timeout=5) as s:
        s.sendall(b"GET /v1/status/leader HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    assert data == (b"HTTP/1.0 400 Bad Request\r\n\r\n"
                    b"Client sent an HTTP request to an HTTPS server.\n")


def test_tls12_and_tls13_both_served(tls_agent):
    a = tls_agent
    for v in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
        ctx = ssl.create_default_context(cafile=str(a.certs.ca))
        ctx.minimum_version = ctx.maximum_version = v
        with socket.create_connection((a.ip, 8501), timeout=5) as raw:
            with ctx.wrap_socket(raw, server_hostname=a.ip) as s:
                assert s.version() == {ssl.TLSVersion.TLSv1_2: "TLSv1.2",
                                       ssl.TLSVersion.TLSv1_3: "TLSv1.3"}[v]
                s.sendall(b"GET /v1/status/leader HTTP/1.1\r\nHost: x\r\n"
                          b"Connection: close\r\n\r\n")
                data = b""
                while True:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    data += chunk
        assert data.startswith(b"HTTP/1.1 200 OK\r\n"), data


def read_all(s):
    data = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            return data
        data += chunk


def test_handshake_timeout_and_conn_limit(tmp_path):
    # limits.https_handshake_timeout closes a silent client; the connection
    # limit's 429 is sent over TLS, after the handshake, as go-connlimit does.
    a = start_tls_agent(tmp_path, extra={"limits": {"https_handshake_timeout": "300ms",
                                                    "http_max_conns_per_client": 2}})
    try:
        with socket.create_connection((a.ip, 8501), timeout=5) as s:
            t0 = time.monotonic()
            assert s.recv(10) == b""
            assert 0.2 < time.monotonic() - t0 < 3
        ctx = ssl.create_default_context(cafile=str(a.certs.ca))
        held = [ctx.wrap_socket(socket.create_connection((a.ip, 8501), timeout=5),
                                server_hostname=a.ip) for _ in range(2)]
        with ctx.wrap_socket(socket.create_connection((a.ip, 8501), timeout=5),
                             server_hostname=a.ip) as s:
            data = read_all(s)
        assert data.startswith(b"HTTP/1.1 429 Too Many Requests\r\n"), data
        for s in held:
            s.close()
    finally:
        a.close()


# ---- the CLI ---------------------------------------------------------------


def test_cli_members_kv_over_https_env(tls_agent):
    a = tls_agent
    env = {"CONSUL_CACERT": str(a.certs.ca)}
    r = cli(a, "members", env=env)
    assert r.returncode == 0, r.stderr
    assert a.name.encode() in r.stdout and b"alive" in r.stdout
    key = unique("cli")
    r = cli(a, "kv", "put", key, "hello", env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"Success! Data written to: {key}\n".encode()
    r = cli(a, "kv", "get", key, env=env)
    assert (r.returncode, r.stdout) == (0, b"hello\n"), r.stderr
    assert a.kv_raw(key).text == "hello"


def test_cli_https_flags(tls_agent):
    a = tls_agent
    key = unique("flag")
    a.kv_put(key, "v")
    r = a.cli("kv", "get", "-http-addr", a.https, "-ca-file", a.certs.ca, key, addr=False)
    assert (r.returncode, r.stdout) == (0, b"v\n"), r.stderr
    # CONSUL_HTTP_SSL=true turns a bare host:port into https
    r = a.cli("kv", "get", key, addr=False,
              env={"CONSUL_HTTP_ADDR": f"{a.ip}:8501", "CONSUL_HTTP_SSL": "true",
                   "CONSUL_CACERT": str(a.certs.ca)})
    assert (r.returncode, r.stdout) == (0, b"v\n"), r.stderr
    # -ca-path: a directory of CA files (every file must be PEM certificates, as Go's)
    for name, ca in (("right", a.certs.ca), ("wrong", a.certs.other_ca)):
        d = a.certs.dir / f"capath-{name}"
        d.mkdir(exist_ok=True)
        shutil.copy(ca, d / "ca.pem")
        r = a.cli("kv", "get", "-http-addr", a.https, "-ca-path", d, key, addr=False)
        if name == "right":
            assert (r.returncode, r.stdout) == (0, b"v\n"), r.stderr
        else:
            assert r.returncode == 1 and b"unknown authority" in r.stderr
    r = a.cli("kv", "get", "-http-addr", a.https, "-ca-path", a.certs.dir / "other", key,
              addr=False)
    assert r.returncode == 1 and b"Error loading CA Path: Couldn't parse PEM in:" in r.stderr
    # the name checked can be one of the certificate's DNS names
    r = a.cli("kv", "get", "-http-addr", a.https, "-ca-file", a.certs.ca,
              "-tls-server-name", "server.dc1.consul", key, addr=False)
    assert (r.returncode, r.stdout) == (0, b"v\n"), r.stderr


def test_cli_wrong_ca_fails_clearly(tls_agent):
    a = tls_agent
    r = cli(a, "members", env={"CONSUL_CACERT": str(a.certs.other_ca)})
    assert r.returncode == 1
    assert r.stderr.decode() == (
        f'Error retrieving members: Get "{a.https}/v1/agent/members?segment=_all": '
        "tls: failed to verify certificate: x509: certificate signed by unknown "
        "authority\n")
    r = cli(a, "kv", "get", "x", env={"CONSUL_CACERT": str(a.certs.other_ca)})
    assert r.returncode == 1 and b"x509: certificate signed by unknown authority" in r.stderr


def test_cli_wrong_server_name(tls_agent):
    a = tls_agent
    r = cli(a, "members", "-tls-server-name", "db.example.com",
            env={"CONSUL_CACERT": str(a.certs.ca)})
    assert r.returncode == 1
    assert (b"x509: certificate is valid for server.dc1.consul, localhost, "
            b"not db.example.com") in r.stderr


def test_cli_insecure_skips_verification(tls_agent):
    a = tls_agent
    r = cli(a, "members", env={"CONSUL_HTTP_SSL_VERIFY": "false"})
    assert r.returncode == 0, r.stderr
    assert a.name.encode() in r.stdout
    # without it and without a CA the system roots do not know our CA
    r = cli(a, "members")
    assert r.returncode == 1 and b"unknown authority" in r.stderr


def test_cli_missing_ca_file(tls_agent):
    a = tls_agent
    r = cli(a, "members", env={"CONSUL_CACERT": "/nonexistent/ca.pem"})
    assert r.returncode == 1
    assert r.stderr == (b"Error connecting to Consul agent: Error loading CA File: "
                        b"open /nonexistent/ca.pem: no such file or directory\n")


def test_cli_https_to_plain_port(tls_agent):
    a = tls_agent
    r = a.cli("members", "-http-addr", f"https://{a.ip}:8500", addr=False,
              env={"CONSUL_CACERT": str(a.certs.ca)})
    assert r.returncode == 1
    assert b"http: server gave HTTP response to HTTPS client" in r.stderr


def test_cli_monitor_streams_over_https(tls_agent):
    a = tls_agent
    e = dict(__import__("os").environ)
    e.update({"CONSUL_HTTP_ADDR": a.https, "CONSUL_CACERT": str(a.certs.ca)})
    p = subprocess.Popen([str(a.binary), "monitor", "-log-level", "debug"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=e)
    try:
        time.sleep(0.5)
        a.get("/v1/agent/self")
        time.sleep(0.5)
    finally:
        p.terminate()
        out, err = p.communicate(timeout=10)
    assert b"agent" in out, err


# ---- verify_incoming -----------------------------------------------------------


def test_verify_incoming_requires_client_cert(mtls_agent):
    a = mtls_agent
    env = {"CONSUL_CACERT": str(a.certs.ca)}
    r = cli(a, "members", env=env)
    assert r.returncode == 1
    assert b"remote error: tls: " in r.stderr, r.stderr
    r = curl("--cacert", a.certs.ca, a.https + "/v1/status/leader")
    assert r.returncode != 0
    with pytest.raises(requests.exceptions.RequestException):
        requests.get(a.https + "/v1/status/leader", verify=str(a.certs.ca), timeout=5)
    # a certificate from another CA is no better
    other = a.certs.dir / "other"
    run_cli("tls", "cert", "create", "-client", cwd=str(other))
    r = curl("--cacert", a.certs.ca, "--cert", other / "dc1-client-consul-0.pem",
             "--key", other / "dc1-client-consul-0-key.pem", a.https + "/v1/status/leader")
    assert r.returncode != 0
    # plain HTTP is not affected
    assert a.get("/v1/status/leader").status_code == 200


def test_verify_incoming_with_client_cert(mtls_agent):
    a = mtls_agent
    cert, key = a.certs.client
    env = {"CONSUL_CACERT": str(a.certs.ca), "CONSUL_CLIENT_CERT": str(cert),
           "CONSUL_CLIENT_KEY": str(key)}
    r = cli(a, "members", env=env)
    assert r.returncode == 0, r.stderr
    k = unique("m")
    r = cli(a, "kv", "put", k, "mutual", env=env)
    assert r.returncode == 0, r.stderr
    # flags, with the -cli certificate
    ccert, ckey = a.certs.cli
    r = a.cli("kv", "get", "-http-addr", a.https, "-ca-file", a.certs.ca,
              "-client-cert", ccert, "-client-key", ckey, k, addr=False)
    assert (r.returncode, r.stdout) == (0, b"mutual\n"), r.stderr
    r = curl("--cacert", a.certs.ca, "--cert", cert, "--key", key, f"{a.https}/v1/kv/{k}?raw")
    assert (r.returncode, r.stdout) == (0, "mutual"), r.stderr
    r = requests.get(f"{a.https}/v1/kv/{k}", params={"raw": ""}, verify=str(a.certs.ca),
                     cert=(str(cert), str(key)), timeout=5)
    assert r.status_code == 200 and r.text == "mutual"


def test_cli_client_cert_without_key(mtls_agent):
    a = mtls_agent
    r = cli(a, "members", "-client-cert", a.certs.client[0],
            env={"CONSUL_CACERT": str(a.certs.ca)})
    assert r.returncode == 1
    assert r.stderr == (b"Error connecting to Consul agent: both client cert and "
                        b"client key must be provided\n")


# ---- configuration -----------------------------------------------------------


def test_legacy_top_level_keys(tmp_path):
    a = start_tls_agent(tmp_path, top={"verify_incoming_https": True})
    try:
        r = curl("--cacert", a.certs.ca, a.https + "/v1/status/leader")
        assert r.returncode != 0  # verify_incoming_https took effect
        cert, key = a.certs.client
        r = curl("--cacert", a.certs.ca, "--cert", cert, "--key", key,
                 a.https + "/v1/status/leader")
        assert r.returncode == 0 and json.loads(r.stdout), r.stderr
    finally:
        a.close()


def test_https_only_agent(tmp_path):
    a = start_tls_agent(tmp_path, http=False)
    try:
        with pytest.raises(requests.ConnectionError):
            requests.get(f"http://{a.ip}:8500/v1/status/leader", timeout=2)
        r = cli(a, "members", env={"CONSUL_CACERT": str(a.certs.ca)})
        assert r.returncode == 0, r.stderr
    finally:
        a.close()


def test_bad_cert_file_fails_start(tmp_path):
    a = Agent(tmp_path, mode="dev")
    try:
        cfg = tmp_path / "bad.json"
        cfg.write_text(json.dumps({"ports": {"https": 8501}, "tls": {"defaults": {
            "cert_file": str(tmp_path / "missing.pem"),
            "key_file": str(tmp_path / "missing-key.pem")}}}))
        a.extra_args = ["-config-file", str(cfg)]
        a.start(wait=False)
        assert a.proc.wait(timeout=10) == 1
        assert "Failed to load cert/key pair" in a.log_text()
        assert "missing.pem" in a.log_text()
    finally:
        a.close()


def test_https_port_without_cert_is_skipped(tmp_path):
    a = Agent(tmp_path, mode="dev")
    try:
        cfg = tmp_path / "nocert.json"
        cfg.write_text(json.dumps({"ports": {"https": 8501}}))
        a.extra_args = ["-config-file", str(cfg)]
        a.start()
        assert "HTTPS not started" in a.log_text()
        with pytest.raises(OSError):
            socket.create_connection((a.ip, 8501), timeout=2).close()
    finally:
        a.close()
