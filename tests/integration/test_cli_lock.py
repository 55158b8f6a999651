"""`cairn lock`: Consul's lock/semaphore layout, children, signals, interop.

Children append "start"/"end" lines to a file, so the tests read the order in
which contenders ran; python-consul contends on the same keys as Consul's api
package (LockFlagValue / SemaphoreFlagValue) to show the layout is shared.
"""

import base64
import json
import os
import signal
import subprocess
import time

import consul
import pytest

from conftest import BIN, wait_until

LOCK_FLAG = 0x2ddccbc058a50c18
SEM_FLAG = 0xe0f69a2baa414de0


def spawn(agent, *args):
    env = dict(os.environ)
    env.pop("CONSUL_HTTP_TOKEN", None)
    env["CONSUL_HTTP_ADDR"] = agent.addr
    return subprocess.Popen([str(BIN), "lock"] + [str(a) for a in args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env, cwd=str(agent.tmp))


def finish(p, timeout=30):
    out, err = p.communicate(timeout=timeout)
    return p.returncode, out.decode(), err.decode()


def worker(path, tag, secs):
    return f"echo start {tag} >> {path}; sleep {secs}; echo end {tag} >> {path}"


def max_overlap(path):
    running = peak = 0
    for line in path.read_text().split("\n"):
        if line.startswith("start"):
            running += 1
            peak = max(peak, running)
        elif line.startswith("end"):
            running -= 1
    return peak


def py(agent):
    return consul.Consul(host=agent.ip, port=8500)


def test_mutual_exclusion(agent, key, tmp_path):
    log = tmp_path / "log"
    procs = [spawn(agent, key, worker(log, i, 1)) for i in range(2)]
    for p in procs:
        rc, out, err = finish(p)
        assert rc == 0, err
    lines = log.read_text().split()
    assert len(lines) == 8
    assert max_overlap(log) == 1
    # Released, session destroyed, key cleaned up.
    assert agent.kv_get(key + "/.lock") is None
    assert agent.get("/v1/session/list").json() == []


def test_lock_key_layout(agent, key, tmp_path):
    marker = tmp_path / "m"
    p = spawn(agent, "-name", "my lock", key, f"touch {marker}; sleep 30")
    try:
        wait_until(marker.exists, timeout=10, what="child start")
        e = agent.kv_get(key + "/.lock")
        assert e["Flags"] == LOCK_FLAG and e["Value"] is None
        sess = agent.get("/v1/session/info/" + e["Session"]).json()[0]
        assert sess["Name"] == "my lock" and sess["TTL"] == "15s"
    finally:
        p.send_signal(signal.SIGINT)
    rc, out, err = finish(p)
    assert rc == 0, err


def test_semaphore_admits_two_not_three(agent, key, tmp_path):
    log = tmp_path / "log"
    procs = [spawn(agent, "-n", "2", key, worker(log, i, 2)) for i in range(3)]
    for p in procs:
        rc, out, err = finish(p, timeout=60)
        assert rc == 0, err
    assert len(log.read_text().split("\n")) == 7
    assert max_overlap(log) == 2
    assert agent.get("/v1/kv/" + key, params={"recurse": ""}).status_code == 404


def test_semaphore_layout(agent, key, tmp_path):
    marker = tmp_path / "m"
    p = spawn(agent, "-n", "3", key, f"touch {marker}; sleep 30")
    try:
        wait_until(marker.exists, timeout=10, what="child start")
        e = agent.kv_get(key + "/.lock")
        assert e["Flags"] == SEM_FLAG
        body = json.loads(base64.b64decode(e["Value"]))
        assert body["Limit"] == 3 and list(body["Holders"].values()) == [True]
        sid = next(iter(body["Holders"]))
        c = agent.kv_get(f"{key}/{sid}")
        assert c["Flags"] == SEM_FLAG and c["Session"] == sid
    finally:
        p.send_signal(signal.SIGTERM)
    rc, out, err = finish(p)
    assert rc == 0, err
    assert agent.get("/v1/kv/" + key, params={"recurse": ""}).status_code == 404


def test_interop_cairn_holds(agent, key, tmp_path):
    marker = tmp_path / "m"
    p = spawn(agent, key, f"touch {marker}; sleep 30")
    c = py(agent)
    try:
        wait_until(marker.exists, timeout=10, what="child start")
        sid = c.session.create(name="py", ttl=15)
        assert c.kv.put(key + "/.lock", "", acquire=sid, flags=LOCK_FLAG) is False
        c.session.destroy(sid)
    finally:
        p.send_signal(signal.SIGINT)
    rc, out, err = finish(p)
    assert rc == 0, err


def test_interop_python_holds(agent, key, tmp_path):
    c = py(agent)
    sid = c.session.create(name="py", ttl=15)
    assert c.kv.put(key + "/.lock", None, acquire=sid, flags=LOCK_FLAG) is True
    marker = tmp_path / "m"
    p = spawn(agent, "-timeout", "1s", key, f"touch {marker}")
    rc, out, err = finish(p)
    assert rc == 1
    assert err == "Shutdown triggered or timeout during lock acquisition\n"
    assert not marker.exists()
    # A waiting contender gets it as soon as python-consul releases.
    p = spawn(agent, key, f"touch {marker}")
    time.sleep(0.5)
    assert not marker.exists()
    assert c.kv.put(key + "/.lock", None, release=sid, flags=LOCK_FLAG) is True
    rc, out, err = finish(p)
    assert rc == 0, err
    assert marker.exists()
    c.session.destroy(sid)


def test_conflicting_use(agent, key, tmp_path):
    agent.kv_put(key + "/.lock", "x")
    rc, out, err = finish(spawn(agent, key, "true"))
    assert rc == 1
    assert err == "Lock acquisition failed: Existing key does not match lock use\n"
    rc, out, err = finish(spawn(agent, "-n", "2", key, "true"))
    assert rc == 1
    assert err == "Lock acquisition failed: Existing key does not match semaphore use\n"
    assert agent.get("/v1/session/list").json() == []


def test_child_exit_code(agent, key):
    rc, out, err = finish(spawn(agent, key, "exit 3"))
    assert rc == 0
    assert err == "Error running handler: exit status 3\n"
    rc, out, err = finish(spawn(agent, "-child-exit-code", key, "exit 3"))
    assert rc == 2
    rc, out, err = finish(spawn(agent, "-child-exit-code", key, "echo hi"))
    assert (rc, out) == (0, "hi\n")


def test_child_env_and_direct_exec(agent, key):
    rc, out, err = finish(spawn(agent, key, "echo $CONSUL_LOCK_HELD"))
    assert (rc, out) == (0, "true\n"), err
    rc, out, err = finish(spawn(agent, "-shell=false", key, "echo", "$HOME"))
    assert (rc, out) == (0, "$HOME\n"), err


def test_signal_forwarded(agent, key, tmp_path):
    marker, got = tmp_path / "m", tmp_path / "got"
    script = f"trap 'echo term > {got}; exit 0' TERM; touch {marker}; " \
             f"while true; do sleep 0.1; done"
    p = spawn(agent, key, script)
    wait_until(marker.exists, timeout=10, what="child start")
    p.send_signal(signal.SIGTERM)
    rc, out, err = finish(p)
    assert rc == 0, err
    assert got.read_text() == "term\n"
    assert agent.kv_get(key + "/.lock") is None


def test_lock_lost_kills_child(agent, key, tmp_path):
    marker = tmp_path / "m"
    p = spawn(agent, "-verbose", key, f"touch {marker}; exec sleep 60")
    wait_until(marker.exists, timeout=10, what="child start")
    sid = agent.kv_get(key + "/.lock")["Session"]
    t0 = time.monotonic()
    assert agent.put("/v1/session/destroy/" + sid).json() is True
    rc, out, err = finish(p)
    assert time.monotonic() - t0 < 5
    assert "Lock lost, killing child" in out


def test_usage_errors(agent, key):
    rc, out, err = finish(spawn(agent, key))
    assert (rc, err) == (1, "Key prefix and child command must be specified\n")
    rc, out, err = finish(spawn(agent, "-n", "0", key, "true"))
    assert (rc, err) == (1, "Lock holder limit must be positive\n")
    rc, out, err = finish(spawn(agent, "-monitor-retry", "-1", key, "true"))
    assert (rc, err) == (1, "Number for 'monitor-retry' must be >= 0\n")


def test_lock_delay_retry(agent, key, tmp_path):
    # python-consul holds the lock with a 1s lock-delay and then destroys its
    # session: the waiting cairn lock is refused during the delay and retries
    # (api.DefaultLockRetryTime, 5s) until it gets the lock.
    c = py(agent)
    sid = c.session.create(name="py", ttl=15, lock_delay=1)
    assert c.kv.put(key + "/.lock", None, acquire=sid, flags=LOCK_FLAG) is True
    marker = tmp_path / "m"
    p = spawn(agent, key, f"touch {marker}")
    time.sleep(0.5)
    c.session.destroy(sid)
    rc, out, err = finish(p, timeout=20)
    assert rc == 0, err
    assert marker.exists()


def test_pass_stdin_and_verbose(agent, key):
    env = dict(os.environ, CONSUL_HTTP_ADDR=agent.addr)
    p = subprocess.run([str(BIN), "lock", "-pass-stdin", "-verbose", key, "cat"],
                       input=b"piped\n", capture_output=True, env=env, timeout=30)
    out = p.stdout.decode()
    assert p.returncode == 0, p.stderr
    assert out.startswith(f"Setting up lock at path: {key}/.lock\n"
                          "Attempting lock acquisition\nStarting handler\n")
    assert "piped\n" in out
    assert out.endswith("Child terminated, releasing lock\nCleanup succeeded\n")
    p = subprocess.run([str(BIN), "lock", key, "cat"], input=b"piped\n",
                       capture_output=True, env=env, timeout=30)
    assert (p.returncode, p.stdout) == (0, b"")
