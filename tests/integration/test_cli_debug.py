"""`cairn debug` against a real agent.

Consul facts used here (command/debug/debug.go; the layout whose metrics are
scraped from /v1/agent/metrics once per interval):
- minimums: -duration 10s, -interval 5s, and duration >= interval, each failure
  "==> Capture validation failed: <why>", exit 1, checked before the agent is
  asked anything; unknown -capture targets and an existing -output fail the same
  way (and nothing is created).
- output: "==> Starting debugger and capturing static information...", then
  "     Agent Version: '<v>'", Interval, Duration, Output, Capture lines, "==>
  Beginning capture interval <time> (0)", "==> Capture successful <time> (n)",
  finally "    Saved debug archive: <output>.tar.gz"; the run lasts duration + 2s.
- the archive <output>.tar.gz holds <base>/agent.json, host.json, members.json,
  index.json, consul.log and <unix ts>/metrics.json per interval; the directory
  is removed once archived, kept with -archive=false.
- JSON files are json.MarshalIndent(v, "", "\\t"); index.json is {"Version": 1,
  "AgentVersion", "Interval", "Duration", "Targets"}.
- pprof needs enable_debug: without it "[WARN] Unable to capture pprof. Set
  enable_debug to true on target agent to enable profiling." (cairn agents serve no
  Go profiles, so pprof is always dropped).
- SIGINT stops the capture early: "==> Error encountered during collection:
  stopping collection due to shutdown signal", and the archive is still written.

Static targets the agent does not serve (GET /v1/agent/host today) give a
"Static capture failed:" warning and a file holding null, as in Consul.
"""

import json
import os
import re
import signal
import subprocess
import tarfile
import time

import pytest

from conftest import BIN

FAIL = "==> Capture validation failed: "


def debug_cmd(agent, *args):
    env = dict(os.environ, CONSUL_HTTP_ADDR=agent.addr)
    env.pop("CONSUL_HTTP_TOKEN", None)
    return [str(BIN), "debug", *[str(a) for a in args]], env


@pytest.mark.parametrize("args,why", [
    (("-duration=9s",), "duration must be longer than 10s"),
    (("-interval=4s", "-duration=10s"), "interval must be longer than 5s"),
    (("-interval=30s", "-duration=20s"), "duration (20s) must be longer than interval (30s)"),
    (("-duration=1m", "-capture", "bogus"), "target not found: bogus"),
])
def test_validation(agent, tmp_path, args, why):
    out = tmp_path / "out"
    p = agent.cli("debug", "-output", out, *args)
    assert p.returncode == 1
    assert p.stderr.decode().splitlines()[-1] == FAIL + why
    assert p.stdout == b""
    assert not out.exists()


def test_existing_output_and_extra_args(agent, tmp_path):
    p = agent.cli("debug", "-output", tmp_path, "-duration=10s", "-interval=5s")
    assert p.returncode == 1
    assert p.stderr.decode().splitlines()[-1] == \
        FAIL + f"output directory already exists: {tmp_path}"
    p = agent.cli("debug", "extra")
    assert p.returncode == 1
    assert p.stderr.decode() == "==> debug: Too many arguments provided, expected 0\n"


def test_unreachable_agent(agent, tmp_path):
    p = agent.cli("debug", "-output", tmp_path / "o", env={"CONSUL_HTTP_ADDR": "127.0.0.1:1"})
    assert p.returncode == 1
    assert p.stderr.decode() == (
        FAIL + 'error querying target agent: Get "http://127.0.0.1:1/v1/agent/self": '
        "dial tcp 127.0.0.1:1: connect: connection refused. verify connectivity and "
        "agent address\n")
    assert not (tmp_path / "o").exists()


def test_help(agent):
    p = agent.cli("debug", "-h")
    assert p.returncode == 0
    text = p.stdout.decode()
    assert text.startswith("Usage: consul debug [options]\n\n  Monitors a Consul agent")
    for flag in ("-archive", "-capture=<value>", "-duration=<duration>",
                 "-interval=<duration>", "-output=<string>", "-http-addr=<address>"):
        assert "\n  " + flag + "\n" in text, flag


def members(tf, base):
    return tf.extractfile(f"{base}/members.json").read().decode()


def test_capture_runs(agent, tmp_path):
    """Three runs at once (each lasts at least 12s): the default capture archived,
    a subset left as a directory, and one interrupted by SIGINT."""
    full, subset, stopped = tmp_path / "full", tmp_path / "subset", tmp_path / "stopped"
    runs = {}
    for name, args in (
        ("full", ("-duration=10s", "-interval=5s", "-output", full)),
        ("subset", ("-duration=10s", "-interval=5s", "-output", subset, "-archive=false",
                    "-capture", "metrics", "-capture", "agent")),
        ("stopped", ("-duration=1m", "-interval=5s", "-output", stopped)),
    ):
        argv, env = debug_cmd(agent, *args)
        runs[name] = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, cwd=str(tmp_path))
    # something for the log stream to record, while the runs capture
    time.sleep(1.5)
    agent.put("/v1/agent/service/register", data=json.dumps({"Name": "debug-web"}))
    time.sleep(1.0)
    runs["stopped"].send_signal(signal.SIGINT)
    res = {n: (p.communicate(timeout=40), p.returncode) for n, p in runs.items()}
    agent.put("/v1/agent/service/deregister/debug-web")

    # --- the full run ---
    (out, err), rc = res["full"]
    out, err = out.decode(), err.decode()
    assert rc == 0, err
    version = agent.get("/v1/agent/self").json()["Config"]["Version"]
    lines = out.splitlines()
    assert lines[:6] == [
        "==> Starting debugger and capturing static information...",
        f"     Agent Version: '{version}'",
        "          Interval: '5s'",
        "          Duration: '10s'",
        f"            Output: '{full}.tar.gz'",
        "           Capture: 'metrics, logs, host, agent, members'",
    ]
    stamp = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \+0000 UTC"
    assert re.fullmatch(r"==> Beginning capture interval " + stamp + r" \(0\)", lines[6])
    caps = [l for l in lines if l.startswith("==> Capture successful")]
    assert len(caps) == 3, out  # at 0s, 5s and 10s of the 12s run
    for i, l in enumerate(caps):
        assert re.fullmatch(r"==> Capture successful " + stamp + rf" \({i}\)", l), l
    assert lines[-1] == f"    Saved debug archive: {full}.tar.gz"
    assert "[WARN] Unable to capture pprof." in err
    assert not full.exists()
    with tarfile.open(f"{full}.tar.gz", "r:gz") as tf:
        names = tf.getnames()
        assert names[0] == "full"
        for f in ("agent.json", "host.json", "members.json", "index.json", "consul.log"):
            assert f"full/{f}" in names, names
        metric_files = [n for n in names if n.endswith("/metrics.json")]
        assert len(metric_files) == 3
        for n in metric_files:
            assert re.fullmatch(r"full/\d{10}/metrics\.json", n)
            m = json.load(tf.extractfile(n))
            assert {"Timestamp", "Gauges", "Counters", "Samples"} <= set(m)
        raw = tf.extractfile("full/agent.json").read().decode()
        assert raw.startswith('{\n\t"Config": {\n\t\t"BuildDate": ')  # sorted, tabs
        self_ = json.loads(raw)
        assert self_["Config"]["NodeName"] == agent.name
        index = json.load(tf.extractfile("full/index.json"))
        assert index == {"Version": 1, "AgentVersion": version, "Interval": "5s",
                         "Duration": "10s",
                         "Targets": ["metrics", "logs", "host", "agent", "members"]}
        log = tf.extractfile("full/consul.log").read().decode()
        assert "debug-web" in log, log[-2000:]
        host = tf.extractfile("full/host.json").read().decode()
        mem = members(tf, "full")
    # targets the agent does not serve are warned about and recorded as null
    if agent.get("/v1/agent/host").status_code == 404:
        assert host == "null"
        assert "Static capture failed: " in err
    if agent.get("/v1/agent/members").status_code == 200:
        assert agent.name in mem
    else:
        assert mem == "null"

    # --- the subset, not archived ---
    (out, err), rc = res["subset"]
    assert rc == 0, err
    assert "           Capture: 'metrics, agent'" in out.decode()
    assert f"    Saved debug archive: {subset}\n" in out.decode()
    assert not os.path.exists(f"{subset}.tar.gz")
    entries = sorted(os.listdir(subset))
    assert "agent.json" in entries and "index.json" in entries
    assert not {"host.json", "members.json", "consul.log"} & set(entries)
    assert len([e for e in entries if re.fullmatch(r"\d{10}", e)]) == 3

    # --- the interrupted one ---
    (out, err), rc = res["stopped"]
    assert rc == 0, err
    assert "==> Error encountered during collection: stopping collection due to shutdown " \
        "signal" in err.decode()
    assert f"    Saved debug archive: {stopped}.tar.gz" in out.decode()
    with tarfile.open(f"{stopped}.tar.gz", "r:gz") as tf:
        assert "stopped/index.json" in tf.getnames()
        assert json.load(tf.extractfile("stopped/index.json"))["Duration"] == "1m0s"
