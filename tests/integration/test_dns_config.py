"""DNS configuration: ports, health filtering, TTLs, limits, reload.

Consul facts:
 - `ports.dns` (flag `-dns-port`) moves the UDP and TCP listeners; -1 turns
   DNS off; the agent logs "Started DNS server: address=<ip>:<port>
   network=udp" and "... network=tcp";
 - critical instances are never answered; warning ones are unless
   `dns_config.only_passing`; the next query after a check changes sees it;
 - `dns_config.node_ttl` and `service_ttl` (per service name, "*" for any)
   set the TTLs; `a_record_limit` caps A/AAAA answers on UDP and TCP alike;
   plain UDP (no EDNS) also keeps at most udp_answer_limit (3) answers;
 - dns_config is reloadable (SIGHUP, PUT /v1/agent/reload).
"""

import json
import signal
import socket

import dns.exception
import dns.rcode
import pytest

from conftest import ext_node, register_service, wait_until
from test_dns import query, rrs, wait_node


def tcp_refused(ip, port):
    s = socket.socket()
    s.settimeout(2)
    try:
        s.connect((ip, port))
    except ConnectionRefusedError:
        return True
    finally:
        s.close()
    return False


def write_cfg(path, obj):
    path.write_text(json.dumps(obj))
    return path


def ports_of(ip, name, **kw):
    return sorted(rd.port for _, _, rd in rrs(query(ip, name, "SRV", **kw), rdtype="SRV"))


def test_dns_port_flag(agents):
    a = agents(args=["-dns-port", "8653"])
    wait_node(a, port=8653)
    m = query(a.ip, f"{a.name}.node.consul", "A", port=8653)
    assert [rd.address for _, _, rd in rrs(m)] == [a.ip]
    m = query(a.ip, f"{a.name}.node.consul", "A", port=8653, tcp=True)
    assert [rd.address for _, _, rd in rrs(m)] == [a.ip]
    assert tcp_refused(a.ip, 8600)
    log = a.log_text()
    assert f"agent: Started DNS server: address={a.ip}:8653 network=udp" in log, log
    assert f"agent: Started DNS server: address={a.ip}:8653 network=tcp" in log, log


def test_dns_disabled(agents, tmp_path):
    cfg = write_cfg(tmp_path / "nodns.json", {"ports": {"dns": -1}})
    a = agents(args=["-config-file", str(cfg)])
    assert tcp_refused(a.ip, 8600)
    with pytest.raises((dns.exception.Timeout, ConnectionRefusedError)):
        query(a.ip, f"{a.name}.node.consul", "A", timeout=0.3)
    assert "Started DNS server" not in a.log_text()
    assert a.get("/v1/agent/self").status_code == 200


def test_health_change_reflected_in_next_answer(agents):
    a = agents()
    for i in (1, 2):
        register_service(a, {"Name": "api", "ID": f"api{i}", "Port": 7000 + i,
                             "Check": {"TTL": "30s", "Status": "passing"}})
    wait_until(lambda: ports_of(a.ip, "api.service.consul") == [7001, 7002],
               what="both api instances")
    assert a.put("/v1/agent/check/fail/service:api2").status_code == 200
    wait_until(lambda: ports_of(a.ip, "api.service.consul") == [7001],
               what="the failed instance gone from DNS")
    assert a.put("/v1/agent/check/pass/service:api2").status_code == 200
    wait_until(lambda: ports_of(a.ip, "api.service.consul") == [7001, 7002],
               what="the instance back after passing")
    # every instance critical: the name is known, the answer empty
    for i in (1, 2):
        assert a.put(f"/v1/agent/check/fail/service:api{i}").status_code == 200
    wait_until(lambda: ports_of(a.ip, "api.service.consul") == [], what="no instance left")
    m = query(a.ip, "api.service.consul", "SRV")
    assert not m.answer and m.rcode() in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN)


def test_only_passing_and_reload(agents, tmp_path):
    cfg = write_cfg(tmp_path / "dns.json", {"dns_config": {"only_passing": False}})
    a = agents(args=["-config-file", str(cfg)])
    for i in (1, 2):
        register_service(a, {"Name": "warny", "ID": f"w{i}", "Port": 7100 + i,
                             "Check": {"TTL": "30s", "Status": "passing"}})
    assert a.put("/v1/agent/check/warn/service:w2").status_code == 200
    wait_until(lambda: ports_of(a.ip, "warny.service.consul") == [7101, 7102],
               what="warning instance still answered")
    # SIGHUP with only_passing: the warning instance goes
    write_cfg(cfg, {"dns_config": {"only_passing": True}})
    a.signal(signal.SIGHUP)
    wait_until(lambda: ports_of(a.ip, "warny.service.consul") == [7101],
               what="only_passing after SIGHUP")
    # PUT /v1/agent/reload back to the default
    write_cfg(cfg, {"dns_config": {"only_passing": False}})
    assert a.put("/v1/agent/reload").status_code == 200
    assert ports_of(a.ip, "warny.service.consul") == [7101, 7102]


def test_ttls_and_a_record_limit(agents, tmp_path):
    cfg = write_cfg(tmp_path / "dns.json", {"dns_config": {
        "node_ttl": "10s",
        "service_ttl": {"*": "5s", "web": "30s"},
        "a_record_limit": 2,
    }})
    a = agents(args=["-config-file", str(cfg)])
    for i in range(4):
        ext_node(a, node=f"lim{i}", address=f"10.2.0.{i + 1}",
                 services=[{"ID": f"web{i}", "Service": "web", "Port": 80}])
    ext_node(a, node="other0", address="10.3.0.1",
             services=[{"ID": "other", "Service": "other", "Port": 81}])
    wait_node(a)
    m = query(a.ip, f"{a.name}.node.consul", "A")
    assert [ttl for _, ttl, _ in rrs(m)] == [10]
    # the limit is for A/AAAA only (TCP: no udp_answer_limit either)
    m = query(a.ip, "web.service.consul", "SRV", tcp=True)
    assert len(rrs(m, rdtype="SRV")) == 4
    assert {ttl for _, ttl, _ in rrs(m, rdtype="SRV")} == {30}
    m = query(a.ip, "other.service.consul", "A")
    assert [ttl for _, ttl, _ in rrs(m)] == [5]
    for tcp in (False, True):
        m = query(a.ip, "web.service.consul", "A", tcp=tcp)
        got = [rd.address for _, _, rd in rrs(m, rdtype="A")]
        assert len(got) == 2 and set(got) <= {f"10.2.0.{i + 1}" for i in range(4)}, got
