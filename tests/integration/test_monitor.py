"""/v1/agent/monitor and `cairn monitor`: the agent's log lines, streamed.

Consul facts used here (agent/agent_endpoint.go AgentMonitor, command/monitor):
 - ?loglevel= (default INFO; TRACE DEBUG INFO WARN ERR ERROR), unknown level ->
   400 "Unknown log level: X"; ?logjson -> hclog JSON lines
 - the reply is 200 text/plain, streamed (chunked) until the client leaves
 - the CLI prints the lines; a bad level prints "Error starting monitor: ..."
   and exits 1; the agent going away prints "Remote side ended the monitor!..."
   and exits 1; Ctrl-C exits 0
"""

import json
import signal
import subprocess
import socket
import threading
import time

import pytest

from conftest import unique, wait_until


class Monitor:
    """GET /v1/agent/monitor on a raw socket, read by a background thread into a
    list of lines (the chunked framing is undone; shutdown() wakes the reader)."""

    def __init__(self, agent, **params):
        query = "&".join(f"{k}={v}" if v else k for k, v in params.items())
        self.sock = socket.create_connection((agent.ip, 8500), timeout=30)
        self.sock.sendall(f"GET /v1/agent/monitor?{query} HTTP/1.1\r\nHost: x\r\n\r\n"
                          .encode())
        self.f = self.sock.makefile("rb")
        status = self.f.readline().decode()
        self.status_code = int(status.split()[1])
        self.headers = {}
        while True:
            h = self.f.readline().decode().strip()
            if not h:
                break
            k, v = h.split(":", 1)
            self.headers[k.strip()] = v.strip()
        self.lines = []
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        pending = b""
        try:
            while True:
                size = int(self.f.readline().strip(), 16)
                data = self.f.read(size + 2)[:size]
                if size == 0:
                    return
                pending += data
                *done, pending = pending.split(b"\n")
                self.lines.extend(l.decode() for l in done)
        except Exception:
            pass

    def wait_for(self, text, timeout=10):
        return wait_until(lambda: next((l for l in self.lines if text in l), None),
                          timeout=timeout, what=f"{text!r} in monitor stream")

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.thread.join(5)
        self.f.close()
        self.sock.close()


def register(agent, name):
    r = agent.put("/v1/agent/service/register", data=json.dumps({"Name": name}))
    assert r.status_code == 200, r.text


def deregister(agent, name):
    agent.put(f"/v1/agent/service/deregister/{name}")


def test_stream_text(agent):
    m = Monitor(agent)
    try:
        assert m.status_code == 200
        assert m.headers["Content-Type"].startswith("text/plain")
        assert m.headers.get("Transfer-Encoding") == "chunked"
        name = unique("mon")
        register(agent, name)
        line = m.wait_for(f"Synced service: service={name}")
        # hclog's text format: timestamp, padded level, module, message
        assert " [INFO]  " in line, line
        deregister(agent, name)
    finally:
        m.close()


def test_level_filter(agent):
    info = Monitor(agent, loglevel="info")
    warn = Monitor(agent, loglevel="warn")
    debug = Monitor(agent, loglevel="debug")
    try:
        name = unique("mon")
        register(agent, name)
        info.wait_for(f"service={name}")
        # the agent logs at info, yet a debug monitor sees debug lines
        debug.wait_for("[DEBUG]")
        time.sleep(0.3)
        assert not any("[INFO]" in l or "[DEBUG]" in l for l in warn.lines), warn.lines
        assert not any("[DEBUG]" in l for l in info.lines), info.lines
        deregister(agent, name)
    finally:
        for m in (info, warn, debug):
            m.close()


def test_json(agent):
    m = Monitor(agent, logjson="")
    try:
        name = unique("mon")
        register(agent, name)
        m.wait_for(name)
        for l in m.lines:
            obj = json.loads(l)
            assert set(obj) >= {"@level", "@message", "@module", "@timestamp"}, obj
        hit = next(json.loads(l) for l in m.lines if name in l)
        assert hit["@level"] == "info"
        assert hit["@message"].startswith("Synced service")
        deregister(agent, name)
    finally:
        m.close()


@pytest.mark.parametrize("level", ["foo", "off"])
def test_bad_level(agent, level):
    r = agent.get("/v1/agent/monitor", params={"loglevel": level})
    assert r.status_code == 400
    assert r.text.strip() == f"Unknown log level: {level}"


def test_disconnects(agent):
    """Clients that vanish (FIN, RST, mid-stream) leave a healthy agent."""
    for i in range(20):
        s = socket.create_connection((agent.ip, 8500))
        s.sendall(b"GET /v1/agent/monitor?loglevel=trace HTTP/1.1\r\nHost: x\r\n\r\n")
        s.recv(100)
        if i % 2:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        s.close()
    # a reader that never reads while lines pile up
    stuck = socket.create_connection((agent.ip, 8500))
    stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stuck.sendall(b"GET /v1/agent/monitor?loglevel=trace HTTP/1.1\r\nHost: x\r\n\r\n")
    for _ in range(200):
        assert agent.get("/v1/status/leader").status_code == 200
    stuck.close()
    m = Monitor(agent)
    try:
        name = unique("mon")
        register(agent, name)
        m.wait_for(name)
        deregister(agent, name)
    finally:
        m.close()
    assert agent.running()
    # every monitor is gone: the sink table has room again for many more
    ms = [Monitor(agent) for _ in range(12)]
    try:
        assert all(x.status_code == 200 for x in ms)
    finally:
        for x in ms:
            x.close()


def monitor_proc(agent, *args):
    import os
    e = dict(os.environ)
    e["CONSUL_HTTP_ADDR"] = agent.addr
    return subprocess.Popen([str(agent.binary), "monitor", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=e)


def read_until(p, text, timeout=10):
    got = []
    done = threading.Event()

    def reader():
        for line in iter(p.stdout.readline, b""):
            got.append(line.decode())
            if text in got[-1]:
                done.set()
                return

    threading.Thread(target=reader, daemon=True).start()
    assert done.wait(timeout), got
    return got


def test_cli_monitor(agent):
    p = monitor_proc(agent, "-log-level", "debug")
    try:
        time.sleep(0.3)
        name = unique("mon")
        register(agent, name)
        read_until(p, f"service={name}")
        p.send_signal(signal.SIGINT)
        assert p.wait(5) == 0
        deregister(agent, name)
    finally:
        if p.poll() is None:
            p.kill()


def test_cli_json(agent):
    p = monitor_proc(agent, "-log-json")
    try:
        time.sleep(0.3)
        name = unique("mon")
        register(agent, name)
        got = read_until(p, name)
        assert json.loads(got[-1])["@level"] == "info"
        deregister(agent, name)
    finally:
        p.kill()
        p.wait()


def test_cli_bad_level(agent):
    p = agent.cli("monitor", "-log-level", "foo")
    assert p.returncode == 1
    assert p.stderr.decode() == ("Error starting monitor: Unexpected response code: 400 "
                                 "(Unknown log level: foo)\n")


def test_cli_agent_goes_away(agents):
    a = agents()
    p = monitor_proc(a)
    try:
        time.sleep(0.3)
        a.stop()
        out, err = p.communicate(timeout=10)
        assert p.returncode == 1, err
        assert out.decode().endswith(
            "Remote side ended the monitor! This usually means that the\n"
            "remote side has exited or crashed.\n")
    finally:
        if p.poll() is None:
            p.kill()
