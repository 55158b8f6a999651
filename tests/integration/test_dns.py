"""The DNS interface: every lookup form, answered over UDP by a real agent.

One agent (node meta rack=r1, alt_domain "cairn-alt.") serves the module:
 - `web` on the agent's own node (port 8080, tag master, node address) and on
   the external node ext-a (10.1.0.1, port 9090, tag replica, no checks);
 - `db` on ext-b (node 10.1.0.2) with its own service address 10.9.9.9.

Consul facts (agent/dns.go, website/content/docs/services/discovery/dns-*):
 - SRV answers `<svc>.service.consul. 0 IN SRV 1 1 <port> <node>.node.<dc>.consul.`
   with the node's A record (and TXT meta) in the additional section; flags
   `qr aa rd` (no RA without recursors), TTL 0 by default;
 - a service address that differs from the node's turns the SRV target into
   `<hex ip>.addr.<dc>.consul.` with that address in the additional A record;
 - tag lookups `<tag>.<svc>.service.consul`; RFC 2782 `_<svc>._<tag>.service`
   where the protocol label `_tcp` means "any tag";
 - node lookups `<node>.node[.<dc>].consul` give A and TXT ("key=value" from
   node meta, RFC 1464);
 - PTR in in-addr.arpa names `<node>.node.<dc>.consul.`, or for a service
   address `<svc>.service.<dc>.consul.`;
 - unknown names: NXDOMAIN with the SOA in the authority section
   (`ns.consul. hostmaster.consul.`, refresh 3600, retry 600, expire 86400,
   minimum 0); a known name without that type: NOERROR, no answer, SOA;
 - names are case-insensitive; alt_domain answers like domain.
"""

import ipaddress
import subprocess

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import dns.reversename
import pytest

from conftest import Agent, ext_node, register_service, wait_until

DNS_PORT = 8600


# --------------------------------------------------------------------------
# helpers (imported by the other test_dns_* modules)
# --------------------------------------------------------------------------

def query(ip, name, rdtype="A", tcp=False, port=DNS_PORT, edns=False, payload=None,
          timeout=2.0, qid=None):
    """One query with dnspython; returns the parsed response."""
    kw = {}
    if edns is not False:
        kw = {"use_edns": edns, "payload": payload or 1232}
    m = dns.message.make_query(name, rdtype, **kw)
    if qid is not None:
        m.id = qid
    if tcp:
        return dns.query.tcp(m, ip, timeout=timeout, port=port)
    return dns.query.udp(m, ip, timeout=timeout, port=port)


def rrs(msg, section="answer", rdtype=None):
    """(name, ttl, rdata) of every record in a section, optionally one type."""
    out = []
    for rrset in getattr(msg, section):
        if rdtype is not None and rrset.rdtype != dns.rdatatype.from_text(rdtype):
            continue
        for rd in rrset:
            out.append((rrset.name.to_text().lower(), rrset.ttl, rd))
    return out


def dig(ip, *args, port=DNS_PORT, timeout=10):
    r = subprocess.run(["dig", f"@{ip}", "-p", str(port), "+time=2", "+tries=1", *args],
                       capture_output=True, text=True, timeout=timeout)
    return r.stdout + r.stderr


def section_lines(out, title):
    """The record lines of one section of dig's output, whitespace-normalised."""
    lines, on = [], False
    for line in out.splitlines():
        if line.startswith(";; ") and line.rstrip().endswith("SECTION:"):
            on = line.startswith(f";; {title} SECTION")
            continue
        if on:
            if not line.strip():
                on = False
                continue
            lines.append(" ".join(line.split()))
    return lines


def wait_node(agent, port=DNS_PORT, timeout=5.0):
    """Until the agent's own node answers in DNS: anti-entropy registers it a
    moment after the leader is known."""
    name = f"{agent.name}.node.consul"
    wait_until(lambda: query(agent.ip, name, "A", port=port).answer, timeout=timeout,
               what=f"{name} in DNS")


def hex_ip(ip):
    return "".join(f"{int(o):02x}" for o in ip.split("."))


# --------------------------------------------------------------------------
# the shared agent
# --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def env(tmp_path_factory):
    a = Agent(tmp_path_factory.mktemp("dns"),
              args=["-node-meta", "rack:r1", "-alt-domain", "cairn-alt."])
    try:
        a.start()
        register_service(a, {"Name": "web", "Port": 8080, "Tags": ["master"]})
        ext_node(a, node="ext-a", address="10.1.0.1",
                 services=[{"ID": "web-ext", "Service": "web", "Port": 9090,
                            "Tags": ["replica"]}])
        ext_node(a, node="ext-b", address="10.1.0.2",
                 services=[{"ID": "db1", "Service": "db", "Port": 5432,
                            "Address": "10.9.9.9"}])
        # the agent's own service reaches the catalog through anti-entropy
        wait_until(lambda: len(rrs(query(a.ip, "web.service.consul", "SRV"))) == 2,
                   timeout=5, what="both web instances in DNS")
    except Exception:
        a.close()
        raise
    yield a
    a.close()


def test_seed_dig_srv_shape(env):
    """Seed 001: `dig @127.0.0.1 -p 8600 web.service.consul SRV`."""
    out = dig(env.ip, "web.service.consul", "SRV")
    assert "status: NOERROR" in out, out
    assert ";; flags: qr aa rd;" in out, out
    assert "ANSWER: 2," in out, out
    answers = sorted(section_lines(out, "ANSWER"))
    node = env.name.lower()
    assert answers == sorted([
        f"web.service.consul. 0 IN SRV 1 1 8080 {node}.node.dc1.consul.",
        "web.service.consul. 0 IN SRV 1 1 9090 ext-a.node.dc1.consul.",
    ]), out
    extra = section_lines(out, "ADDITIONAL")
    assert f"{node}.node.dc1.consul. 0 IN A {env.ip}" in extra, out
    assert "ext-a.node.dc1.consul. 0 IN A 10.1.0.1" in extra, out


def test_service_a_records(env):
    m = query(env.ip, "web.service.consul", "A")
    assert m.rcode() == dns.rcode.NOERROR
    assert m.flags & dns.flags.AA and m.flags & dns.flags.QR
    got = rrs(m, rdtype="A")
    assert {n for n, _, _ in got} == {"web.service.consul."}
    assert sorted(rd.address for _, _, rd in got) == sorted([env.ip, "10.1.0.1"])
    assert all(ttl == 0 for _, ttl, _ in got)


def test_tag_lookups(env):
    node = env.name.lower()
    m = query(env.ip, "master.web.service.consul", "SRV")
    assert [(rd.port, rd.target.to_text().lower()) for _, _, rd in rrs(m)] == \
        [(8080, f"{node}.node.dc1.consul.")]
    m = query(env.ip, "replica.web.service.consul", "A")
    assert [rd.address for _, _, rd in rrs(m)] == ["10.1.0.1"]
    m = query(env.ip, "nosuchtag.web.service.consul", "SRV")
    assert m.rcode() == dns.rcode.NXDOMAIN and not m.answer


def test_rfc2782_lookups(env):
    m = query(env.ip, "_web._tcp.service.consul", "SRV")
    assert sorted(rd.port for _, _, rd in rrs(m, rdtype="SRV")) == [8080, 9090]
    assert {n for n, _, _ in rrs(m)} == {"_web._tcp.service.consul."}
    m = query(env.ip, "_web._master.service.consul", "SRV")
    assert [rd.port for _, _, rd in rrs(m, rdtype="SRV")] == [8080]
    m = query(env.ip, "_web._tcp.service.dc1.consul", "SRV")
    assert len(rrs(m, rdtype="SRV")) == 2


def test_service_address_uses_addr_target(env):
    m = query(env.ip, "db.service.consul", "SRV")
    srv = rrs(m, rdtype="SRV")
    target = f"{hex_ip('10.9.9.9')}.addr.dc1.consul."
    assert [(rd.port, rd.target.to_text().lower()) for _, _, rd in srv] == [(5432, target)]
    extra = rrs(m, "additional", "A")
    assert (target, 0) in [(n, t) for n, t, _ in extra]
    assert [rd.address for n, _, rd in extra if n == target] == ["10.9.9.9"]
    # A on the service name gives the service address, not the node's
    m = query(env.ip, "db.service.consul", "A")
    assert [rd.address for _, _, rd in rrs(m)] == ["10.9.9.9"]


def test_node_lookups(env):
    node = env.name
    m = query(env.ip, f"{node}.node.consul", "A")
    assert [rd.address for _, _, rd in rrs(m)] == [env.ip]
    m = query(env.ip, f"{node}.node.dc1.consul", "TXT")
    txts = [b"".join(rd.strings).decode() for _, _, rd in rrs(m, rdtype="TXT")]
    assert "rack=r1" in txts, txts
    m = query(env.ip, "ext-a.node.consul", "A")
    assert [rd.address for _, _, rd in rrs(m)] == ["10.1.0.1"]


def test_ptr_lookups(env):
    node = env.name.lower()
    for ip, want in [(env.ip, f"{node}.node.dc1.consul."),
                     ("10.1.0.1", "ext-a.node.dc1.consul.")]:
        rev = dns.reversename.from_address(ip).to_text()
        m = query(env.ip, rev, "PTR")
        assert m.rcode() == dns.rcode.NOERROR, (ip, m)
        assert [rd.target.to_text().lower() for _, _, rd in rrs(m)] == [want]
    out = dig(env.ip, "-x", "10.9.9.9")
    assert "status: NOERROR" in out, out
    # Consul 1.20 spells the datacenter (serviceCanonicalDNSName); older ones did not
    assert any(line.endswith(("PTR db.service.dc1.consul.", "PTR db.service.consul."))
               for line in section_lines(out, "ANSWER")), out


def soa_of(m):
    soa = rrs(m, "authority", "SOA")
    assert len(soa) == 1, m
    return soa[0]


def test_unknown_name_nxdomain_with_soa(env):
    for name, t in [("nosuch.service.consul", "SRV"), ("nosuch.node.consul", "A"),
                    ("what.consul", "A")]:
        m = query(env.ip, name, t)
        assert m.rcode() == dns.rcode.NXDOMAIN, (name, m)
        assert not m.answer
        zone, _, soa = soa_of(m)
        assert zone == "consul."
        assert soa.mname.to_text() == "ns.consul."
        assert soa.rname.to_text() == "hostmaster.consul."
        assert (soa.refresh, soa.retry, soa.expire, soa.minimum) == (3600, 600, 86400, 0)


def test_known_name_missing_type_is_empty_noerror(env):
    for name in [f"{env.name}.node.consul", "web.service.consul"]:
        m = query(env.ip, name, "AAAA")
        assert m.rcode() == dns.rcode.NOERROR, (name, m)
        assert not m.answer, m
        soa_of(m)


def test_datacenter_label(env):
    m = query(env.ip, "web.service.dc1.consul", "SRV")
    assert len(rrs(m, rdtype="SRV")) == 2
    m = query(env.ip, "web.service.dc9.consul", "SRV")
    assert m.rcode() == dns.rcode.NXDOMAIN and not m.answer, m


def test_case_insensitive(env):
    m = query(env.ip, "WeB.SeRvIcE.CoNsUl", "SRV")
    assert m.rcode() == dns.rcode.NOERROR
    assert sorted(rd.port for _, _, rd in rrs(m, rdtype="SRV")) == [8080, 9090]
    m = query(env.ip, f"{env.name.upper()}.NODE.DC1.CONSUL", "A")
    assert [rd.address for _, _, rd in rrs(m)] == [env.ip]


def test_alt_domain(env):
    m = query(env.ip, "web.service.cairn-alt", "SRV")
    assert m.rcode() == dns.rcode.NOERROR, m
    targets = sorted(rd.target.to_text().lower() for _, _, rd in rrs(m, rdtype="SRV"))
    assert targets == sorted([f"{env.name.lower()}.node.dc1.cairn-alt.",
                              "ext-a.node.dc1.cairn-alt."])
    m = query(env.ip, "ext-a.node.cairn-alt", "A")
    assert [rd.address for _, _, rd in rrs(m)] == ["10.1.0.1"]


def test_tcp_answers_like_udp(env):
    udp = query(env.ip, "web.service.consul", "SRV")
    tcp = query(env.ip, "web.service.consul", "SRV", tcp=True)
    assert sorted(rd.port for _, _, rd in rrs(tcp)) == sorted(rd.port for _, _, rd in rrs(udp))
    assert ipaddress.ip_address(env.ip)  # sanity: the agent has an IP literal
