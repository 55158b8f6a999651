"""The seed scenario (seeds 001/002/004): a web service in a -config-dir with an
HTTP check, discovered through the catalog and health endpoints and through
python-consul as in seed 002's gRPC example.

Consul facts used here:
 - a config-dir `service` with `checks: [{http, interval}]` registers the service
   and a check with ID "service:web" named "Service 'web' check" (seed 001's
   log shows `Synced check "service:web"`);
 - checks start critical; HTTP 2xx -> passing, connection refused -> critical
   (output is the Go error text), output on success is
   "HTTP GET <url>: 200 OK Output: <body>";
 - /v1/health/service/web?passing lists only instances whose checks all pass;
   /v1/catalog/service/web lists every instance whatever its health;
 - python-consul 0.7.1 sends lowercase keys ("name", "id", "check": {"tcp"...}),
   `passing=1`, and deregisters with GET (modern Consul wants PUT, but the
   issue requires python-consul to work as the seed uses it).
"""

import socket
import time
import urllib.parse

import consul

from conftest import (HTTPTarget, TCPListener, agent_checks, agent_services, catalog_service,
                      health_service, json_ok, register_service, wait_check, wait_health,
                      wait_until, write_json_file)

INTERVAL = 1.0


def seed_web_json(port):
    # seed 001's web.json, with our port and the interval shortened to 1s
    return {
        "service": {
            "name": "web",
            "tags": ["master"],
            "address": "127.0.0.1",
            "port": port,
            "checks": [
                {"http": f"http://localhost:{port}/health", "interval": "1s"}
            ],
        }
    }


def test_seed_web_config_dir_lifecycle(agents, tmp_path):
    web = HTTPTarget()          # not started yet: the check must start critical/refused
    conf = tmp_path / "consul.d"
    conf.mkdir()
    write_json_file(conf / "web.json", seed_web_json(web.port))
    a = agents(args=["-config-dir", str(conf)])
    try:
        # registered from the config dir
        svcs = agent_services(a)
        assert "web" in svcs, svcs
        s = svcs["web"]
        assert s["Service"] == "web" and s["ID"] == "web"
        assert s["Tags"] == ["master"]
        assert s["Address"] == "127.0.0.1" and s["Port"] == web.port

        chk = wait_check(a, "service:web", "critical")
        assert chk["Name"] == "Service 'web' check"
        assert chk["ServiceID"] == "web" and chk["ServiceName"] == "web"
        assert chk["Type"] == "http"

        # catalog has the instance even while critical; ?passing does not
        cat = wait_until(lambda: catalog_service(a, "web"), 5, what="web in catalog")
        assert len(cat) == 1
        assert cat[0]["ServiceID"] == "web" and cat[0]["ServicePort"] == web.port
        assert cat[0]["ServiceTags"] == ["master"]
        assert cat[0]["Node"] == a.name
        assert health_service(a, "web", passing="") == []

        # the web service comes up: passing within an interval (+ start stagger)
        web.start()
        t0 = time.monotonic()
        chk = wait_check(a, "service:web", "passing", timeout=2 * INTERVAL + 2)
        assert chk["Output"] == f"HTTP GET http://localhost:{web.port}/health: 200 OK Output: ok"
        up = wait_health(a, "web", lambda e: len(e) == 1, passing="")
        assert up[0]["Service"]["ID"] == "web"
        assert [c["Status"] for c in up[0]["Checks"] if c["CheckID"] == "service:web"] == ["passing"]
        assert any(r["path"] == "/health" for r in web.requests)

        # it stops: critical within one interval (plus a little for the sync)
        web.stop()
        t_stop = time.monotonic()
        wait_check(a, "service:web", "critical", timeout=INTERVAL + 0.75)
        wait_health(a, "web", lambda e: e == [], timeout=INTERVAL + 1.5, passing="")
        assert time.monotonic() - t_stop < INTERVAL + 1.5
        # still in the catalog and in /health/service without ?passing
        assert len(catalog_service(a, "web")) == 1
        allh = health_service(a, "web")
        assert len(allh) == 1
        assert {c["CheckID"]: c["Status"] for c in allh[0]["Checks"]}["service:web"] == "critical"

        # and back
        web.start()
        wait_check(a, "service:web", "passing", timeout=INTERVAL + 0.75)
        wait_health(a, "web", lambda e: len(e) == 1, timeout=INTERVAL + 1.5, passing="")
        assert time.monotonic() - t0 < 30
    finally:
        web.stop()


def test_seed_catalog_service_web_shape(agents, tmp_path):
    """seed 001 shows `curl /v1/catalog/service/web?pretty`: a list of instances
    with the node fields and Service* fields."""
    web = HTTPTarget().start()
    conf = tmp_path / "consul.d"
    conf.mkdir()
    write_json_file(conf / "web.json", seed_web_json(web.port))
    a = agents(args=["-config-dir", str(conf)])
    try:
        cat = wait_until(lambda: catalog_service(a, "web"), 5, what="web in catalog")
        r = a.get("/v1/catalog/service/web", params={"pretty": ""})
        assert r.status_code == 200
        assert r.headers["Content-Type"].startswith("application/json")
        assert r.text.startswith("[\n    {\n        \"ID\": "), r.text[:80]
        e = cat[0]
        for k, v in {"Node": a.name, "Address": a.ip, "Datacenter": "dc1",
                     "ServiceID": "web", "ServiceName": "web", "ServiceTags": ["master"],
                     "ServiceAddress": "127.0.0.1", "ServicePort": web.port,
                     "ServiceEnableTagOverride": False}.items():
            assert e[k] == v, (k, e[k], v)
        assert e["TaggedAddresses"]["lan"] == a.ip and e["TaggedAddresses"]["wan"] == a.ip
        assert "consul-network-segment" in e["NodeMeta"]
        assert e["CreateIndex"] > 0 and e["ModifyIndex"] >= e["CreateIndex"]
    finally:
        web.stop()


def test_seed002_python_consul_register_discover_deregister(agent):
    """seed 002's gRPC example through python-consul: register with ID, Tags,
    Address, Port and a TCP check (Timeout, Interval); Health().Service(name,
    tag, passingOnly=true); ServiceDeregister(id)."""
    lis = TCPListener()
    c = consul.Consul(host=agent.ip, port=8500)
    name = "grpc And Consul"
    try:
        ok = c.agent.service.register(
            name, service_id="bj38", address="127.0.0.1", port=lis.port,
            tags=["grcp", "consul"],
            check=consul.Check.tcp("127.0.0.1", lis.port, "1s", timeout="1s"))
        assert ok is True
        s = agent_services(agent)["bj38"]
        assert s["Service"] == name and s["Tags"] == ["grcp", "consul"]
        assert s["Port"] == lis.port and s["Address"] == "127.0.0.1"
        chk = wait_check(agent, "service:bj38", "passing", timeout=5)
        assert chk["Output"] == f"TCP connect 127.0.0.1:{lis.port}: Success"
        assert chk["Type"] == "tcp"

        def discovered():
            _, nodes = c.health.service(name, tag="grcp", passing=True)
            return nodes
        nodes = wait_until(discovered, 5, what="python-consul health.service(passing=True)")
        assert len(nodes) == 1
        svc = nodes[0]["Service"]
        # the seed's client dials Service.Address + ":" + Service.Port
        assert f"{svc['Address']}:{svc['Port']}" == f"127.0.0.1:{lis.port}"
        _, none = c.health.service(name, tag="no-such-tag", passing=True)
        assert none == []

        # the gRPC server goes away: no longer returned with passing=True
        lis.close()
        wait_until(lambda: c.health.service(name, passing=True)[1] == [], 5,
                   what="critical instance dropped from passing results")

        assert c.agent.service.deregister("bj38") is True, \
            "python-consul 0.7.1 deregisters with GET /v1/agent/service/deregister/bj38"
        assert "bj38" not in agent_services(agent)
        assert "service:bj38" not in agent_checks(agent)
        wait_until(lambda: c.health.service(name)[1] == [], 5, what="deregistered from catalog")
        assert c.catalog.service(name)[1] == []
    finally:
        lis.close()


def test_seed002_go_client_shape_camelcase(agent):
    """The same registration as the Go api client sends it (CamelCase, PUT), with
    the seed's explicit CheckID, then the Go client's Health().Service query."""
    lis = TCPListener()
    name = "grpc And Consul go"
    try:
        register_service(agent, {
            "ID": "bj38-go", "Tags": ["grcp", "consul"], "Name": name,
            "Address": "127.0.0.1", "Port": lis.port,
            "Check": {"CheckID": "consul grpc test", "TCP": f"127.0.0.1:{lis.port}",
                      "Timeout": "1s", "Interval": "1s"}})
        chk = wait_check(agent, "consul grpc test", "passing")
        assert chk["ServiceID"] == "bj38-go" and chk["ServiceName"] == name
        path = "/v1/health/service/" + urllib.parse.quote(name) + "?tag=grcp&passing=1"
        e = wait_until(lambda: json_ok(agent.get(path)), 5, what="go client query")
        assert e[0]["Service"]["Address"] == "127.0.0.1" and e[0]["Service"]["Port"] == lis.port
        r = agent.put("/v1/agent/service/deregister/bj38-go")
        assert r.status_code == 200, r.text
        assert "consul grpc test" not in agent_checks(agent)
    finally:
        lis.close()


def test_seed004_api_registration_with_deregister_critical(agent, http_target):
    """seed 004's curl body (nginx behind an HTTP check, deregistration after 60s
    critical, EnableTagOverride false), pointed at a local server."""
    body = {
        "ID": "service_nginx",
        "Name": "service_nginx",
        "Tags": ["singleNginx"],
        "Address": "127.0.0.1",
        "Port": http_target.port,
        "Check": {
            "DeregisterCriticalServiceAfter": "60s",
            "HTTP": http_target.url("/"),
            "Interval": "1s",
        },
        "EnableTagOverride": False,
    }
    register_service(agent, body)
    try:
        s = agent_services(agent)["service_nginx"]
        assert s["Tags"] == ["singleNginx"] and s["EnableTagOverride"] is False
        chk = wait_check(agent, "service:service_nginx", "passing")
        assert chk["Output"].startswith(f"HTTP GET {http_target.url('/')}: 200 OK Output: ")
        wait_health(agent, "service_nginx", lambda e: len(e) == 1, passing="1")
    finally:
        agent.put("/v1/agent/service/deregister/service_nginx")


def test_localhost_resolves_to_both_families(agents, tmp_path):
    """The seed's check URL says `localhost`; the check must reach a server bound
    to 127.0.0.1 even where localhost resolves to ::1 first (Go and curl try
    every address)."""
    infos = socket.getaddrinfo("localhost", 80, proto=socket.IPPROTO_TCP)
    fams = {i[0] for i in infos}
    assert socket.AF_INET in fams
    web = HTTPTarget().start()
    try:
        a = agents()
        register_service(a, {"name": "lh", "port": web.port,
                             "check": {"http": f"http://localhost:{web.port}/", "interval": "1s"}})
        wait_check(a, "service:lh", "passing")
    finally:
        web.stop()
