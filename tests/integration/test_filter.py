"""?filter= (go-bexpr) on the list endpoints.

Consul facts (api-docs/features/filtering, go-bexpr):
 - operators: ==, !=, is empty, is not empty, in, not in, contains,
   not contains, matches, not matches (regexp), and, or, not, parentheses;
   `and` binds tighter than `or`;
 - values: "double quoted", `raw backquoted`, numbers, bare identifiers;
 - selectors are dotted names; a map key may be written .key or ["key"]
   (Service.Meta.env, Meta["env"]);
 - "x" in <string> is a substring test; in/contains on a list test membership;
 - for /catalog/node/:node the filter applies to the node's services;
 - a filter that does not parse, or names an unknown selector, is refused:
   Consul's body starts "Failed to create boolean expression evaluator: ";
   Consul answers 500 for it (issue #7338), the issue asks cairn for 400.
"""

import pytest

from conftest import Agent, ext_node, json_ok, register_service, wait_until

PREFIX = "Failed to create boolean expression evaluator: "


@pytest.fixture(scope="module")
def fagent(tmp_path_factory):
    a = Agent(tmp_path_factory.mktemp("filter"))
    try:
        a.start()
        for sid, tags, meta, port, status in [
                ("redis1", ["primary", "production"], {"env": "production", "foo": "bar"}, 1234,
                 "passing"),
                ("redis2", ["secondary", "production"], {"env": "production", "foo": "bar"}, 1235,
                 "warning"),
                ("redis3", ["primary", "qa"], {"env": "qa"}, 1234, "critical")]:
            register_service(a, {"ID": sid, "Name": "redis", "Tags": tags, "Meta": meta,
                                 "Port": port,
                                 "Check": {"CheckID": f"{sid}-ttl", "TTL": "300s",
                                           "Status": status}})
        register_service(a, {"ID": "web1", "Name": "web", "Port": 80, "Address": "10.0.0.5"})
        ext_node(a, node="flt-linux", address="10.3.0.1", meta={"os": "linux", "arch": "arm"},
                 services=[{"ID": "api1", "Service": "api", "Tags": ["v1"], "Port": 9090,
                            "Meta": {"environment": "qa"}}])
        ext_node(a, node="flt-bsd", address="10.3.0.2", meta={"os": "freebsd"},
                 services=[{"ID": "api2", "Service": "api", "Tags": ["v2"], "Port": 9091,
                            "Meta": {"environment": "production"}}],
                 checks=[{"CheckID": "bsd-disk", "Name": "disk", "Status": "warning"}])
        wait_until(lambda: len(json_ok(a.get("/v1/catalog/service/redis"))) == 3 and
                   len(json_ok(a.get("/v1/health/checks/redis"))) == 3, 5, what="sync")
        yield a
    finally:
        a.close()


def F(a, path, expr):
    r = a.get(path, params={"filter": expr})
    assert r.status_code == 200, f"{path} filter={expr!r}: {r.status_code} {r.text!r}"
    return r.json()


AGENT_SERVICES = [
    ('Service == "redis"', {"redis1", "redis2", "redis3"}),
    ('Service != "redis"', {"web1"}),
    ('Service == `redis`', {"redis1", "redis2", "redis3"}),
    ('Service == redis', {"redis1", "redis2", "redis3"}),
    ('"primary" in Tags', {"redis1", "redis3"}),
    ('"primary" not in Tags', {"redis2", "web1"}),
    ('Tags contains "qa"', {"redis3"}),
    ('Tags not contains "qa"', {"redis1", "redis2", "web1"}),
    ('Tags is empty', {"web1"}),
    ('Tags is not empty', {"redis1", "redis2", "redis3"}),
    ('Meta is empty', {"web1"}),
    ('Meta is not empty', {"redis1", "redis2", "redis3"}),
    ('Service matches "^re.*s$"', {"redis1", "redis2", "redis3"}),
    ('Service not matches "^re"', {"web1"}),
    ('ID matches "[13]$"', {"redis1", "redis3", "web1"}),
    ('"edi" in Service', {"redis1", "redis2", "redis3"}),
    ('Meta.env == "qa"', {"redis3"}),
    ('Meta["env"] == "production"', {"redis1", "redis2"}),
    ('Meta.foo == "bar" and Meta["env"] != "qa"', {"redis1", "redis2"}),
    ('Port == 1234', {"redis1", "redis3"}),
    ('Address == "10.0.0.5"', {"web1"}),
    ('Weights.Passing == 1', {"redis1", "redis2", "redis3", "web1"}),
    ('EnableTagOverride == false', {"redis1", "redis2", "redis3", "web1"}),
    ('Service == "redis" and Port == 1235', {"redis2"}),
    ('Meta.env == "qa" or Service == "web"', {"redis3", "web1"}),
    ('not (Service == "redis")', {"web1"}),
    ('not Service == "redis"', {"web1"}),
    ('Service == "redis" and (Meta.env == "qa" or "secondary" in Tags)', {"redis2", "redis3"}),
    ('Service == "web" or Service == "redis" and Port == 1235', {"web1", "redis2"}),
    ('(Service == "web" or Service == "redis") and Port == 1235', {"redis2"}),
    ('Service == "nothing"', set()),
]


@pytest.mark.parametrize("expr,want", AGENT_SERVICES, ids=[e for e, _ in AGENT_SERVICES])
def test_agent_services_filter(fagent, expr, want):
    got = F(fagent, "/v1/agent/services", expr)
    assert isinstance(got, dict)
    assert set(got) == want


def test_agent_checks_filter(fagent):
    got = F(fagent, "/v1/agent/checks", 'ServiceName == "redis" and Status != "critical"')
    assert set(got) == {"redis1-ttl", "redis2-ttl"}
    got = F(fagent, "/v1/agent/checks", '"qa" in ServiceTags')
    assert set(got) == {"redis3-ttl"}


def test_catalog_nodes_filter(fagent):
    names = lambda xs: {x["Node"] for x in xs}  # noqa: E731
    assert names(F(fagent, "/v1/catalog/nodes", 'Meta.os == "linux"')) == {"flt-linux"}
    assert names(F(fagent, "/v1/catalog/nodes", 'Node matches "^flt-"')) == {"flt-linux",
                                                                              "flt-bsd"}
    assert names(F(fagent, "/v1/catalog/nodes", 'Meta.arch is not empty')) == {"flt-linux"}
    assert names(F(fagent, "/v1/catalog/nodes", 'Address == "10.3.0.2"')) == {"flt-bsd"}
    assert names(F(fagent, "/v1/catalog/nodes", f'Node == "{fagent.name}"')) == {fagent.name}


def test_catalog_service_filter(fagent):
    ids = lambda xs: {x["ServiceID"] for x in xs}  # noqa: E731
    p = "/v1/catalog/service/redis"
    assert ids(F(fagent, p, 'ServiceMeta.env == "qa"')) == {"redis3"}
    assert ids(F(fagent, p, '"primary" in ServiceTags')) == {"redis1", "redis3"}
    assert ids(F(fagent, p, 'ServicePort == 1235')) == {"redis2"}
    p = "/v1/catalog/service/api"
    assert ids(F(fagent, p, 'NodeMeta.os == "linux"')) == {"api1"}
    assert ids(F(fagent, p, 'ServiceMeta["environment"] == "production"')) == {"api2"}


def test_catalog_node_filters_services(fagent):
    d = F(fagent, f"/v1/catalog/node/{fagent.name}", 'Service == "redis" and Port == 1234')
    assert set(d["Services"]) == {"redis1", "redis3"}
    assert d["Node"]["Node"] == fagent.name
    l = F(fagent, f"/v1/catalog/node-services/{fagent.name}", 'Meta.env == "qa"')
    assert [s["ID"] for s in l["Services"]] == ["redis3"]


def test_health_service_filter(fagent):
    ids = lambda xs: {x["Service"]["ID"] for x in xs}  # noqa: E731
    p = "/v1/health/service/redis"
    assert ids(F(fagent, p, 'Service.Meta.env == "qa"')) == {"redis3"}
    assert ids(F(fagent, p, 'Service.Meta["env"] == "production"')) == {"redis1", "redis2"}
    assert ids(F(fagent, p, '"secondary" in Service.Tags')) == {"redis2"}
    assert ids(F(fagent, p, f'Node.Node == "{fagent.name}" and Service.Port == 1234')) == \
        {"redis1", "redis3"}
    # filter and ?passing combine
    r = fagent.get(p, params={"filter": 'Service.Port == 1234', "passing": ""})
    assert ids(json_ok(r)) == {"redis1"}


def test_health_checks_node_state_filter(fagent):
    ids = lambda xs: {x["CheckID"] for x in xs}  # noqa: E731
    assert ids(F(fagent, "/v1/health/checks/redis", 'Status == "critical"')) == {"redis3-ttl"}
    assert ids(F(fagent, "/v1/health/checks/redis", 'ServiceID != "redis1"')) == \
        {"redis2-ttl", "redis3-ttl"}
    assert ids(F(fagent, f"/v1/health/node/{fagent.name}", 'ServiceName != ""')) == \
        {"redis1-ttl", "redis2-ttl", "redis3-ttl"}
    assert ids(F(fagent, f"/v1/health/node/{fagent.name}", 'ServiceName == ""')) == {"serfHealth"}
    assert ids(F(fagent, "/v1/health/state/any", 'ServiceName == "redis"')) == \
        {"redis1-ttl", "redis2-ttl", "redis3-ttl"}
    assert ids(F(fagent, "/v1/health/state/warning", 'Node == "flt-bsd"')) == {"bsd-disk"}


BAD = [
    'Service ==',
    'Service === "x"',
    '(Service == "redis"',
    'Service == "redis" and',
    'Nope == "x"',
    'Service == "unterminated',
    'Service matches "("',
    'foo',
]


@pytest.mark.parametrize("expr", BAD, ids=BAD)
@pytest.mark.parametrize("path", ["/v1/agent/services", "/v1/catalog/service/redis",
                                  "/v1/health/service/redis", "/v1/catalog/nodes"])
def test_bad_filter_is_400(fagent, path, expr):
    r = fagent.get(path, params={"filter": expr})
    assert r.status_code == 400, (r.status_code, r.text)
    assert r.text.startswith(PREFIX), r.text


def test_empty_filter_is_no_filter(fagent):
    assert set(F(fagent, "/v1/agent/services", "")) == {"redis1", "redis2", "redis3", "web1"}
