"""Network partitions (issues 6 and 7), made with iptables DROP rules between
the agents' loopback addresses (every protocol: Raft, RPC and gossip).

- The leader cut off from the other servers steps down within its lease;
  the majority elects a new leader; on the cut-off side stale reads still
  answer while default and consistent reads refuse; after healing the old
  leader follows again and has every write.
- A lock holder's node cut off from the servers fails in gossip, the leader
  marks its serfHealth critical, the session is invalidated and the lock
  released; lock-delay then holds the key back from a new session.

Skipped when iptables cannot be used (not root, or no netfilter).
"""
import shutil
import subprocess
import time

import pytest

from conftest import wait_until
from test_cluster import form, leader_of

IPT = shutil.which("iptables")


def ipt(*args):
    return subprocess.run([IPT, *args], capture_output=True, text=True)


def _usable():
    if not IPT:
        return False
    r = ipt("-L", "INPUT", "-n")
    return r.returncode == 0


pytestmark = pytest.mark.skipif(not _usable(), reason="iptables not usable here")


class Partition:
    """DROP rules between address sets, removed by heal() (and at teardown)."""

    def __init__(self):
        self.rules = []

    def cut(self, side_a, side_b):
        for a in side_a:
            for b in side_b:
                for s, d in ((a, b), (b, a)):
                    rule = ["INPUT", "-s", s, "-d", d, "-j", "DROP"]
                    assert ipt("-I", *rule).returncode == 0
                    self.rules.append(rule)

    def heal(self):
        while self.rules:
            ipt("-D", *self.rules.pop())


@pytest.fixture
def net():
    p = Partition()
    yield p
    p.heal()


@pytest.fixture
def cluster(tmp_path):
    made = []
    try:
        form(tmp_path, "p", clients=1, made=made)
        yield made
    finally:
        for a in made:
            a.close()


def raft_state(a):
    try:
        return a.get("/v1/agent/self", timeout=2).json()["Stats"]["raft"]["state"]
    except Exception:
        return None


def alive_in(a, name):
    members = a.get("/v1/agent/members").json()
    return any(m["Name"] == name and m["Status"] == 1 for m in members)


def test_minority_leader_steps_down_and_heals(cluster, net):
    servers, client = cluster[:3], cluster[3]
    lead_addr = leader_of(servers[0])
    old = next(s for s in servers if f"{s.ip}:8300" == lead_addr)
    rest = [s for s in servers if s is not old]
    assert old.put("/v1/kv/part/before", data="1").json() is True

    net.cut([old.ip], [s.ip for s in rest] + [client.ip])
    t0 = time.monotonic()
    wait_until(lambda: raft_state(old) != "Leader", timeout=10, interval=0.05,
               what="the cut-off leader steps down")
    stepped = time.monotonic() - t0
    # libraft's leader gives up after an election timeout without a quorum
    # (1 s at raft_multiplier 1); a little more for polling a loaded machine
    assert stepped < 3.0, stepped
    wait_until(lambda: all(leader_of(s) not in (None, lead_addr) for s in rest) and
               leader_of(rest[0]) == leader_of(rest[1]), timeout=10, interval=0.05,
               what="the majority elects a new leader")
    assert client.put("/v1/kv/part/during", data="2").json() is True
    # autopilot's CleanupDeadServers: once gossip declares the old leader
    # failed, it stops counting toward quorum
    wait_until(lambda: f"{old.ip}:8300" not in rest[0].get("/v1/status/peers").json(),
               timeout=40, interval=0.2, what="the dead server pruned from Raft")

    # the cut-off side: stale reads answer from its own store, the others refuse
    r = old.get("/v1/kv/part/before", params={"stale": "", "raw": ""})
    assert r.status_code == 200 and r.text == "1"
    assert r.headers["X-Consul-KnownLeader"] == "false"
    assert old.get("/v1/kv/part/during", params={"stale": ""}).status_code == 404
    for params in ({}, {"consistent": ""}):
        r = old.get("/v1/kv/part/before", params=params, timeout=15)
        assert r.status_code == 500, (params, r.status_code, r.text)
    r = old.put("/v1/kv/part/refused", data="x", timeout=15)
    assert r.status_code == 500

    net.heal()
    new_lead = leader_of(rest[0])
    # The majority declared the old leader dead and spent the broadcasts that
    # say so during the cut; the old leader's probes get acks but tell it
    # nothing. What brings it back is memberlist's push-pull (it learns it is
    # thought dead and refutes) or serf's reconnect, both every 30 s, as in
    # Consul.
    wait_until(lambda: alive_in(rest[0], old.name), timeout=45, interval=0.2,
               what="the old leader alive again in the majority's gossip")
    wait_until(lambda: leader_of(old) == new_lead, timeout=15, interval=0.1,
               what="the old leader follows the new one")
    # re-added as a non-voter, promoted after ServerStabilizationTime (10 s)
    wait_until(lambda: f"{old.ip}:8300" in rest[0].get("/v1/status/peers").json(),
               timeout=25, interval=0.2, what="the old leader a voter again")
    wait_until(lambda: old.get("/v1/kv/part/during",
                               params={"stale": "", "raw": ""}).text == "2",
               timeout=10, what="the old leader has the write made without it")
    assert client.get("/v1/kv/part/refused").status_code == 404


def test_isolated_lock_holder_loses_its_lock(cluster, net):
    servers, client = cluster[:3], cluster[3]
    # a session on the client's node (serfHealth is its default check), once
    # the leader registered the node
    wait_until(lambda: servers[0].get("/v1/catalog/node/p4").json() is not None,
               timeout=20, interval=0.1, what="p4 in the catalog")
    r = client.put("/v1/session/create", json={"Name": "holder", "LockDelay": "3s"})
    assert r.status_code == 200, r.text
    sid = r.json()["ID"]
    info = servers[0].get("/v1/session/info/" + sid).json()
    assert info[0]["Node"] == "p4"
    assert client.put("/v1/kv/part/lock", data="me", params={"acquire": sid}).json() is True

    net.cut([client.ip], [s.ip for s in servers])
    s = servers[0]
    wait_until(lambda: any(c["CheckID"] == "serfHealth" and c["Status"] == "critical"
                           for c in s.get("/v1/health/node/p4").json()),
               timeout=40, interval=0.2, what="p4's serfHealth critical")
    wait_until(lambda: s.get("/v1/session/info/" + sid).json() in ([], None),
               timeout=10, interval=0.1, what="the session invalidated")
    t_inv = time.monotonic()
    e = s.get("/v1/kv/part/lock").json()[0]
    assert "Session" not in e or not e.get("Session"), e

    # lock-delay: a new session cannot take the key for LockDelay (3 s)
    other = s.put("/v1/session/create", json={"Name": "next"}).json()["ID"]
    got = s.put("/v1/kv/part/lock", data="next", params={"acquire": other}).json()
    if time.monotonic() - t_inv < 2.5:
        assert got is False
    wait_until(lambda: s.put("/v1/kv/part/lock", data="next",
                             params={"acquire": other}).json() is True,
               timeout=10, interval=0.2, what="acquire after lock-delay")
    assert time.monotonic() - t_inv >= 2.5
    net.heal()
