"""`consul catalog datacenters|nodes|services`, `consul services
register|deregister`, `consul maint`, `consul reload`: exact output, exit codes.

Consul facts (command/catalog/list/*, command/services/*, command/maint,
command/reload): Info/Output lines go to stdout, Error lines to stderr;
 - catalog nodes: columnize (glue "  ") of "Node|ID|Address|DC", the ID cut at
   its first "-"; -detailed adds TaggedAddresses and Meta as sorted "k=v, k=v"
   with the full ID; no match: stderr "No nodes match the given query - try
   expanding your search." and exit 0;
 - catalog services: sorted names, one a line; -tags: text/tabwriter
   (padding 6) of name and sorted comma-joined tags, whole output trimmed;
   no match: "No services match the given query - try expanding your search.";
 - "Too many arguments (expected 0, got N)" exit 1;
 - services register prints "Registered service: <name>", deregister
   "Deregistered service: <id>"; without arguments: "Service registration
   requires at least one argument or flags." / "Service deregistration requires
   at least one argument or -id.", exit 1;
 - maint: "Node maintenance is now enabled|disabled", "Service maintenance is
   now enabled|disabled for \"<id>\"", listing "Node:\n  Name:   <node>\n
   Reason: <notes>\n\n"; API errors come back as
   "Unexpected response code: <code> (<body>)";
 - reload: "Configuration reload triggered".
"""

import pytest

from conftest import (BIN, CONSUL_BIN, Agent, agent_services, columnize, ext_node, json_ok, tabwrite,
                      unique, wait_until, write_json_file)


@pytest.fixture(scope="module", params=["cairn", "consul"])
def binary(request):
    return BIN if request.param == "cairn" else CONSUL_BIN


def out(p):
    return p.stdout.decode(errors="replace")


def err(p):
    return p.stderr.decode(errors="replace")


def short_id(i):
    idx = i.find("-")
    return i[:idx] if idx > 0 else i


def kv(m):
    return ", ".join(f"{k}={v}" for k, v in sorted((m or {}).items()))


# --------------------------------------------------------------------------
# catalog
# --------------------------------------------------------------------------

def test_catalog_datacenters(agent, binary):
    p = agent.cli("catalog", "datacenters", binary=binary)
    assert (p.returncode, out(p), err(p)) == (0, "dc1\n", "")


def test_catalog_nodes(agent, binary):
    ext_node(agent, node=unique("cli-n"), meta={"role": "db"})
    ns = json_ok(agent.get("/v1/catalog/nodes"))
    p = agent.cli("catalog", "nodes", binary=binary)
    assert p.returncode == 0, err(p)
    rows = [["Node", "ID", "Address", "DC"]] + \
        [[n["Node"], short_id(n["ID"]), n["Address"], n["Datacenter"]] for n in ns]
    assert out(p) == columnize(rows) + "\n"
    assert err(p) == ""


def test_catalog_nodes_detailed(agent, binary):
    ns = json_ok(agent.get("/v1/catalog/nodes"))
    p = agent.cli("catalog", "nodes", "-detailed", binary=binary)
    assert p.returncode == 0, err(p)
    rows = [["Node", "ID", "Address", "DC", "TaggedAddresses", "Meta"]] + \
        [[n["Node"], n["ID"], n["Address"], n["Datacenter"], kv(n["TaggedAddresses"]),
          kv(n["Meta"])] for n in ns]
    assert out(p) == columnize(rows) + "\n"


def test_catalog_nodes_service_and_node_meta(agent, binary):
    svc = unique("clisvc")
    k = unique("k").replace("-", "")
    n1 = ext_node(agent, meta={k: "x"}, address="10.7.0.1",
                  services=[{"ID": svc, "Service": svc}])
    n2 = ext_node(agent, meta={k: "y"}, address="10.7.0.2")
    for args, want in [(["-service", svc], [n1]), ([f"-node-meta={k}=y"], [n2])]:
        p = agent.cli("catalog", "nodes", *args, binary=binary)
        assert p.returncode == 0, err(p)
        ns = {n["Node"]: n for n in json_ok(agent.get("/v1/catalog/nodes"))}
        rows = [["Node", "ID", "Address", "DC"]] + \
            [[w, short_id(ns[w]["ID"]), ns[w]["Address"], "dc1"] for w in want]
        assert out(p) == columnize(rows) + "\n", args
    p = agent.cli("catalog", "nodes", f"-node-meta={k}=nope", binary=binary)
    assert p.returncode == 0
    assert out(p) == ""
    assert err(p) == "No nodes match the given query - try expanding your search.\n"


def test_catalog_nodes_too_many_arguments(agent, binary):
    p = agent.cli("catalog", "nodes", "extra", binary=binary)
    assert p.returncode == 1
    assert err(p) == "Too many arguments (expected 0, got 1)\n"


def test_catalog_services(agent, binary):
    s = unique("clis")
    ext_node(agent, services=[{"ID": s, "Service": s, "Tags": ["b", "a"]}])
    svcs = json_ok(agent.get("/v1/catalog/services"))
    p = agent.cli("catalog", "services", binary=binary)
    assert p.returncode == 0, err(p)
    assert out(p) == "".join(n + "\n" for n in sorted(svcs))
    p = agent.cli("catalog", "services", "-tags", binary=binary)
    assert p.returncode == 0, err(p)
    rows = [[n, ",".join(sorted(svcs[n]))] for n in sorted(svcs)]
    assert out(p) == tabwrite(rows).strip() + "\n"
    assert [r for r in rows if r[0] == s] == [[s, "a,b"]]


def test_catalog_services_node_and_node_meta(agent, binary):
    k = unique("k").replace("-", "")
    s1, s2 = unique("n1s"), unique("n2s")
    node = ext_node(agent, meta={k: "v"}, services=[{"ID": s1, "Service": s1, "Tags": ["x"]},
                                                    {"ID": s2, "Service": s2}])
    p = agent.cli("catalog", "services", "-node", node, binary=binary)
    assert (p.returncode, out(p)) == (0, "".join(n + "\n" for n in sorted([s1, s2])))
    p = agent.cli("catalog", "services", "-node-meta", f"{k}=v", "-tags", binary=binary)
    assert p.returncode == 0
    assert out(p) == tabwrite([[n, t] for n, t in sorted([(s1, "x"), (s2, "")])]).strip() + "\n"
    p = agent.cli("catalog", "services", "-node-meta", f"{k}=none", binary=binary)
    assert (p.returncode, out(p)) == (0, "")
    assert err(p) == "No services match the given query - try expanding your search.\n"


# --------------------------------------------------------------------------
# services register / deregister
# --------------------------------------------------------------------------

def test_services_register_file_and_deregister(agent, binary, tmp_path):
    name = unique("filesvc")
    f = write_json_file(tmp_path / f"{name}.json", {
        "service": {"name": name, "id": name + "-1", "port": 8080, "tags": ["a"],
                    "check": {"ttl": "30s"}}})
    p = agent.cli("services", "register", f, binary=binary)
    assert (p.returncode, out(p), err(p)) == (0, f"Registered service: {name}\n", "")
    s = agent_services(agent)[name + "-1"]
    assert s["Service"] == name and s["Port"] == 8080 and s["Tags"] == ["a"]
    p = agent.cli("services", "deregister", f, binary=binary)
    assert (p.returncode, out(p)) == (0, f"Deregistered service: {name}-1\n")
    assert name + "-1" not in agent_services(agent)


def test_services_register_multiple_and_hcl(agent, binary, tmp_path):
    a, b, h = unique("m1"), unique("m2"), unique("hcl")
    f = write_json_file(tmp_path / "multi.json", {"services": [{"name": a}, {"name": b,
                                                                             "port": 2}]})
    hf = tmp_path / "svc.hcl"
    hf.write_text(f'service {{\n  name = "{h}"\n  port = 3\n  tags = ["x"]\n}}\n')
    p = agent.cli("services", "register", f, hf, binary=binary)
    assert p.returncode == 0, err(p)
    assert out(p) == f"Registered service: {a}\nRegistered service: {b}\nRegistered service: {h}\n"
    svcs = agent_services(agent)
    assert svcs[b]["Port"] == 2 and svcs[h]["Tags"] == ["x"]
    p = agent.cli("services", "deregister", f, hf, binary=binary)
    assert out(p) == (f"Deregistered service: {a}\nDeregistered service: {b}\n"
                      f"Deregistered service: {h}\n")


def test_services_register_flags(agent, binary):
    name = unique("flags")
    p = agent.cli("services", "register", "-name", name, "-id", name + "-x", "-port", "9000",
                  "-address", "10.4.4.4", "-tag", "t1", "-tag=t2", "-meta", "team=a",
                  "-meta", "env=b", binary=binary)
    assert (p.returncode, out(p), err(p)) == (0, f"Registered service: {name}\n", "")
    s = agent_services(agent)[name + "-x"]
    assert s["Service"] == name and s["Port"] == 9000 and s["Address"] == "10.4.4.4"
    assert s["Tags"] == ["t1", "t2"] and s["Meta"] == {"team": "a", "env": "b"}
    p = agent.cli("services", "deregister", "-id", name + "-x", binary=binary)
    assert (p.returncode, out(p)) == (0, f"Deregistered service: {name}-x\n")


def test_services_argument_errors(agent, binary, tmp_path):
    p = agent.cli("services", "register", binary=binary)
    assert p.returncode == 1
    assert err(p) == "Service registration requires at least one argument or flags.\n"
    p = agent.cli("services", "deregister", binary=binary)
    assert p.returncode == 1
    assert err(p) == "Service deregistration requires at least one argument or -id.\n"
    f = write_json_file(tmp_path / "x.json", {"service": {"name": "x"}})
    p = agent.cli("services", "deregister", "-id", "x", f, binary=binary)
    assert p.returncode == 1
    assert err(p) == "Service deregistration requires arguments or -id, not both.\n"
    p = agent.cli("services", "deregister", "-id", "no-such-svc", binary=binary)
    assert p.returncode == 1
    assert err(p) == ('Error deregistering service "": Unexpected response code: 404 '
                      '(Unknown service ID "no-such-svc". Ensure that the service ID is passed, '
                      'not the service name.)\n')


# --------------------------------------------------------------------------
# maint, reload
# --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def maint_agent(tmp_path_factory):
    a = Agent(tmp_path_factory.mktemp("maint"))
    try:
        a.start()
        yield a
    finally:
        a.close()


def test_maint_node(maint_agent, binary):
    a = maint_agent
    p = a.cli("maint", binary=binary)
    assert (p.returncode, out(p), err(p)) == (0, "", "")
    p = a.cli("maint", "-enable", "-reason", "kernel upgrade", binary=binary)
    assert (p.returncode, out(p)) == (0, "Node maintenance is now enabled\n")
    p = a.cli("maint", binary=binary)
    assert out(p) == f"Node:\n  Name:   {a.name}\n  Reason: kernel upgrade\n\n"
    p = a.cli("maint", "-disable", binary=binary)
    assert (p.returncode, out(p)) == (0, "Node maintenance is now disabled\n")
    p = a.cli("maint", binary=binary)
    assert out(p) == ""


def test_maint_service(maint_agent, binary):
    a = maint_agent
    sid = unique("ms")
    assert a.put("/v1/agent/service/register", json={"Name": sid}).status_code == 200
    p = a.cli("maint", "-enable", "-service", sid, binary=binary)
    assert (p.returncode, out(p)) == (0, f'Service maintenance is now enabled for "{sid}"\n')
    p = a.cli("maint", binary=binary)
    assert out(p) == (f"Service:\n  ID:     {sid}\n  Reason: Maintenance mode is enabled for "
                      "this service, but no reason was provided. This is a default message.\n\n")
    p = a.cli("maint", "-disable", "-service", sid, binary=binary)
    assert (p.returncode, out(p)) == (0, f'Service maintenance is now disabled for "{sid}"\n')
    p = a.cli("maint", "-enable", "-service", "nope", binary=binary)
    assert p.returncode == 1
    assert err(p) == ('Error enabling service maintenance: Unexpected response code: 404 '
                      '(Unknown service ID "nope". Ensure that the service ID is passed, '
                      'not the service name.)\n')


@pytest.mark.parametrize("args,msg", [
    (["-enable", "-disable"], "Only one of -enable or -disable may be provided"),
    (["-reason", "x"], "Reason may only be provided with -enable"),
    (["-service", "x"], "Service requires either -enable or -disable"),
])
def test_maint_argument_errors(maint_agent, binary, args, msg):
    p = maint_agent.cli("maint", *args, binary=binary)
    assert p.returncode == 1
    assert err(p) == msg + "\n"


def test_reload_cli(maint_agent, binary):
    p = maint_agent.cli("reload", binary=binary)
    assert (p.returncode, out(p), err(p)) == (0, "Configuration reload triggered\n", "")
    wait_until(lambda: maint_agent.running(), 1)
