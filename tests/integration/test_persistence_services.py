"""Agent local state survives a restart on the same data dir (Consul persists
API-registered services and checks under data_dir/services and data_dir/checks,
and the last TTL status under checks/state); config-file services are not
persisted; maintenance mode is persistent ("Maintenance mode is persistent, and
will be restored in the event of an agent restart", `consul maint -h`).
"""

import time

import pytest

from conftest import (agent_checks, agent_services, catalog_service, health_service,
                      register_check, register_service, wait_check, wait_until,
                      write_json_file)


@pytest.mark.parametrize("kill", [False, True], ids=["graceful", "kill9"])
def test_api_services_and_ttl_status_survive_restart(agents, kill):
    a = agents()
    register_service(a, {"ID": "keep-1", "Name": "keep", "Tags": ["t"], "Port": 81,
                         "Meta": {"k": "v"},
                         "Checks": [{"CheckID": "keep-ttl", "TTL": "120s"},
                                    {"CheckID": "keep-warn", "TTL": "120s"}]})
    register_service(a, {"ID": "gone-1", "Name": "gone"})
    register_check(a, {"Name": "node ttl", "ID": "node-ttl", "TTL": "120s"})
    assert a.put("/v1/agent/check/pass/keep-ttl", params={"note": "before restart"}).status_code == 200
    assert a.put("/v1/agent/check/warn/keep-warn", params={"note": "meh"}).status_code == 200
    assert a.put("/v1/agent/check/pass/node-ttl").status_code == 200
    assert a.put("/v1/agent/service/deregister/gone-1").status_code == 200
    assert a.put("/v1/agent/service/maintenance/keep-1",
                 params={"enable": "true", "reason": "upgrading"}).status_code == 200
    before = agent_services(a)["keep-1"]

    a.restart(kill=kill)

    svcs = agent_services(a)
    assert svcs.get("keep-1") == before
    assert "gone-1" not in svcs
    checks = agent_checks(a)
    assert (checks["keep-ttl"]["Status"], checks["keep-ttl"]["Output"]) == \
        ("passing", "before restart")
    assert (checks["keep-warn"]["Status"], checks["keep-warn"]["Output"]) == ("warning", "meh")
    assert checks["node-ttl"]["Status"] == "passing"
    m = checks["_service_maintenance:keep-1"]
    assert m["Status"] == "critical" and m["Notes"] == "upgrading"
    # and the catalog has them again
    e = wait_until(lambda: health_service(a, "keep"), 5, what="keep back in catalog")
    assert {c["CheckID"]: c["Status"] for c in e[0]["Checks"]}["keep-ttl"] == "passing"
    assert catalog_service(a, "gone") == []


def test_node_maintenance_survives_restart(agents):
    a = agents()
    assert a.put("/v1/agent/maintenance", params={"enable": "true", "reason": "r"}).status_code == 200
    a.restart()
    assert agent_checks(a)["_node_maintenance"]["Notes"] == "r"
    assert a.put("/v1/agent/maintenance", params={"enable": "false"}).status_code == 200
    a.restart()
    assert "_node_maintenance" not in agent_checks(a)


def test_config_services_are_not_persisted(agents, tmp_path):
    d = tmp_path / "consul.d"
    d.mkdir()
    write_json_file(d / "cfg.json", {"service": {"name": "from-file",
                                                 "check": {"id": "file-ttl", "ttl": "60s"}}})
    a = agents(args=["-config-dir", str(d)])
    register_service(a, {"Name": "from-api"})
    assert {"from-file", "from-api"} <= set(agent_services(a))
    (d / "cfg.json").unlink()
    a.restart()
    svcs = agent_services(a)
    assert "from-api" in svcs
    assert "from-file" not in svcs
    assert "file-ttl" not in agent_checks(a)
    wait_until(lambda: catalog_service(a, "from-file") == [], 5,
               what="anti-entropy removing the stale config service from the catalog")


def test_expired_ttl_is_not_restored_as_passing(agents):
    """Consul restores a persisted TTL status only while it has not expired."""
    a = agents()
    register_check(a, {"Name": "short", "ID": "short", "TTL": "1s"})
    assert a.put("/v1/agent/check/pass/short").status_code == 200
    a.stop()
    time.sleep(1.5)
    a.start()
    assert agent_checks(a)["short"]["Status"] == "critical"
    wait_check(a, "short", "critical", timeout=3,
               pred=lambda c: c["Output"].startswith("TTL expired"))
