"""DNS answer cache and UDP worker thread (docs/dns.md "Answer cache").

cairn keeps finished UDP replies for at most 250 ms, and only while the
store has not changed; worker threads (one per CPU) answer the cached ones
from their own sockets on the same address and port (SO_REUSEPORT,
datagrams steered by CPU) and have the loop renew entries past 100 ms. What a
client must never notice:
 - a write acknowledged over HTTP is in the very next answer (no waiting);
 - answers still rotate; each reply carries its query's ID and the question
   exactly as asked (case included);
 - a reload is in the next answer;
 - the address and port stay exclusive to one agent.
"""

import json
import os
import signal
import socket

import dns.flags
import dns.message
import dns.query
import dns.rcode
import pytest

from conftest import creg, ext_node, wait_until
from test_dns import query, rrs, wait_node


def srv_ports(ip, name="hammer.service.consul"):
    return sorted(rd.port for _, _, rd in rrs(query(ip, name, "SRV"), rdtype="SRV"))


def a_addrs(ip, name="hammer.service.consul"):
    return sorted(rd.address for _, _, rd in rrs(query(ip, name, "A"), rdtype="A"))


def set_health(a, i, status):
    node = f"hammer-{i}"
    creg(a, {"Node": node, "Address": f"10.9.0.{i}",
             "Check": {"Node": node, "CheckID": f"hc{i}", "Name": "hc",
                       "ServiceID": "hammer", "Status": status}})


def test_write_visible_to_next_query_hammer(agents):
    a = agents()
    for i in (1, 2, 3):
        ext_node(a, node=f"hammer-{i}", address=f"10.9.0.{i}",
                 services=[{"ID": "hammer", "Service": "hammer", "Port": 9000 + i}])
        set_health(a, i, "passing")
    wait_until(lambda: srv_ports(a.ip) == [9001, 9002, 9003], what="three instances")
    all3, two = [9001, 9002, 9003], [9001, 9002]
    for round_ in range(40):
        # warm the cache on both sockets, then change health and ask at once
        for _ in range(4):
            assert srv_ports(a.ip) == all3, round_
            assert a_addrs(a.ip) == ["10.9.0.1", "10.9.0.2", "10.9.0.3"], round_
        set_health(a, 3, "critical")
        for _ in range(4):
            assert srv_ports(a.ip) == two, round_
            assert a_addrs(a.ip) == ["10.9.0.1", "10.9.0.2"], round_
        set_health(a, 3, "passing")
        assert srv_ports(a.ip) == all3, round_
    # a KV write moves the generation too, and answers stay right after it
    assert a.put("/v1/kv/cache-test", data="x").status_code == 200
    assert srv_ports(a.ip) == all3
    # deregistering the service: NXDOMAIN in the next answer
    for i in (1, 2, 3):
        r = a.put("/v1/catalog/deregister", data=json.dumps({"Node": f"hammer-{i}"}))
        assert r.status_code == 200
    m = query(a.ip, "hammer.service.consul", "SRV")
    assert m.rcode() == dns.rcode.NXDOMAIN and not m.answer


def test_rotation_ids_and_case(agents):
    a = agents()
    for i in (1, 2, 3):
        ext_node(a, node=f"rot-{i}", address=f"10.8.0.{i}",
                 services=[{"ID": "rot", "Service": "rot", "Port": 80}])
    wait_until(lambda: len(a_addrs(a.ip, "rot.service.consul")) == 3, what="three instances")
    orders = set()
    for qid in range(1, 121):
        m = query(a.ip, "rot.service.consul", "A", qid=qid)
        assert m.id == qid
        orders.add(tuple(rd.address for _, _, rd in rrs(m, rdtype="A")))
    assert len(orders) >= 2, orders
    # the question comes back as it was asked, whatever was cached first
    for name in ("rot.service.consul", "ROT.Service.Consul", "rot.service.consul"):
        q = dns.message.make_query(name, "A")
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(2)
        try:
            s.sendto(q.to_wire(), (a.ip, 8600))
            wire, _ = s.recvfrom(4096)
        finally:
            s.close()
        assert wire[:2] == q.to_wire()[:2]
        qname = dns.message.from_wire(wire).question[0].name.to_text()
        assert qname == name + ".", qname


def test_reload_visible_to_next_query(agents, tmp_path):
    cfg = tmp_path / "dns.json"
    cfg.write_text(json.dumps({"dns_config": {"node_ttl": "10s"}}))
    a = agents(args=["-config-file", str(cfg)])
    wait_node(a)
    name = f"{a.name}.node.consul"
    for _ in range(10):
        assert [ttl for _, ttl, _ in rrs(query(a.ip, name, "A"))] == [10]
    cfg.write_text(json.dumps({"dns_config": {"node_ttl": "20s"}}))
    assert a.put("/v1/agent/reload").status_code == 200
    for _ in range(10):
        assert [ttl for _, ttl, _ in rrs(query(a.ip, name, "A"))] == [20]
    cfg.write_text(json.dumps({"dns_config": {"node_ttl": "30s"}}))
    a.signal(signal.SIGHUP)
    wait_until(lambda: [ttl for _, ttl, _ in rrs(query(a.ip, name, "A"))] == [30],
               what="SIGHUP reload")


def test_port_stays_exclusive(agents):
    a = agents()
    wait_node(a)
    # the worker's socket shares the port with the agent's own: nobody else can
    for opt in (None, socket.SO_REUSEADDR):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        if opt is not None:
            s.setsockopt(socket.SOL_SOCKET, opt, 1)
        try:
            with pytest.raises(OSError):
                s.bind((a.ip, 8600))
        finally:
            s.close()
    # and a port someone else holds (even with SO_REUSEPORT) is refused
    b = agents(start=False, args=["-dns-port", "8654"])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.bind((b.ip, 8654))
    try:
        b.start(wait=False)
        wait_until(lambda: not b.running(), what="agent exits")
        assert f"listen udp {b.ip}:8654: bind: address already in use" in b.log_text()
    finally:
        s.close()


def workers(pid):
    """{tid: the CPUs it may run on} for the agent's UDP worker threads."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        base = f"/proc/{pid}/task/{tid}"
        try:
            with open(f"{base}/comm") as f:
                if f.read().strip() != "cairn-dns-udp":
                    continue
            with open(f"{base}/status") as f:
                allowed = [ln.split()[1] for ln in f if ln.startswith("Cpus_allowed_list:")]
        except FileNotFoundError:
            continue
        out[tid] = allowed[0]
    return out


def on_cpu_ns(pid, tid):
    with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
        return int(f.read().split()[0])


@pytest.fixture
def pinned_to():
    """pinned_to(cpus): run this test process (and what it starts) on cpus; the
    old mask comes back afterwards."""
    old = os.sched_getaffinity(0)
    yield lambda cpus: os.sched_setaffinity(0, cpus)
    os.sched_setaffinity(0, old)


def test_one_worker_per_cpu_pinned_and_steered(agents, pinned_to):
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        pytest.skip("needs two CPUs")
    a = agents()
    wait_node(a)
    ws = workers(a.pid)
    # one per CPU of the agent's mask (at most 4), each pinned to its own
    assert sorted(ws.values(), key=int) == [str(c) for c in cpus[:4]], ws
    for i in range(3):
        ext_node(a, node=f"steer-{i}", address=f"10.7.0.{i + 1}",
                 services=[{"ID": "steer", "Service": "steer", "Port": 80}])
    wait_until(lambda: len(a_addrs(a.ip, "steer.service.consul")) == 3, what="instances")
    # a query sent from CPU c is read by the worker pinned to c (loopback is
    # processed on the sender's CPU): that worker's CPU time grows, not the others'
    for c in cpus[:2]:
        pinned_to({c})
        before = {tid: on_cpu_ns(a.pid, tid) for tid in ws}
        for _ in range(400):
            assert len(a_addrs(a.ip, "steer.service.consul")) == 3
        grew = {ws[tid]: on_cpu_ns(a.pid, tid) - before[tid] for tid in ws}
        mine = grew.pop(str(c))
        assert mine > 0 and all(mine > 3 * g for g in grew.values()), (c, mine, grew)


def test_one_cpu_no_workers(agents, pinned_to):
    # an agent that may run on one CPU answers on its loop alone
    pinned_to({sorted(os.sched_getaffinity(0))[0]})
    a = agents()
    wait_node(a)
    assert workers(a.pid) == {}
    ext_node(a, node="solo-1", address="10.6.0.1",
             services=[{"ID": "solo", "Service": "solo", "Port": 80}])
    wait_until(lambda: a_addrs(a.ip, "solo.service.consul") == ["10.6.0.1"], what="instance")
    for _ in range(50):
        assert a_addrs(a.ip, "solo.service.consul") == ["10.6.0.1"]
