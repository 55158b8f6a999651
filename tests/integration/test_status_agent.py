"""/v1/status/*, /v1/agent/self|version|metrics, routing errors.

Consul facts used here:
 - /v1/status/leader -> JSON string "ip:8300"; /v1/status/peers -> ["ip:8300"]
 - unknown /v1/ path -> 404 "Invalid URL path: not a recognized HTTP API endpoint"
 - known path, wrong method -> 405 "method POST not allowed", Allow: OPTIONS,GET
 - /v1/agent/metrics?format=prometheus without telemetry.prometheus_retention_time
   -> 415 "Prometheus is not enabled since its retention time is not positive"
"""

import json
import re

import pytest

SEMVER = re.compile(r"^\d+\.\d+\.\d+")


def test_status_leader(agent):
    r = agent.get("/v1/status/leader")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.text == json.dumps(f"{agent.ip}:8300")


def test_status_peers(agent):
    r = agent.get("/v1/status/peers")
    assert r.status_code == 200
    assert r.json() == [f"{agent.ip}:8300"]


def test_agent_self(agent):
    r = agent.get("/v1/agent/self")
    assert r.status_code == 200
    s = r.json()
    for k in ("Config", "DebugConfig", "Member", "Stats", "Meta"):
        assert k in s, k
    cfg = s["Config"]
    assert cfg["Datacenter"] == "dc1"
    assert cfg["PrimaryDatacenter"] in ("dc1", "")
    assert cfg["NodeName"] == agent.name
    assert cfg["Server"] is True
    assert isinstance(cfg["Version"], str) and SEMVER.match(cfg["Version"]), cfg["Version"]
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
                        cfg["NodeID"]), cfg["NodeID"]
    dbg = s["DebugConfig"]
    assert dbg["SessionTTLMin"] == "10s"
    assert dbg["Datacenter"] == "dc1"
    assert dbg["NodeName"] == agent.name
    assert dbg["ServerMode"] is True
    m = s["Member"]
    assert m["Name"] == agent.name
    assert m["Addr"] == agent.ip
    assert m["Port"] == 8301
    assert m["Status"] == 1                         # serf "alive"
    assert m["Tags"]["role"] == "consul"
    assert m["Tags"]["dc"] == "dc1"
    assert m["Tags"].get("port") == "8300"


def test_agent_self_python_consul(agent):
    import consul
    c = consul.Consul(host=agent.ip, port=8500)
    s = c.agent.self()
    assert s["Config"]["NodeName"] == agent.name
    assert s["Member"]["Addr"] == agent.ip


def test_agent_version(agent):
    r = agent.get("/v1/agent/version")
    assert r.status_code == 200
    v = r.json()
    assert isinstance(v, dict)
    assert "HumanVersion" in v and SEMVER.match(v["HumanVersion"].lstrip("v"))
    self_version = agent.get("/v1/agent/self").json()["Config"]["Version"]
    assert v["HumanVersion"].lstrip("v").startswith(self_version)


def test_agent_metrics_json(agent, key):
    agent.kv_put(key, "v")               # make sure something was measured
    r = agent.get("/v1/agent/metrics")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    m = r.json()
    assert list(m.keys()) == ["Timestamp", "Gauges", "Points", "Counters", "Samples"]
    assert isinstance(m["Timestamp"], str) and m["Timestamp"]
    # go-metrics InmemSink display format: "2006-01-02 15:04:05 -0700 MST"
    assert re.match(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} [+-]\d{4} ", m["Timestamp"]), m["Timestamp"]
    for k in ("Gauges", "Points", "Counters", "Samples"):
        assert isinstance(m[k], list), k
    for g in m["Gauges"]:
        assert set(g) >= {"Name", "Value", "Labels"}
    for s in m["Counters"] + m["Samples"]:
        assert set(s) >= {"Name", "Count", "Sum", "Min", "Max", "Mean", "Labels"}
    assert m["Gauges"] or m["Counters"] or m["Samples"], "no metrics at all"


def test_agent_metrics_prometheus_disabled_by_default(agent):
    r = agent.get("/v1/agent/metrics?format=prometheus")
    assert r.status_code == 415
    msg = "Prometheus is not enabled since its retention time is not positive"
    assert msg in r.text or msg in r.headers.get("X-Consul-Reason", "")


def test_agent_metrics_prometheus(agents, tmp_path):
    cfgf = tmp_path / "telemetry.json"
    cfgf.write_text(json.dumps({"telemetry": {"prometheus_retention_time": "60s",
                                              "disable_hostname": True}}))
    a = agents(args=["-config-file", str(cfgf)])
    a.kv_put("prom", "v")
    r = a.get("/v1/agent/metrics", params={"format": "prometheus"})
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/plain")
    lines = r.text.splitlines()
    assert any(l.startswith("# TYPE ") for l in lines)
    assert any(l.startswith("# HELP ") for l in lines)
    samples = [l for l in lines if l and not l.startswith("#")]
    assert samples
    for l in samples:
        assert re.match(r"^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? \S+( \d+)?$", l), l
    assert any(l.startswith("consul_") for l in samples)


@pytest.mark.parametrize("path", ["/v1/nope", "/v1/kvv/x", "/v1/status/leaderx", "/v2/kv/x"])
def test_unknown_path_404(agent, path):
    r = agent.get(path)
    assert r.status_code == 404, (path, r.status_code)
    if "/v1/" in path:
        assert r.text.strip() == "Invalid URL path: not a recognized HTTP API endpoint"
    else:
        assert r.text.strip() == ("Invalid URL path: if attempting to use the HTTP API, "
                                  "ensure the path starts with '/v1/'")


@pytest.mark.parametrize("method,path,allow", [
    ("POST", "/v1/status/leader", "OPTIONS,GET"),
    ("PUT", "/v1/status/peers", "OPTIONS,GET"),
    ("DELETE", "/v1/agent/self", "OPTIONS,GET"),
    ("POST", "/v1/kv/x", "OPTIONS,GET,PUT,DELETE"),
    ("PATCH", "/v1/kv/x", "OPTIONS,GET,PUT,DELETE"),
    ("POST", "/v1/txn", "OPTIONS,PUT"),
])
def test_wrong_method_405(agent, method, path, allow):
    r = agent.request(method, path, data=b"")
    assert r.status_code == 405, (method, path, r.status_code)
    assert r.text == f"method {method} not allowed"
    assert r.headers.get("Allow") == allow


def test_options_lists_methods(agent):
    r = agent.request("OPTIONS", "/v1/status/leader")
    assert r.status_code == 200
    assert r.headers.get("Allow") == "OPTIONS,GET"


def test_root_path(agent):
    r = agent.get("/")
    # UI disabled: Consul answers 200 with a short text saying so
    assert r.status_code == 200
    assert "Consul Agent" in r.text


def test_keepalive_many_requests_one_connection(agent):
    import requests
    s = requests.Session()
    for _ in range(200):
        r = s.get(agent.url("/v1/status/leader"), timeout=5)
        assert r.status_code == 200
