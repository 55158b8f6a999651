"""`cairn tls ca create` and `cairn tls cert create`, checked with openssl.

Consul facts used here (command/tls/..., tlsutil/generate.go):
- `tls ca create` writes <domain>-agent-ca.pem and <domain>-agent-ca-key.pem in
  the current directory, printing "==> Saved <file>" for each; an existing file
  is never replaced: "<file> already exists." on stderr, exit 1.
- keys are ECDSA P-256 in PEM "EC PRIVATE KEY", mode 0600; the CA subject is
  C=US, ST=CA, L=San Francisco, street=101 Second Street, postalCode=94105,
  O=HashiCorp Inc., CN "Consul Agent CA <serial>" unless -common-name; CA:TRUE,
  a URI SAN spiffe://<cluster-id>.<domain> with -cluster-id,
  key usage Digital Signature, Certificate Sign, CRL Sign; -name-constraint adds
  critical permitted DNS subtrees (additional ones, -domain, localhost).
- `tls cert create -server` prints the server-certificate warning, "==> Using
  <ca> and <key>", then "==> Saved dc1-server-consul-<i>.pem" and "...-key.pem",
  <i> being the first index for which neither file exists. SANs: additional DNS
  names, <node>.server.<dc>.<domain> with -node, server.<dc>.<domain>,
  localhost; IPs: additional ones, 127.0.0.1. EKU server+client auth (client
  certs: client+server), none for -cli; -cli keeps only cli.<dc>.<domain> and
  localhost as DNS names.
- errors: "Please provide either -server, -client, or -cli", "-node requires
  -server", "Error reading CA: open <f>: no such file or directory", "Please
  provide the ca", all exit 1.

Usability: cairn agents accept the files in `tls.defaults` (validate); here a
real TLS server (openssl s_server) serves the generated server certificate and
curl verifies it against the generated CA, by each name in the certificate, and
with a client certificate for mutual TLS. The agent's own HTTPS listener with
these files is tested in test_https.py.
"""

import os
import re
import shutil
import socket
import subprocess
import time

import pytest

from conftest import BIN, CONSUL_BIN, free_port, run_cli

WARNING = ("==> WARNING: Server Certificates grants authority to become a\n"
           "    server and access all state in the cluster including root keys\n"
           "    and all ACL tokens. Do not distribute them to production hosts\n"
           "    that are not server nodes. Store them as securely as CA keys.\n")

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")


def tls(d, *args, binary=None):
    return run_cli("tls", *args, cwd=str(d), binary=binary)


def x509_text(path):
    return subprocess.run(["openssl", "x509", "-in", str(path), "-noout", "-text"],
                          capture_output=True, check=True, text=True).stdout


def sans(path):
    text = x509_text(path)
    m = re.search(r"X509v3 Subject Alternative Name:\s*\n\s*(.*)\n", text)
    return [s.strip() for s in m.group(1).split(",")] if m else []


def eku(path):
    m = re.search(r"X509v3 Extended Key Usage:\s*\n\s*(.*)\n", x509_text(path))
    return [s.strip() for s in m.group(1).split(",")] if m else []


def verify(ca, cert, *extra):
    return subprocess.run(["openssl", "verify", "-CAfile", str(ca), *extra, str(cert)],
                          capture_output=True, text=True)


@pytest.fixture
def ca_dir(tmp_path):
    p = tls(tmp_path, "ca", "create")
    assert p.returncode == 0, p.stderr
    return tmp_path


@pytest.mark.parametrize("binary", [BIN, CONSUL_BIN], ids=["cairn", "consul"])
def test_ca_create_files_and_messages(tmp_path, binary):
    p = tls(tmp_path, "ca", "create", binary=binary)
    assert p.returncode == 0, p.stderr
    assert p.stdout.decode() == ("==> Saved consul-agent-ca.pem\n"
                                 "==> Saved consul-agent-ca-key.pem\n")
    assert p.stderr == b""
    assert sorted(os.listdir(tmp_path)) == ["consul-agent-ca-key.pem", "consul-agent-ca.pem"]
    key = tmp_path / "consul-agent-ca-key.pem"
    assert os.stat(key).st_mode & 0o777 == 0o600
    assert key.read_text().startswith("-----BEGIN EC PRIVATE KEY-----\n")
    text = x509_text(tmp_path / "consul-agent-ca.pem")
    assert re.search(r"Subject: C = US, ST = CA, L = San Francisco, street = 101 Second "
                     r"Street, postalCode = 94105, O = HashiCorp Inc., "
                     r"CN = Consul Agent CA \d+\n", text), text
    serial = int(re.search(r"CN = Consul Agent CA (\d+)", text).group(1))
    m = re.search(r"Serial Number:\s*\n\s*([0-9a-f:]+)", text)
    assert int(m.group(1).replace(":", ""), 16) == serial
    assert "Issuer: C = US" in text  # self-signed
    assert re.search(r"Basic Constraints: critical\s*\n\s*CA:TRUE", text)
    assert re.search(r"Key Usage: critical\s*\n\s*Digital Signature, Certificate Sign, "
                     r"CRL Sign", text)
    assert "ASN1 OID: prime256v1" in text
    assert "Signature Algorithm: ecdsa-with-SHA256" in text
    assert "Name Constraints" not in text
    assert verify(tmp_path / "consul-agent-ca.pem", tmp_path / "consul-agent-ca.pem").returncode == 0


def test_ca_create_refuses_to_overwrite(ca_dir):
    before = (ca_dir / "consul-agent-ca.pem").read_bytes()
    p = tls(ca_dir, "ca", "create")
    assert p.returncode == 1
    assert p.stderr.decode() == "consul-agent-ca.pem already exists.\n"
    assert p.stdout == b""
    assert (ca_dir / "consul-agent-ca.pem").read_bytes() == before
    (ca_dir / "consul-agent-ca.pem").unlink()
    p = tls(ca_dir, "ca", "create")
    assert p.returncode == 1
    assert p.stderr.decode() == "consul-agent-ca-key.pem already exists.\n"
    assert not (ca_dir / "consul-agent-ca.pem").exists()


def test_ca_create_options(tmp_path):
    p = tls(tmp_path, "ca", "create", "-domain", "example", "-days", "30",
            "-common-name", "Test Root", "-name-constraint",
            "-additional-name-constraint", "ui.example.org")
    assert p.returncode == 0, p.stderr
    assert p.stdout.decode() == ("==> Saved example-agent-ca.pem\n"
                                 "==> Saved example-agent-ca-key.pem\n")
    text = x509_text(tmp_path / "example-agent-ca.pem")
    assert "CN = Test Root\n" in text
    assert re.search(r"Name Constraints: critical\s*\n\s*Permitted:\s*\n\s*DNS:ui.example.org"
                     r"\s*\n\s*DNS:example\s*\n\s*DNS:localhost\n", text), text
    end = subprocess.run(["openssl", "x509", "-in", str(tmp_path / "example-agent-ca.pem"),
                          "-noout", "-checkend", str(29 * 86400)], capture_output=True)
    assert end.returncode == 0
    end = subprocess.run(["openssl", "x509", "-in", str(tmp_path / "example-agent-ca.pem"),
                          "-noout", "-checkend", str(31 * 86400)], capture_output=True)
    assert end.returncode == 1


def test_ca_create_cluster_id(tmp_path):
    p = tls(tmp_path, "ca", "create", "-cluster-id", "11111111-2222-3333-4444-555555555555")
    assert p.returncode == 0, p.stderr
    assert sans(tmp_path / "consul-agent-ca.pem") == [
        "URI:spiffe://11111111-2222-3333-4444-555555555555.consul"]


def test_ca_create_help():
    p = run_cli("tls", "ca", "create", "-h")
    assert p.returncode == 0
    text = p.stdout.decode()
    assert text.startswith("Usage: consul tls ca create [options]\n\n  Create a new consul CA:")
    for flag in ("-additional-name-constraint=<value>", "-cluster-id=<string>",
                 "-common-name=<string>",
                 "-days=<int>", "-domain=<string>", "-name-constraint"):
        assert "\n  " + flag + "\n" in text, flag


def test_cert_create_server(ca_dir):
    p = tls(ca_dir, "cert", "create", "-server")
    assert p.returncode == 0, p.stderr
    assert p.stdout.decode() == (WARNING +
                                 "==> Using consul-agent-ca.pem and consul-agent-ca-key.pem\n"
                                 "==> Saved dc1-server-consul-0.pem\n"
                                 "==> Saved dc1-server-consul-0-key.pem\n")
    assert p.stderr == b""
    cert = ca_dir / "dc1-server-consul-0.pem"
    text = x509_text(cert)
    assert "Subject: CN = server.dc1.consul\n" in text
    assert re.search(r"Basic Constraints: critical\s*\n\s*CA:FALSE", text)
    assert re.search(r"Key Usage: critical\s*\n\s*Digital Signature, Key Encipherment", text)
    assert sans(cert) == ["DNS:server.dc1.consul", "DNS:localhost", "IP Address:127.0.0.1"]
    assert eku(cert) == ["TLS Web Server Authentication", "TLS Web Client Authentication"]
    assert os.stat(ca_dir / "dc1-server-consul-0-key.pem").st_mode & 0o777 == 0o600
    v = verify(ca_dir / "consul-agent-ca.pem", cert, "-verify_hostname", "server.dc1.consul",
               "-purpose", "sslserver")
    assert v.returncode == 0, v.stdout + v.stderr
    # the next one takes the next free index
    p = tls(ca_dir, "cert", "create", "-server")
    assert p.returncode == 0
    assert "==> Saved dc1-server-consul-1.pem\n==> Saved dc1-server-consul-1-key.pem\n" in \
        p.stdout.decode()
    # an index is free only if both of its files are
    (ca_dir / "dc1-server-consul-2-key.pem").write_text("x")
    p = tls(ca_dir, "cert", "create", "-server")
    assert "==> Saved dc1-server-consul-3.pem\n" in p.stdout.decode()


def test_cert_create_server_names(ca_dir):
    p = tls(ca_dir, "cert", "create", "-server", "-dc", "east", "-domain", "cluster",
            "-node", "web1", "-additional-dnsname", "consul.example.com",
            "-additional-dnsname", " spaced.example.com ",
            "-additional-ipaddress", "10.1.2.3", "-additional-ipaddress", "::1",
            "-ca", "consul-agent-ca.pem", "-key", "consul-agent-ca-key.pem")
    assert p.returncode == 0, p.stderr
    assert "==> Saved east-server-cluster-0.pem\n" in p.stdout.decode()
    cert = ca_dir / "east-server-cluster-0.pem"
    assert "Subject: CN = server.east.cluster\n" in x509_text(cert)
    assert sans(cert) == ["DNS:consul.example.com", "DNS:spaced.example.com",
                          "DNS:web1.server.east.cluster", "DNS:server.east.cluster",
                          "DNS:localhost", "IP Address:10.1.2.3", "IP Address:0:0:0:0:0:0:0:1",
                          "IP Address:127.0.0.1"]


def test_cert_create_client_and_cli(ca_dir):
    p = tls(ca_dir, "cert", "create", "-client")
    assert p.returncode == 0, p.stderr
    assert p.stdout.decode() == ("==> Using consul-agent-ca.pem and consul-agent-ca-key.pem\n"
                                 "==> Saved dc1-client-consul-0.pem\n"
                                 "==> Saved dc1-client-consul-0-key.pem\n")
    cert = ca_dir / "dc1-client-consul-0.pem"
    assert "Subject: CN = client.dc1.consul\n" in x509_text(cert)
    assert sans(cert) == ["DNS:client.dc1.consul", "DNS:localhost", "IP Address:127.0.0.1"]
    assert eku(cert) == ["TLS Web Client Authentication", "TLS Web Server Authentication"]
    assert verify(ca_dir / "consul-agent-ca.pem", cert, "-purpose", "sslclient").returncode == 0

    p = tls(ca_dir, "cert", "create", "-cli", "-additional-dnsname", "dropped.example")
    assert p.returncode == 0, p.stderr
    assert "==> Saved dc1-cli-consul-0.pem\n==> Saved dc1-cli-consul-0-key.pem\n" in \
        p.stdout.decode()
    cert = ca_dir / "dc1-cli-consul-0.pem"
    assert "Subject: CN = cli.dc1.consul\n" in x509_text(cert)
    assert sans(cert) == ["DNS:cli.dc1.consul", "DNS:localhost"]
    assert eku(cert) == []
    assert verify(ca_dir / "consul-agent-ca.pem", cert).returncode == 0


def test_cert_outside_name_constraints_is_refused(tmp_path):
    assert tls(tmp_path, "ca", "create", "-name-constraint").returncode == 0
    p = tls(tmp_path, "cert", "create", "-server")
    assert p.returncode == 0, p.stderr
    p = tls(tmp_path, "cert", "create", "-server", "-additional-dnsname", "evil.example.com")
    assert p.returncode == 1
    assert "permitted subtree violation" in p.stderr.decode()
    assert not (tmp_path / "dc1-server-consul-1.pem").exists()


@pytest.mark.parametrize("args,message", [
    ((), "Please provide either -server, -client, or -cli"),
    (("-server", "-client"), "Please provide either -server, -client, or -cli"),
    (("-client", "-cli"), "Please provide either -server, -client, or -cli"),
    (("-client", "-node", "n1"), "-node requires -server"),
    (("-server", "-ca", ""), "Please provide the ca"),
    (("-server", "-key", ""), "Please provide the key"),
    (("-server", "-ca", "nope.pem"),
     "Error reading CA: open nope.pem: no such file or directory"),
    (("-server", "-domain", "other"),
     "Error reading CA: open other-agent-ca.pem: no such file or directory"),
    (("-server", "-key", "nokey.pem"),
     "Error reading CA key: open nokey.pem: no such file or directory"),
    (("-server", "-bogus"), "flag provided but not defined: -bogus"),
])
def test_cert_create_errors(ca_dir, args, message):
    p = tls(ca_dir, "cert", "create", *args)
    assert p.returncode == 1
    assert p.stderr.decode().splitlines()[0] == message
    assert not list(ca_dir.glob("dc1-*"))


def test_groups_print_help_and_fail():
    p = run_cli("tls")
    assert p.returncode == 1
    text = p.stderr.decode()
    assert text.startswith("Usage: consul tls <subcommand> <subcommand> [options]")
    assert re.search(r"^    ca\s+Helpers for CAs$", text, re.M)
    assert re.search(r"^    cert\s+Helpers for certificates$", text, re.M)
    p = run_cli("tls", "cert")
    assert p.returncode == 1
    assert re.search(r"^    create\s+Create a new certificate$", p.stderr.decode(), re.M)
    p = run_cli("-h")
    assert re.search(r"^    tls\s+Builtin helpers for creating CAs and certificates$",
                     p.stdout.decode() + p.stderr.decode(), re.M)


def test_agent_accepts_the_files(ca_dir):
    assert tls(ca_dir, "cert", "create", "-server").returncode == 0
    cfg = ca_dir / "tls.json"
    cfg.write_text("""{
      "data_dir": "%s", "server": true, "ports": {"https": 8501},
      "tls": {"defaults": {"ca_file": "%s", "cert_file": "%s", "key_file": "%s",
                           "verify_incoming": true, "verify_outgoing": true}}
    }""" % (ca_dir / "data", ca_dir / "consul-agent-ca.pem",
            ca_dir / "dc1-server-consul-0.pem", ca_dir / "dc1-server-consul-0-key.pem"))
    p = run_cli("validate", str(cfg))
    assert p.returncode == 0, p.stdout + p.stderr


class TLSServer:
    """openssl s_server -www with the given certificate, on 127.0.0.1."""

    def __init__(self, d, cert, key, ca=None):
        self.port = free_port()
        args = ["openssl", "s_server", "-accept", f"127.0.0.1:{self.port}", "-www",
                "-cert", str(cert), "-key", str(key), "-naccept", "20"]
        if ca:
            args += ["-Verify", "1", "-CAfile", str(ca), "-verify_return_error"]
        self.proc = subprocess.Popen(args, cwd=str(d), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 5
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def close(self):
        self.proc.terminate()
        self.proc.wait(timeout=5)


def curl(url, *args):
    return subprocess.run(["curl", "-sS", "--max-time", "5", "-o", "/dev/null",
                           "-w", "%{http_code}", *args, url], capture_output=True, text=True)


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
def test_server_cert_serves_https_verified_by_the_ca(ca_dir, tmp_path_factory):
    assert tls(ca_dir, "cert", "create", "-server", "-node", "web1").returncode == 0
    srv = TLSServer(ca_dir, ca_dir / "dc1-server-consul-0.pem",
                    ca_dir / "dc1-server-consul-0-key.pem")
    try:
        ca = str(ca_dir / "consul-agent-ca.pem")
        port = srv.port
        for host in ("localhost", "server.dc1.consul", "web1.server.dc1.consul"):
            r = curl(f"https://{host}:{port}/", "--cacert", ca,
                     "--resolve", f"{host}:{port}:127.0.0.1")
            assert r.stdout == "200", (host, r.stderr)
        r = curl(f"https://127.0.0.1:{port}/", "--cacert", ca)
        assert r.stdout == "200", r.stderr
        # a name outside the certificate, and another CA, are refused
        r = curl(f"https://other.dc1.consul:{port}/", "--cacert", ca,
                 "--resolve", f"other.dc1.consul:{port}:127.0.0.1")
        assert r.returncode != 0
        other = tmp_path_factory.mktemp("otherca")
        assert tls(other, "ca", "create").returncode == 0
        r = curl(f"https://localhost:{port}/", "--cacert", str(other / "consul-agent-ca.pem"),
                 "--resolve", f"localhost:{port}:127.0.0.1")
        assert r.returncode != 0
    finally:
        srv.close()


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
def test_mutual_tls_with_client_and_cli_certs(ca_dir):
    for kind in ("-server", "-client", "-cli"):
        assert tls(ca_dir, "cert", "create", kind).returncode == 0
    ca = ca_dir / "consul-agent-ca.pem"
    srv = TLSServer(ca_dir, ca_dir / "dc1-server-consul-0.pem",
                    ca_dir / "dc1-server-consul-0-key.pem", ca=ca)
    try:
        url = f"https://localhost:{srv.port}/"
        base = ("--cacert", str(ca), "--resolve", f"localhost:{srv.port}:127.0.0.1")
        for name in ("dc1-client-consul-0", "dc1-cli-consul-0"):
            r = curl(url, *base, "--cert", str(ca_dir / f"{name}.pem"),
                     "--key", str(ca_dir / f"{name}-key.pem"))
            assert r.stdout == "200", (name, r.stderr)
        r = curl(url, *base)  # no client certificate
        assert r.stdout != "200"
    finally:
        srv.close()
