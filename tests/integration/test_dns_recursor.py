"""Recursors and forwarding: names outside the domain go upstream.

Consul facts (agent/dns.go handleRecurse, docs for recursors and
dns_config.recursor_strategy / recursor_timeout):
 - without `recursors` a name outside the domain is answered REFUSED;
 - with them the query goes to each upstream in turn ("sequential") or in a
   random order ("random"), each attempt bounded by recursor_timeout; an
   answer with NOERROR or NXDOMAIN is relayed as it came (TTLs untouched,
   the client's ID), any other rcode, an error or a timeout moves on, and
   when all failed the client gets SERVFAIL;
 - a query that reached the agent over TCP is forwarded over TCP;
 - seed 001 puts dnsmasq in front (`server=/consul/<agent>#8600`), so that
   ordinary resolution of *.consul reaches the agent.
"""

import json
import os
import select
import shutil
import signal
import socket
import subprocess
import threading
import time

import dns.flags
import dns.message
import dns.rcode
import dns.rrset
import pytest

from conftest import free_port, register_service, wait_until
from test_dns import dig, query, rrs, section_lines

BIG = 150  # records in big.example.test: more than 512 bytes over UDP


class Upstream:
    """A small DNS server on 127.0.0.1:<random port>, UDP and TCP, in a thread.

    mode "answer": example names resolve (A 192.0.2.7, TTL 1234), nx.* is
    NXDOMAIN; "servfail": every answer is SERVFAIL; "silent": reads and never
    answers. `seen` records (transport, id, qname) of every query."""

    def __init__(self, mode="answer"):
        self.mode = mode
        self.seen = []
        self._lock = threading.Lock()
        for _ in range(20):
            self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.udp.bind(("127.0.0.1", 0))
            self.port = self.udp.getsockname()[1]
            self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                self.tcp.bind(("127.0.0.1", self.port))
                break
            except OSError:
                self.udp.close()
                self.tcp.close()
        self.tcp.listen(16)
        self.addr = f"127.0.0.1:{self.port}"
        self._stop = False
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def count(self, transport=None):
        with self._lock:
            return len([s for s in self.seen if transport in (None, s[0])])

    def _answer(self, wire, transport):
        q = dns.message.from_wire(wire)
        name = q.question[0].name.to_text()
        with self._lock:
            self.seen.append((transport, q.id, name))
        if self.mode == "silent":
            return None
        r = dns.message.make_response(q)
        r.flags |= dns.flags.RA
        if self.mode == "servfail":
            r.set_rcode(dns.rcode.SERVFAIL)
        elif name.startswith("nx."):
            r.set_rcode(dns.rcode.NXDOMAIN)
        elif name.startswith("big."):
            r.answer.append(dns.rrset.from_text(
                name, 1234, "IN", "A", *[f"192.0.2.{i + 1}" for i in range(BIG)]))
        else:
            r.answer.append(dns.rrset.from_text(name, 1234, "IN", "A", "192.0.2.7"))
        if transport == "tcp":
            return r.to_wire(max_size=65535)
        try:
            return r.to_wire(max_size=512 if q.edns < 0 else q.payload)
        except dns.exception.TooBig:
            r.answer = []
            r.flags |= dns.flags.TC
            return r.to_wire()

    def _serve_tcp(self, c):
        with c:
            c.settimeout(3)
            try:
                head = c.recv(2)
                n = int.from_bytes(head, "big")
                body = b""
                while len(body) < n:
                    chunk = c.recv(n - len(body))
                    if not chunk:
                        return
                    body += chunk
                out = self._answer(body, "tcp")
                if out is not None:
                    c.sendall(len(out).to_bytes(2, "big") + out)
            except OSError:
                pass

    def _run(self):
        while not self._stop:
            r, _, _ = select.select([self.udp, self.tcp], [], [], 0.05)
            if self.udp in r:
                data, peer = self.udp.recvfrom(65535)
                out = self._answer(data, "udp")
                if out is not None:
                    self.udp.sendto(out, peer)
            if self.tcp in r:
                c, _ = self.tcp.accept()
                threading.Thread(target=self._serve_tcp, args=(c,), daemon=True).start()

    def close(self):
        self._stop = True
        self._t.join(1)
        self.udp.close()
        self.tcp.close()


@pytest.fixture
def upstreams():
    made = []

    def factory(mode="answer"):
        u = Upstream(mode)
        made.append(u)
        return u

    yield factory
    for u in made:
        u.close()


def dead_addr():
    """127.0.0.1:<port> with nothing bound: ICMP port unreachable."""
    return f"127.0.0.1:{free_port(kind=socket.SOCK_DGRAM)}"


def cfg_file(tmp_path, name, obj):
    p = tmp_path / name
    p.write_text(json.dumps(obj))
    return str(p)


def test_refused_without_recursors(agents):
    a = agents()
    m = query(a.ip, "example.org", "A")
    assert m.rcode() == dns.rcode.REFUSED
    assert not m.answer


def test_relay_keeps_ttl_and_client_id(agents, upstreams):
    up = upstreams()
    a = agents(args=["-recursor", up.addr])
    for _ in range(3):
        m = query(a.ip, "www.example.test", "A", qid=4242)
        assert m.id == 4242 and m.rcode() == dns.rcode.NOERROR
        assert [(n, ttl, rd.address) for n, ttl, rd in rrs(m)] == \
            [("www.example.test.", 1234, "192.0.2.7")]
        assert m.flags & dns.flags.RA  # the upstream's flags, relayed
    ids = [i for _, i, _ in up.seen]
    assert len(ids) == 3 and ids != [4242] * 3, ids  # fresh IDs upstream
    # NXDOMAIN is an answer, not a failure
    m = query(a.ip, "nx.example.test", "A")
    assert m.rcode() == dns.rcode.NXDOMAIN
    # over TCP the query goes upstream over TCP
    m = query(a.ip, "tcp.example.test", "A", tcp=True)
    assert [rd.address for _, _, rd in rrs(m)] == ["192.0.2.7"]
    assert up.count("tcp") == 1
    # too big for UDP: TC relayed, dig retries over TCP and gets it all
    out = dig(a.ip, "big.example.test", "A")
    assert "Truncated, retrying in TCP mode" in out, out
    assert f"ANSWER: {BIG}," in out, out
    # names in the domain are still ours
    register_service(a, {"Name": "web", "Port": 80})
    wait_until(lambda: rrs(query(a.ip, "web.service.consul", "SRV")), what="web in DNS")


def test_servfail_when_upstreams_fail(agents, upstreams, tmp_path):
    silent = upstreams("silent")
    cfg = cfg_file(tmp_path, "r.json", {"recursors": [dead_addr(), silent.addr],
                                        "dns_config": {"recursor_timeout": "300ms"}})
    a = agents(args=["-config-file", cfg])
    t0 = time.monotonic()
    m = query(a.ip, "www.example.test", "A", qid=777, timeout=5)
    took = time.monotonic() - t0
    assert m.id == 777 and m.rcode() == dns.rcode.SERVFAIL, m
    assert not m.answer
    assert 0.25 <= took < 2.0, took
    assert silent.count() == 1
    # an upstream that answers SERVFAIL is a failure too
    bad = upstreams("servfail")
    cfg = cfg_file(tmp_path, "r2.json", {"recursors": [bad.addr]})
    b = agents(args=["-config-file", cfg])
    m = query(b.ip, "www.example.test", "A", tcp=True)
    assert m.rcode() == dns.rcode.SERVFAIL
    assert bad.count() == 1


def test_sequential_fallback(agents, upstreams, tmp_path):
    silent, bad, live = upstreams("silent"), upstreams("servfail"), upstreams()
    cfg = cfg_file(tmp_path, "r.json", {
        "recursors": [dead_addr(), silent.addr, bad.addr, live.addr],
        "dns_config": {"recursor_strategy": "sequential", "recursor_timeout": "200ms"}})
    a = agents(args=["-config-file", cfg])
    m = query(a.ip, "www.example.test", "A", timeout=5)
    assert m.rcode() == dns.rcode.NOERROR
    assert [rd.address for _, _, rd in rrs(m)] == ["192.0.2.7"]
    assert (silent.count(), bad.count(), live.count()) == (1, 1, 1)


def test_random_strategy_uses_every_upstream(agents, upstreams, tmp_path):
    one, two = upstreams(), upstreams()
    cfg = cfg_file(tmp_path, "r.json", {"recursors": [one.addr, two.addr],
                                        "dns_config": {"recursor_strategy": "random"}})
    a = agents(args=["-config-file", cfg])
    for _ in range(24):
        assert query(a.ip, "www.example.test", "A").rcode() == dns.rcode.NOERROR
    assert one.count() + two.count() == 24
    assert one.count() > 0 and two.count() > 0


def test_reload_changes_recursors(agents, upstreams, tmp_path):
    live = upstreams()
    cfg = tmp_path / "r.json"
    cfg.write_text(json.dumps({"recursors": [dead_addr()]}))
    a = agents(args=["-config-file", str(cfg)])
    assert query(a.ip, "www.example.test", "A").rcode() == dns.rcode.SERVFAIL
    cfg.write_text(json.dumps({"recursors": [live.addr]}))
    a.signal(signal.SIGHUP)
    wait_until(lambda: query(a.ip, "www.example.test", "A").rcode() == dns.rcode.NOERROR,
               what="the new recursor after SIGHUP")
    assert live.count() >= 1


DNSMASQ = shutil.which("dnsmasq") or ("/usr/sbin/dnsmasq"
                                       if os.path.exists("/usr/sbin/dnsmasq") else None)


@pytest.mark.skipif(DNSMASQ is None, reason="dnsmasq not installed (Debian: dnsmasq-base)")
def test_dnsmasq_forwards_consul_domain(agents, tmp_path):
    """Seed 001: dnsmasq with `server=/consul/<agent>#8600` in front."""
    a = agents()
    register_service(a, {"Name": "web", "Port": 10000})
    wait_until(lambda: rrs(query(a.ip, "web.service.consul", "SRV")), what="web in DNS")
    port = free_port(kind=socket.SOCK_DGRAM)
    argv = [DNSMASQ, "--keep-in-foreground", f"--port={port}",
            "--listen-address=127.0.0.1", "--bind-interfaces", "--no-resolv",
            "--no-hosts", "--strict-order", f"--server=/consul/{a.ip}#8600",
            "--conf-file=/dev/null", "--pid-file=", "--cache-size=0",
            "--log-facility=" + str(tmp_path / "dnsmasq.log")]
    if os.geteuid() == 0:
        argv.append("--user=root")  # no nobody/dnsmasq switch needed in a test
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        def up():
            if p.poll() is not None:
                pytest.skip(f"dnsmasq cannot run here: {p.stderr.read().decode()!r}")
            return "status: NOERROR" in dig("127.0.0.1", "web.service.consul", "SRV",
                                            port=port)
        wait_until(up, timeout=5, interval=0.1, what="dnsmasq forwarding")
        out = dig("127.0.0.1", "web.service.consul", "SRV", port=port)
        assert section_lines(out, "ANSWER") == [
            f"web.service.consul. 0 IN SRV 1 1 10000 {a.name.lower()}.node.dc1.consul."], out
        assert f"{a.name.lower()}.node.dc1.consul. 0 IN A {a.ip}" in \
            section_lines(out, "ADDITIONAL"), out
        out = dig("127.0.0.1", "web.service.consul", "A", "+short", port=port)
        assert out.split() == [a.ip], out
    finally:
        p.terminate()
        try:
            p.wait(3)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
