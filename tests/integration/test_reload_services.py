"""Reload (`consul reload`, SIGHUP, PUT /v1/agent/reload) applies the
difference in config-file services and checks, and leaves API-registered
services and checks (and their status) alone.

Consul facts: config-dir services/checks are reloaded by reload; services and
checks registered over HTTP are not touched; `consul reload` prints
"Configuration reload triggered" and exits 0; a reload whose config does not
load fails (the HTTP reload answers an error, the CLI prints
"Error reloading: ..." and exits 1) and the running configuration stays.
"""

import signal

import pytest

from conftest import (HTTPTarget, agent_checks, agent_services, catalog_service, json_ok,
                      register_service, wait_check, wait_until, write_json_file)


def do_reload(a, how):
    if how == "cli":
        p = a.cli("reload")
        assert p.returncode == 0, p.stderr
        assert p.stdout.decode() == "Configuration reload triggered\n"
    elif how == "sighup":
        a.signal(signal.SIGHUP)
    else:
        r = a.put("/v1/agent/reload")
        assert r.status_code == 200, r.text


@pytest.mark.parametrize("how", ["cli", "sighup", "http"])
def test_reload_adds_changes_removes_config_services(agents, tmp_path, how):
    web = HTTPTarget().start()
    d = tmp_path / "consul.d"
    d.mkdir()
    write_json_file(d / "alpha.json", {"service": {"name": "alpha", "port": 1,
                                                   "check": {"id": "alpha-ttl", "ttl": "60s"}}})
    write_json_file(d / "beta.json", {"service": {"name": "beta", "port": 1, "tags": ["old"]}})
    write_json_file(d / "node-check.json", {"check": {"id": "cfg-node", "name": "cfg node",
                                                      "ttl": "60s"},
                                            "checks": [{"id": "cfg-node-2", "name": "second",
                                                        "ttl": "60s"}]})
    try:
        a = agents(args=["-config-dir", str(d)])
        assert {"alpha", "beta"} <= set(agent_services(a))
        assert {"alpha-ttl", "cfg-node", "cfg-node-2"} <= set(agent_checks(a))
        # API-registered service and check, with a status of their own
        register_service(a, {"ID": "api-svc", "Name": "api-svc",
                             "Check": {"CheckID": "api-ttl", "TTL": "60s"}})
        assert a.put("/v1/agent/check/pass/api-ttl", params={"note": "kept"}).status_code == 200
        wait_until(lambda: catalog_service(a, "alpha"), 5, what="alpha in catalog")

        (d / "alpha.json").unlink()
        (d / "node-check.json").unlink()
        write_json_file(d / "beta.json", {"service": {"name": "beta", "port": 2,
                                                      "tags": ["new"]}})
        write_json_file(d / "gamma.json", {"services": [
            {"name": "gamma", "port": web.port,
             "checks": [{"id": "gamma-http", "http": web.url("/g"), "interval": "1s"}]},
            {"name": "delta", "id": "delta-1"}]})
        do_reload(a, how)

        def applied():
            s = agent_services(a)
            return ("gamma" in s and "delta-1" in s and "alpha" not in s
                    and s["beta"]["Port"] == 2 and s["beta"]["Tags"] == ["new"])
        wait_until(applied, 5, what=f"reload via {how} applied")
        checks = agent_checks(a)
        assert "alpha-ttl" not in checks and "cfg-node" not in checks
        assert "cfg-node-2" not in checks
        wait_check(a, "gamma-http", "passing", timeout=4)
        # the API-registered service and its check status are untouched
        assert "api-svc" in agent_services(a)
        c = agent_checks(a)["api-ttl"]
        assert (c["Status"], c["Output"]) == ("passing", "kept")
        # and the catalog follows
        wait_until(lambda: catalog_service(a, "alpha") == [], 5, what="alpha gone from catalog")
        wait_until(lambda: [e["ServicePort"] for e in catalog_service(a, "beta")] == [2], 5,
                   what="beta changed in catalog")
        wait_until(lambda: catalog_service(a, "gamma"), 5, what="gamma in catalog")
        assert catalog_service(a, "api-svc")
    finally:
        web.stop()


def test_reload_with_bad_config_keeps_services(agents, tmp_path):
    d = tmp_path / "consul.d"
    d.mkdir()
    write_json_file(d / "svc.json", {"service": {"name": "steady", "port": 3}})
    a = agents(args=["-config-dir", str(d)])
    assert "steady" in agent_services(a)
    (d / "broken.json").write_text('{"service": {"name": ')
    r = a.put("/v1/agent/reload")
    assert r.status_code == 500, (r.status_code, r.text)
    p = a.cli("reload")
    assert p.returncode == 1
    assert p.stderr.decode().startswith("Error reloading: "), p.stderr
    assert a.running()
    assert "steady" in agent_services(a)
    (d / "broken.json").unlink()
    do_reload(a, "http")


def test_reload_unchanged_service_keeps_check_status(agents, tmp_path):
    """A reload that does not change a service keeps its TTL check's status."""
    d = tmp_path / "consul.d"
    d.mkdir()
    write_json_file(d / "svc.json", {"service": {"name": "same", "check": {"id": "same-ttl",
                                                                          "ttl": "60s"}}})
    a = agents(args=["-config-dir", str(d)])
    assert a.put("/v1/agent/check/pass/same-ttl", params={"note": "ok"}).status_code == 200
    do_reload(a, "http")
    c = agent_checks(a)["same-ttl"]
    assert c["Status"] == "passing", c
    assert json_ok(a.get("/v1/agent/services"))["same"]["Service"] == "same"
