"""python-consul 0.7.1 (Debian's python3-consul) against the service, check,
catalog and health endpoints, as its users call it.

What this client sends (consul/base.py): lowercase body keys ("name",
"serviceid", "enabletagoverride", "checkid"); GET for
/v1/agent/service/deregister, /v1/agent/check/deregister and
/v1/agent/check/pass|warn|fail (Consul >= 1.0 wants PUT and answers GET with
405, which this client reports as False: cairn accepts GET there so that the
seeds' python users keep working); `passing=1`; ?index&wait for blocking.
"""

import threading

import consul

from conftest import agent_checks, agent_services, unique, wait_until


def client(agent):
    return consul.Consul(host=agent.ip, port=8500)


def test_ttl_check_lifecycle(agent):
    c = client(agent)
    name = unique("pyttl")
    assert c.agent.service.register(name, service_id=name, port=80, tags=["py"],
                                    check=consul.Check.ttl("30s")) is True
    cid = f"service:{name}"
    assert agent_checks(agent)[cid]["Status"] == "critical"
    for call, status in [(c.agent.check.ttl_pass, "passing"), (c.agent.check.ttl_warn, "warning"),
                         (c.agent.check.ttl_fail, "critical")]:
        assert call(cid, notes=f"via {status}") is True
        chk = agent_checks(agent)[cid]
        assert (chk["Status"], chk["Output"]) == (status, f"via {status}")
    # a node check and a service check registered by python-consul
    assert c.agent.check.register(name + "-extra", check=consul.Check.ttl("30s"),
                                  check_id=name + "-extra", notes="n",
                                  service_id=name) is True
    extra = agent_checks(agent)[name + "-extra"]
    assert extra["ServiceID"] == name and extra["Notes"] == "n"
    assert c.agent.check.deregister(name + "-extra") is True
    assert name + "-extra" not in agent_checks(agent)
    assert c.agent.service.deregister(name) is True
    assert name not in agent_services(agent)


def test_agent_services_checks_and_health(agent):
    c = client(agent)
    name = unique("pyh")
    c.agent.service.register(name, service_id=name + "-1", port=1,
                             check=consul.Check.ttl("30s"))
    c.agent.service.register(name, service_id=name + "-2", port=2,
                             check=consul.Check.ttl("30s"))
    assert {name + "-1", name + "-2"} <= set(c.agent.services())
    assert f"service:{name}-1" in c.agent.checks()
    c.agent.check.ttl_pass(f"service:{name}-1")
    got = wait_until(lambda: c.health.service(name, passing=True)[1], 5, what="passing")
    assert [e["Service"]["ID"] for e in got] == [name + "-1"]
    _, allnodes = c.health.service(name)
    assert sorted(e["Service"]["ID"] for e in allnodes) == [name + "-1", name + "-2"]
    _, checks = c.health.checks(name)
    assert sorted(x["CheckID"] for x in checks) == [f"service:{name}-1", f"service:{name}-2"]
    _, crit = c.health.state("critical")
    assert f"service:{name}-2" in {x["CheckID"] for x in crit}
    _, node = c.health.node(agent.name)
    assert "serfHealth" in {x["CheckID"] for x in node}
    _, svcs = c.catalog.services()
    assert name in svcs
    _, nodes = c.catalog.nodes()
    assert agent.name in {n["Node"] for n in nodes}
    _, entries = c.catalog.service(name)
    assert sorted(e["ServiceID"] for e in entries) == [name + "-1", name + "-2"]
    _, mine = c.catalog.node(agent.name)
    assert {name + "-1", name + "-2"} <= set(mine["Services"])


def test_catalog_register_deregister(agent):
    c = client(agent)
    node, svc = unique("pynode"), unique("pysvc")
    assert c.catalog.register(node, "10.5.0.1",
                              service={"Service": svc, "ID": svc + "1", "Tags": ["v1"],
                                       "Port": 8000},
                              check={"Node": node, "CheckID": "service:" + svc + "1",
                                     "Name": "Redis health check", "Status": "passing",
                                     "ServiceID": svc + "1"}) is True
    _, entries = c.catalog.service(svc)
    assert [(e["Node"], e["ServiceID"], e["ServicePort"]) for e in entries] == \
        [(node, svc + "1", 8000)]
    _, passing = c.health.service(svc, passing=True)
    assert len(passing) == 1
    assert c.catalog.deregister(node, service_id=svc + "1") is True
    assert c.catalog.service(svc)[1] == []
    assert c.catalog.deregister(node) is True
    assert node not in {n["Node"] for n in c.catalog.nodes()[1]}


def test_maintenance(agents):
    a = agents()
    c = client(a)
    c.agent.service.register("pm", service_id="pm", check=consul.Check.ttl("30s"))
    assert c.agent.maintenance("true", "python says") is True
    assert agent_checks(a)["_node_maintenance"]["Notes"] == "python says"
    assert c.agent.maintenance("false") is True
    assert "_node_maintenance" not in agent_checks(a)
    assert c.agent.service.maintenance("pm", "true", "svc reason") is True
    assert agent_checks(a)["_service_maintenance:pm"]["Notes"] == "svc reason"
    assert c.agent.service.maintenance("pm", "false") is True
    assert "_service_maintenance:pm" not in agent_checks(a)


def test_blocking_health_service(agent):
    c = client(agent)
    name = unique("pyblk")
    c.agent.service.register(name, service_id=name, check=consul.Check.ttl("30s"))
    index, _ = wait_until(lambda: (lambda r: r if r[1] else None)(c.health.service(name)), 5,
                          what="registered")
    out = {}

    def waiter():
        out["r"] = c.health.service(name, index=index, wait="10s", passing=True)

    t = threading.Thread(target=waiter, daemon=True)
    t.start()
    t.join(0.3)
    assert t.is_alive(), "python-consul blocking query returned at once"
    c.agent.check.ttl_pass(f"service:{name}")
    t.join(5)
    assert not t.is_alive()
    new_index, nodes = out["r"]
    assert int(new_index) > int(index)
    assert [e["Service"]["ID"] for e in nodes] == [name]
