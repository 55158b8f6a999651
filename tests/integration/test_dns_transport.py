"""DNS transports: UDP sizes and truncation, TCP framing, hostile input.

Facts:
 - UDP without EDNS is limited to 512 bytes, with EDNS0 to the client's
   advertised size; an answer that does not fit is cut to whole records and
   TC is set (cairn always sets it; Consul only with enable_truncate), so
   dig retries over TCP by itself and gets everything (RFC 1035 4.2.1,
   RFC 6891 6.2.5, RFC 7766);
 - TCP messages carry a two-byte length prefix, several queries may be
   pipelined on one connection and are answered by ID;
 - malformed packets get FORMERR when a header can be read and nothing when
   not; either way the agent keeps answering.
"""

import random
import socket
import struct

import dns.flags
import dns.message
import dns.rcode
import pytest

from conftest import creg, wait_until
from test_dns import DNS_PORT, dig, query, rrs, wait_node

N_BIG = 200


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """An agent with `big`: N_BIG instances on N_BIG external nodes."""
    from conftest import Agent
    a = Agent(tmp_path_factory.mktemp("dnsbig"))
    try:
        a.start()
        for i in range(N_BIG):
            creg(a, {"Node": f"big{i}", "Address": f"10.4.{i // 250}.{i % 250 + 1}",
                     "Service": {"ID": "big", "Service": "big", "Port": 1000 + i}})
        wait_node(a)
    except Exception:
        a.close()
        raise
    yield a
    a.close()


def raw_udp(ip, wire, timeout=2.0, port=DNS_PORT):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(wire, (ip, port))
        return s.recv(70000)
    finally:
        s.close()


def udp_sized(ip, name, rdtype, payload):
    """(wire length, message) for a UDP query with EDNS `payload`, or none (0)."""
    kw = {"use_edns": 0, "payload": payload} if payload else {}
    m = dns.message.make_query(name, rdtype, **kw)
    data = raw_udp(ip, m.to_wire())
    return len(data), dns.message.from_wire(data)


def tcp_conn(ip, timeout=3.0):
    s = socket.create_connection((ip, DNS_PORT), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def frame(wire):
    return struct.pack("!H", len(wire)) + wire


def recv_exact(s, n):
    out = b""
    while len(out) < n:
        chunk = s.recv(n - len(out))
        if not chunk:
            return None
        out += chunk
    return out


def recv_msg(s):
    head = recv_exact(s, 2)
    if head is None:
        return None
    body = recv_exact(s, struct.unpack("!H", head)[0])
    return dns.message.from_wire(body) if body is not None else None


def closed_by_peer(s, timeout=3.0):
    s.settimeout(timeout)
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True


def still_answers(a):
    m = query(a.ip, f"{a.name}.node.consul", "A")
    assert [rd.address for _, _, rd in rrs(m)] == [a.ip]
    m = query(a.ip, f"{a.name}.node.consul", "A", tcp=True)
    assert [rd.address for _, _, rd in rrs(m)] == [a.ip]


def test_plain_udp_is_cut_to_512_with_tc(big):
    n, m = udp_sized(big.ip, "big.service.consul", "A", 0)
    assert n <= 512
    assert m.flags & dns.flags.TC
    assert 1 <= len(rrs(m)) < N_BIG


def test_edns_size_honoured(big):
    counts = {}
    for payload in (1232, 4096):
        n, m = udp_sized(big.ip, "big.service.consul", "A", payload)
        assert n <= payload, (payload, n)
        counts[payload] = (len(rrs(m)), bool(m.flags & dns.flags.TC))
    # 200 A records take about 3.3 KB: cut at 1232, whole at 4096
    assert counts[1232][1] and 3 < counts[1232][0] < N_BIG, counts
    assert counts[4096] == (N_BIG, False), counts


def test_dig_retries_truncated_answer_over_tcp(big):
    out = dig(big.ip, "big.service.consul", "A")
    assert "Truncated, retrying in TCP mode" in out, out
    assert f"ANSWER: {N_BIG}," in out, out
    assert "(TCP)" in out, out
    out = dig(big.ip, "+ignore", "big.service.consul", "SRV")
    assert " tc " in out.split(";; flags:")[1].split(";")[0] + " ", out
    m = query(big.ip, "big.service.consul", "SRV", tcp=True)
    assert sorted(rd.port for _, _, rd in rrs(m, rdtype="SRV")) == \
        [1000 + i for i in range(N_BIG)]


def test_tcp_pipelined_queries(big):
    names = [(f"{big.name}.node.consul", "A"), ("big.service.consul", "SRV"),
             ("nosuch.service.consul", "A")]
    msgs = []
    for i, (name, t) in enumerate(names):
        m = dns.message.make_query(name, t)
        m.id = 1000 + i
        msgs.append(m)
    s = tcp_conn(big.ip)
    try:
        s.sendall(b"".join(frame(m.to_wire()) for m in msgs))
        got = {}
        for _ in msgs:
            r = recv_msg(s)
            assert r is not None
            got[r.id] = r
        assert sorted(got) == [1000, 1001, 1002]
        assert [rd.address for _, _, rd in rrs(got[1000])] == [big.ip]
        assert len(rrs(got[1001], rdtype="SRV")) == N_BIG
        assert got[1002].rcode() == dns.rcode.NXDOMAIN
        # one query dribbled byte by byte on the same connection
        m = dns.message.make_query(f"{big.name}.node.consul", "A")
        for b in frame(m.to_wire()):
            s.sendall(bytes([b]))
        r = recv_msg(s)
        assert r.id == m.id and [rd.address for _, _, rd in rrs(r)] == [big.ip]
        # the client's half-close: the answer still comes, then EOF
        m = dns.message.make_query("big.service.consul", "A")
        s.sendall(frame(m.to_wire()))
        s.shutdown(socket.SHUT_WR)
        r = recv_msg(s)
        assert r.id == m.id and len(rrs(r)) == N_BIG
        assert closed_by_peer(s)
    finally:
        s.close()


def bad_packets():
    hdr = struct.pack("!HHHHHH", 0xBEEF, 0x0100, 1, 0, 0, 0)
    pkts = [
        b"", b"\x00", b"\x12\x34\x01", b"\xff" * 11,        # no header
        hdr,                                                  # question missing
        hdr + b"\x3fabc",                                     # label runs past the end
        hdr + b"\xc0\x0c\x00\x01\x00\x01",                    # pointer to itself
        hdr + b"\x03www" * 100 + b"\x00\x00\x01\x00\x01",     # name longer than 255
        struct.pack("!HHHHHH", 0xBEEF, 0x0100, 9, 9, 9, 9) + b"\x00\x00\x01\x00\x01",
        hdr + b"\x00\x00\x01\x00\x01" + b"\x00" * 3000,       # trailing junk
    ]
    rng = random.Random(4)
    pkts += [bytes(rng.getrandbits(8) for _ in range(rng.randint(12, 300)))
             for _ in range(100)]
    return pkts


def test_malformed_udp(big):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        for p in bad_packets():
            s.sendto(p, (big.ip, DNS_PORT))
        # a header with a question that cannot be read: FORMERR, same ID
        hdr = struct.pack("!HHHHHH", 0xBEEF, 0x0100, 1, 0, 0, 0)
        s.settimeout(2)
        s.sendto(hdr + b"\x3fabc", (big.ip, DNS_PORT))
        seen = []
        while True:
            data = s.recv(70000)
            seen.append(data)
            if data[:2] == b"\xbe\xef" and (data[3] & 0x0f) == dns.rcode.FORMERR:
                break
    except socket.timeout:
        pytest.fail(f"no FORMERR came back; saw {len(seen)} replies")
    finally:
        s.close()
    still_answers(big)


def test_malformed_tcp(big):
    # a zero length prefix closes the connection
    s = tcp_conn(big.ip)
    s.sendall(b"\x00\x00")
    assert closed_by_peer(s)
    s.close()
    # a message without even a header closes it too
    s = tcp_conn(big.ip)
    s.sendall(frame(b"\x01\x02\x03"))
    assert closed_by_peer(s)
    s.close()
    # FORMERR for a bad question, and the connection goes on
    s = tcp_conn(big.ip)
    hdr = struct.pack("!HHHHHH", 0xBEEF, 0x0100, 1, 0, 0, 0)
    s.sendall(frame(hdr + b"\x3fabc"))
    r = recv_exact(s, 2)
    body = recv_exact(s, struct.unpack("!H", r)[0])
    assert body[:2] == b"\xbe\xef" and (body[3] & 0x0f) == dns.rcode.FORMERR
    m = dns.message.make_query(f"{big.name}.node.consul", "A")
    s.sendall(frame(m.to_wire()))
    assert recv_msg(s).id == m.id
    s.close()
    # garbage of every kind, connections dropped half way
    for p in bad_packets():
        s = tcp_conn(big.ip)
        try:
            s.sendall(frame(p)[: max(1, len(p) // 2 + 2)])
        except OSError:
            pass
        s.close()
    # a full-size message of junk, then a cut-off length prefix
    s = tcp_conn(big.ip)
    s.sendall(b"\xff\xff" + bytes(random.Random(7).getrandbits(8) for _ in range(65535)))
    s.sendall(b"\x00")
    s.close()
    still_answers(big)
