"""A real cluster (issue 6): three servers with -bootstrap-expect 3 and a
client agent, in the shape of seed 001.

Servers elect one leader; followers and the client forward writes and reads
to it over port 8300; the leader keeps the catalog in step with gossip; a
killed leader is replaced within Raft's election timeout (raft_multiplier 1
here: Consul's production timing divided by 5); a server that leaves and
comes back with -rejoin is a voter again.
"""
import json
import subprocess
import time

import pytest

from conftest import Agent, HTTPTarget, wait_until

ALIVE, LEFT, FAILED = 1, 3, 4


def dig(server, name, qtype="SRV"):
    out = subprocess.run(["dig", "@" + server.ip, "-p", "8600", "+short", "+time=2",
                          "+tries=1", name, qtype], capture_output=True, text=True,
                         timeout=10).stdout
    return [l for l in out.splitlines() if l.strip()]


def leader_of(a):
    try:
        return a.leader(timeout=1)
    except Exception:
        return None


def start_agent(tmp, name, server, join_ip, extra=(), ip=None, conf_dir=None):
    a = Agent(tmp, name=name, mode="raw", ip=ip)
    data = a.tmp / f"{name}-data"
    args = ["-data-dir", str(data), "-node", name, "-bind", a.ip, "-client", a.ip,
            "-retry-join", join_ip or a.ip, "-retry-interval", "500ms",
            "-config-file", str(a.tmp / "perf.json")]
    if server:
        args = ["-server", "-bootstrap-expect", "3"] + args
    if conf_dir:
        args += ["-config-dir", str(conf_dir)]
    a.extra_args = args + list(extra)
    a.data_dir = data
    return a


def write_perf(tmp, **extra):
    """The config file every agent here reads: raft_multiplier 1 (Consul's
    production timing divided by 5) plus extra top-level keys."""
    (tmp / "perf.json").write_text(json.dumps({"performance": {"raft_multiplier": 1},
                                               **extra}))


def wait_one_leader(agents, timeout=30):
    wait_until(lambda: all(leader_of(a) for a in agents) and
               len({leader_of(a) for a in agents}) == 1,
               timeout=timeout, interval=0.1, what="one leader known to every agent")


def form(tmp, prefix, servers=3, clients=0, made=None, **perf):
    """Start servers (-bootstrap-expect 3, joining the first) and clients
    named prefix1.., wait for one leader; returns them (servers first). They
    are appended to `made` as they are created, for the caller's teardown."""
    write_perf(tmp, **perf)
    made = made if made is not None else []
    first = None
    for i in range(servers + clients):
        a = start_agent(tmp, f"{prefix}{i + 1}", i < servers, first.ip if first else None)
        first = first or a
        made.append(a)
    for a in made:
        a.start(wait=False)
    wait_one_leader(made)
    return made


@pytest.fixture
def cluster(tmp_path):
    write_perf(tmp_path)
    made = []
    try:
        s1 = start_agent(tmp_path, "s1", True, None)
        made.append(s1)
        s2 = start_agent(tmp_path, "s2", True, s1.ip)
        s3conf = tmp_path / "s3.d"
        s3conf.mkdir()
        s3 = start_agent(tmp_path, "s3", True, s1.ip, conf_dir=s3conf)
        c1conf = tmp_path / "c1.d"
        c1conf.mkdir()
        c1 = start_agent(tmp_path, "c1", False, s1.ip, conf_dir=c1conf)
        made += [s2, s3, c1]
        # the seed's web service, one backend per agent that runs it
        backends = {}
        for a, d in ((s3, s3conf), (c1, c1conf)):
            be = HTTPTarget(host=a.ip).start()
            backends[a.name] = be
            (d / "web.json").write_text(json.dumps({"service": {
                "name": "web", "tags": ["master"], "address": a.ip, "port": be.port,
                "checks": [{"http": be.url("/health"), "interval": "1s"}]}}))
        for a in made:
            a.start(wait=False)
        servers = [s1, s2, s3]
        wait_one_leader(made)
        yield {"s": servers, "c1": c1, "all": made, "backends": backends}
    finally:
        for a in made:
            a.close()
        for be in locals().get("backends", {}).values():
            be.stop()


def members(a):
    return {m["Name"]: m["Status"] for m in a.get("/v1/agent/members").json()}


def test_seed_001_cluster(cluster):
    s1, s2, s3 = cluster["s"]
    c1 = cluster["c1"]
    every = cluster["all"]

    # members shows four alive, the client as a client
    wait_until(lambda: all(members(a) == {x.name: ALIVE for x in every} for a in every),
               timeout=20, interval=0.2, what="four alive members everywhere")
    out = c1.cli("members").stdout.decode().splitlines()
    rows = {l.split()[0]: l.split() for l in out[1:]}
    assert rows["c1"][3] == "client" and rows["s1"][3] == "server"
    peers = s2.get("/v1/status/peers").json()
    assert sorted(peers) == sorted(f"{s.ip}:8300" for s in (s1, s2, s3))

    # writes through the client and a follower, reads everywhere
    assert c1.put("/v1/kv/seed/a", data="1").json() is True
    follower = next(s for s in (s1, s2, s3) if leader_of(s) != f"{s.ip}:8300")
    assert follower.put("/v1/kv/seed/b", data="2").json() is True
    for a in every:
        assert a.get("/v1/kv/seed/a", params={"raw": ""}).text == "1"
        assert a.get("/v1/kv/seed/b", params={"raw": ""}).text == "2"
    r = follower.get("/v1/kv/seed/a")
    assert r.headers["X-Consul-KnownLeader"] == "true"

    # the seed's web service on s3 and c1: DNS on s1 returns both
    def web_nodes(a=s1):
        return sorted(x["Node"]["Node"] for x in
                      a.get("/v1/health/service/web", params={"passing": "1"}).json())
    wait_until(lambda: web_nodes() == ["c1", "s3"], timeout=20, interval=0.2,
               what="web passing on s3 and c1")
    # DNS reads are stale by default: s1 may be a follower a moment behind
    srv = wait_until(lambda: len(dig(s1, "web.service.consul")) == 2 and
                     dig(s1, "web.service.consul"), timeout=5, what="two SRV answers on s1")
    assert len(srv) == 2, srv
    addrs = sorted(dig(s1, "web.service.consul", "A"))
    assert addrs == sorted([s3.ip, c1.ip])
    # the client agent's DNS asks a server (its own store holds no catalog)
    assert sorted(dig(c1, "web.service.consul", "A")) == sorted([s3.ip, c1.ip])
    assert len(dig(c1, "web.service.consul")) == 2
    tcp = subprocess.run(["dig", "@" + c1.ip, "-p", "8600", "+tcp", "+short",
                          "s1.node.consul", "A"], capture_output=True, text=True,
                         timeout=10).stdout.split()
    assert tcp == [s1.ip]
    nx = subprocess.run(["dig", "@" + c1.ip, "-p", "8600", "nope.service.consul"],
                        capture_output=True, text=True, timeout=10).stdout
    assert "NXDOMAIN" in nx

    # stop web on c1: only s3 is left; start it again: both are back
    cluster["backends"]["c1"].stop()
    wait_until(lambda: web_nodes() == ["s3"], timeout=20, interval=0.2,
               what="c1's web critical")
    wait_until(lambda: dig(s1, "web.service.consul", "A") == [s3.ip], timeout=5,
               what="only s3 in DNS")
    cluster["backends"]["c1"].start()
    wait_until(lambda: web_nodes() == ["c1", "s3"], timeout=20, interval=0.2,
               what="c1's web back")

    # kill -9 the leader: a new one within 2 s, and every survivor agrees
    old = leader_of(s1)
    victim = next(s for s in (s1, s2, s3) if f"{s.ip}:8300" == old)
    rest = [a for a in every if a is not victim]
    victim.kill9()
    t0 = time.monotonic()
    wait_until(lambda: all(leader_of(a) not in (None, old) for a in rest) and
               len({leader_of(a) for a in rest}) == 1, timeout=10, interval=0.05,
               what="a new leader agreed on")
    took = time.monotonic() - t0
    # A follower that still knows the leader refuses votes until its own
    # randomized election timeout (1-2 s at raft_multiplier 1) runs out, as in
    # hashicorp/raft, so the protocol's worst case is 2 s (measured: 1.1-2.0 s,
    # median 1.7); the rest is polling on a loaded 2-core machine (2.64 seen).
    assert took < 2.0 + 1.0, f"failover took {took:.2f}s"
    assert c1.put("/v1/kv/seed/c", data="3").json() is True
    victim.start(wait=False)
    wait_until(lambda: leader_of(victim) == leader_of(c1), timeout=20, interval=0.1,
               what="the killed leader back as a follower")
    wait_until(lambda: victim.get("/v1/kv/seed/c",
                                  params={"raw": "", "stale": ""}).text == "3",
               timeout=10, what="the old leader catches up")

    # a server leaves, then comes back with -rejoin
    new_leader = leader_of(c1)
    leaver = next(s for s in (s1, s2, s3) if f"{s.ip}:8300" != new_leader)
    r = leaver.cli("leave")
    assert r.returncode == 0, r.stderr
    leaver.proc.wait(10)
    stay = [a for a in every if a is not leaver]
    wait_until(lambda: members(c1).get(leaver.name) == LEFT, timeout=15, interval=0.2,
               what="leaver left")
    # peers as the current leader has them (the leaver's own log still
    # lists itself until the leader brings it up to date)
    def leader_peers():
        lead = next((s for s in (s1, s2, s3) if s is not leaver
                     and leader_of(s) == f"{s.ip}:8300"), None)
        return lead.get("/v1/status/peers").json() if lead else None
    wait_until(lambda: (p := leader_peers()) is not None and f"{leaver.ip}:8300" not in p,
               timeout=15, interval=0.2, what="leaver removed from Raft")
    leaver.extra_args = leaver.extra_args + ["-rejoin"]
    leaver.start(wait=False)
    wait_until(lambda: all(members(a).get(leaver.name) == ALIVE for a in stay),
               timeout=20, interval=0.2, what="leaver alive again")
    # a non-voter first, a voter after autopilot's 10 s stabilization
    wait_until(lambda: f"{leaver.ip}:8300" in (leader_peers() or []),
               timeout=30, interval=0.2, what="leaver a voter again")
    # a write right after a membership change may meet a leadership change
    # (500, as Consul answers); a client retries
    wait_until(lambda: c1.put("/v1/kv/seed/d", data="4").status_code == 200, timeout=10,
               interval=0.2, what="a write after the rejoin")
    wait_until(lambda: leaver.get("/v1/kv/seed/d",
                                  params={"raw": "", "stale": ""}).text == "4",
               timeout=10, what="leaver replicates again")


def test_client_without_servers_says_so(tmp_path):
    (tmp_path / "perf.json").write_text("{}")
    c = start_agent(tmp_path, "lonely", False, None)
    c.extra_args = ["-data-dir", str(c.data_dir), "-node", "lonely", "-bind", c.ip,
                    "-client", c.ip]
    try:
        c.start(wait=False)
        def up():
            try:
                return c.get("/v1/agent/self").status_code == 200
            except Exception:
                return False
        wait_until(up, timeout=10, what="client up")
        r = c.get("/v1/kv/x")
        assert r.status_code == 500 and "No known Consul servers" in r.text
        assert c.get("/v1/status/leader").status_code == 500
        # its own endpoints answer
        assert c.get("/v1/agent/members").json()[0]["Name"] == "lonely"
        # DNS has nobody to ask either: SERVFAIL, as Consul's client answers
        out = subprocess.run(["dig", "@" + c.ip, "-p", "8600", "web.service.consul"],
                             capture_output=True, text=True, timeout=10).stdout
        assert "SERVFAIL" in out, out
    finally:
        c.close()


def test_new_server_catches_up_by_snapshot(tmp_path):
    """Snapshots compact the log on every server; a server added later gets
    the state by snapshot install (libraft's InstallSnapshot), then the log."""
    made = []
    try:
        s1 = form(tmp_path, "n", made=made, raft_snapshot_threshold=16,
                  raft_trailing_logs=4)[0]
        for i in range(80):
            assert s1.put(f"/v1/kv/snap/k{i:03}", data=str(i)).json() is True
        snaps = lambda a: int(a.get("/v1/agent/self").json()["Stats"]["raft"]
                              ["last_snapshot_index"])
        wait_until(lambda: all(snaps(a) > 0 for a in made), timeout=20,
                   what="every server took a snapshot")
        # a fourth server, not bootstrapping: the leader adds it
        late = start_agent(tmp_path, "n4", True, s1.ip)
        late.extra_args = [x for x in late.extra_args if x not in ("-bootstrap-expect", "3")]
        made.append(late)
        late.start(wait=False)

        def role():
            for sv in s1.get("/v1/operator/raft/configuration").json()["Servers"]:
                if sv["Address"] == f"{late.ip}:8300":
                    return sv["Voter"]
            return None
        # autopilot: a non-voter first, a voter after server_stabilization_time
        wait_until(lambda: role() is not None, timeout=20, interval=0.1, what="n4 added")
        t_added = time.monotonic()
        assert role() is False
        wait_until(lambda: role() is True, timeout=30, interval=0.2, what="n4 a voter")
        assert time.monotonic() - t_added >= 8  # ServerStabilizationTime 10 s
        assert f"{late.ip}:8300" in s1.get("/v1/status/peers").json()

        def caught_up():
            r = late.get("/v1/kv/snap/", params={"recurse": "", "stale": ""})
            return r.status_code == 200 and len(r.json()) == 80
        wait_until(caught_up, timeout=30, interval=0.2, what="n4 has every key")
        assert late.get("/v1/kv/snap/k079", params={"raw": "", "stale": ""}).text == "79"
        assert snaps(late) > 0  # it started from an installed snapshot
    finally:
        for a in made:
            a.close()


def test_outage_recovery_with_peers_json(tmp_path):
    """Two of three servers are lost for good; the survivor alone has no
    quorum. With raft/peers.json naming only itself (Consul's protocol 3
    format) it recovers: leader again, data intact, the file consumed."""
    made = []
    try:
        s1 = form(tmp_path, "o", made=made)[0]
        assert s1.put("/v1/kv/outage/k", data="kept").json() is True
        wait_until(lambda: s1.get("/v1/kv/outage/k", params={"stale": "", "raw": ""}).text
                   == "kept", timeout=10, what="s1 has the write")
        node_id = s1.get("/v1/agent/self").json()["Config"]["NodeID"]
        for a in made:
            a.kill9()
        # only s1 comes back: alone it cannot elect a leader
        s1.start(wait=False)
        time.sleep(3)
        assert leader_of(s1) is None
        s1.kill9()
        peers = s1.data_dir / "raft" / "peers.json"
        peers.write_text(json.dumps([{"id": node_id, "address": f"{s1.ip}:8300",
                                      "non_voter": False}]))
        s1.start(wait=False)
        wait_until(lambda: leader_of(s1) == f"{s1.ip}:8300", timeout=20, interval=0.1,
                   what="s1 leads after recovery")
        assert s1.get("/v1/status/peers").json() == [f"{s1.ip}:8300"]
        assert s1.get("/v1/kv/outage/k", params={"raw": ""}).text == "kept"
        assert s1.put("/v1/kv/outage/after", data="1").json() is True
        assert not peers.exists()
    finally:
        for a in made:
            a.close()


def test_discovery_max_stale(tmp_path):
    """With discovery_max_stale, a follower answers catalog and health reads
    from its own store while it hears from the leader; KV still goes to the
    leader, and ?consistent always does."""
    made = []
    try:
        form(tmp_path, "d", made=made, discovery_max_stale="10s")
        lead = leader_of(made[0])
        follower = next(a for a in made if f"{a.ip}:8300" != lead)
        r = follower.get("/v1/catalog/nodes")
        assert r.status_code == 200
        assert r.headers["X-Consul-Effective-Consistency"] == "stale"
        assert follower.get("/v1/health/service/consul").headers[
            "X-Consul-Effective-Consistency"] == "stale"
        r = follower.get("/v1/catalog/nodes", params={"consistent": ""})
        assert r.headers["X-Consul-Effective-Consistency"] == "consistent"
        follower.put("/v1/kv/dms", data="1")
        assert follower.get("/v1/kv/dms").headers["X-Consul-Effective-Consistency"] == "leader"
    finally:
        for a in made:
            a.close()
