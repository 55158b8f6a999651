"""Integration harness: real `cairn agent` processes on their own 127.0.0.X.

Every agent gets a fresh loopback address (default Consul ports on it), a
private data dir and a log file under the test's tmp dir.  Addresses are
reserved across concurrently running pytest processes with flock(2) on
/tmp/cairn-it-locks/<ip>, and the port set is probed before use.

Run:   /usr/bin/python3 -m pytest -q tests/integration
Env:   CAIRN_BIN=/path/to/cairn   (default: <repo>/build/cairn)
"""

import ctypes
import fcntl
import itertools
import json
import os
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("CAIRN_BIN", str(ROOT / "build" / "cairn")))
CONSUL_BIN = BIN.parent / "consul"
LOCK_DIR = Path(os.environ.get("CAIRN_IT_LOCKDIR", "/tmp/cairn-it-locks"))

TCP_PORTS = (8300, 8301, 8302, 8500, 8600)
UDP_PORTS = (8301, 8302, 8600)
READY_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0

# Consul's field order for a KV entry (structs.DirEntry, OSS build).
KV_FIELDS = ["LockIndex", "Key", "Flags", "Value", "CreateIndex", "ModifyIndex"]


class AgentError(Exception):
    pass


# --------------------------------------------------------------------------
# address allocation
# --------------------------------------------------------------------------

# Seeded from the pid so two concurrent runs start far apart; flock makes
# collisions impossible anyway, the seed only avoids contention.
_ip_counter = itertools.count((os.getpid() * 37) % 241)


def _ports_free(ip):
    for port in TCP_PORTS:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((ip, port))
        except OSError:
            return False
        finally:
            s.close()
    for port in UDP_PORTS:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.bind((ip, port))
        except OSError:
            return False
        finally:
            s.close()
    return True


def allocate_ip():
    """Return (ip, lock_fd).  The lock is held until release_ip(fd)."""
    LOCK_DIR.mkdir(parents=True, exist_ok=True)
    try:
        os.chmod(LOCK_DIR, 0o1777)
    except OSError:
        pass
    for _ in range(241 * 2):
        x = 10 + (next(_ip_counter) % 241)  # 127.0.0.10 .. 127.0.0.250
        ip = f"127.0.0.{x}"
        fd = os.open(str(LOCK_DIR / ip), os.O_CREAT | os.O_RDWR, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        if not _ports_free(ip):
            os.close(fd)
            continue
        return ip, fd
    raise AgentError("no free 127.0.0.X address with free Consul ports")


def release_ip(fd):
    try:
        os.close(fd)
    except OSError:
        pass


def _pdeathsig():
    # Agents die with the pytest process even if pytest is SIGKILLed.
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass


# --------------------------------------------------------------------------
# the agent
# --------------------------------------------------------------------------

ALL_AGENTS = []


class Agent:
    """One `cairn agent` process.

    mode="server": -server -bootstrap -data-dir <dir> -node <name>
    mode="dev":    -dev -node <name>
    mode="raw":    only `args` (plus nothing else) -- for config tests
    Always adds -bind IP -client IP unless mode="raw".
    """

    def __init__(self, tmp, name=None, mode="server", args=(), ip=None,
                 binary=None, cwd=None, env=None):
        self.tmp = Path(tmp)
        self.tmp.mkdir(parents=True, exist_ok=True)
        if ip is None:
            self.ip, self._lock_fd = allocate_ip()
        else:
            self.ip, self._lock_fd = ip, None
        self.name = name or f"n{self.ip.split('.')[-1]}-{uuid.uuid4().hex[:6]}"
        self.mode = mode
        self.extra_args = list(args)
        self.binary = Path(binary) if binary else BIN
        self.data_dir = self.tmp / f"{self.name}-data"
        self.cwd = Path(cwd) if cwd else self.tmp
        self.env = dict(os.environ)
        if env:
            self.env.update(env)
        self.proc = None
        self.starts = 0
        self.logs = []
        self.returncode = None
        self.session = requests.Session()
        self.base = f"http://{self.ip}:8500"
        self.addr = f"{self.ip}:8500"
        self.born = time.monotonic()
        ALL_AGENTS.append(self)

    # ---- process control ------------------------------------------------
    def argv(self):
        if self.mode == "raw":
            return [str(self.binary), "agent"] + self.extra_args
        a = [str(self.binary), "agent"]
        if self.mode == "dev":
            a += ["-dev", "-node", self.name]
        else:
            a += ["-server", "-bootstrap", "-data-dir", str(self.data_dir),
                  "-node", self.name]
        a += ["-bind", self.ip, "-client", self.ip]
        return a + self.extra_args

    @property
    def log_path(self):
        return self.logs[-1] if self.logs else None

    def start(self, wait=True, timeout=READY_TIMEOUT):
        if not self.binary.exists():
            raise AgentError(f"binary {self.binary} does not exist (build not done?)")
        if self.mode != "raw" and self.mode != "dev":
            self.data_dir.mkdir(parents=True, exist_ok=True)
        self.starts += 1
        log = self.tmp / f"{self.name}.{self.starts}.log"
        self.logs.append(log)
        self.returncode = None
        with open(log, "wb") as f:
            self.proc = subprocess.Popen(
                self.argv(), stdout=f, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, cwd=str(self.cwd), env=self.env,
                start_new_session=True, preexec_fn=_pdeathsig)
        self.started_at = time.monotonic()
        if wait:
            self.wait_ready(timeout)
        return self

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def leader(self, timeout=0.5):
        r = self.session.get(self.base + "/v1/status/leader", timeout=timeout)
        if r.status_code != 200:
            return None
        try:
            v = r.json()
        except ValueError:
            return None
        return v if isinstance(v, str) and v else None

    def wait_ready(self, timeout=READY_TIMEOUT):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.returncode = self.proc.returncode
                raise AgentError(
                    f"agent {self.name} exited with {self.proc.returncode} before "
                    f"becoming ready\nargv: {self.argv()}\n{self.tail()}")
            try:
                if self.leader():
                    return time.monotonic() - self.started_at
            except requests.RequestException as e:
                last = e
            time.sleep(0.02)
        raise AgentError(
            f"agent {self.name} not ready (no leader on /v1/status/leader) after "
            f"{timeout}s (last error: {last})\nargv: {self.argv()}\n{self.tail()}")

    def signal(self, sig):
        if self.running():
            os.kill(self.proc.pid, sig)

    def stop(self, timeout=STOP_TIMEOUT):
        """SIGINT, wait up to `timeout`, then SIGKILL.  Returns the exit code."""
        if self.proc is None:
            return self.returncode
        if self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGINT)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.returncode = self.proc.returncode
        return self.returncode

    def kill9(self):
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        if self.proc is not None:
            self.returncode = self.proc.returncode
        return self.returncode

    def restart(self, wait=True, kill=False):
        if kill:
            self.kill9()
        else:
            self.stop()
        return self.start(wait=wait)

    def close(self):
        try:
            self.stop()
        finally:
            self.session.close()
            if self._lock_fd is not None:
                release_ip(self._lock_fd)
                self._lock_fd = None
            if self in ALL_AGENTS:
                ALL_AGENTS.remove(self)

    # ---- logs -------------------------------------------------------------
    def log_text(self, which=-1):
        if not self.logs:
            return ""
        try:
            return self.logs[which].read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def tail(self, n=60):
        out = []
        for p in self.logs[-2:]:
            try:
                lines = p.read_text(errors="replace").splitlines()
            except FileNotFoundError:
                continue
            out.append(f"----- {p} (last {n} lines) -----")
            out.extend(lines[-n:])
        return "\n".join(out)

    # ---- HTTP ---------------------------------------------------------------
    def url(self, path):
        return self.base + path

    def request(self, method, path, timeout=10, **kw):
        return self.session.request(method, self.base + path, timeout=timeout, **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def put(self, path, data=None, **kw):
        return self.request("PUT", path, data=data, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def kv_put(self, key, value, **params):
        r = self.put("/v1/kv/" + key, data=value, params=params or None)
        assert r.status_code == 200, f"PUT {key}: {r.status_code} {r.text!r}"
        return r.json()

    def kv_get(self, key, **params):
        """Returns the entry dict or None on 404."""
        r = self.get("/v1/kv/" + key, params=params or None)
        if r.status_code == 404:
            return None
        assert r.status_code == 200, f"GET {key}: {r.status_code} {r.text!r}"
        body = r.json()
        assert isinstance(body, list) and len(body) == 1, body
        return body[0]

    def kv_raw(self, key):
        r = self.get("/v1/kv/" + key, params={"raw": ""})
        return r

    # ---- CLI ------------------------------------------------------------------
    def cli(self, *args, binary=None, input=None, env=None, addr=True, timeout=30):
        e = dict(os.environ)
        e.pop("CONSUL_HTTP_TOKEN", None)
        if addr:
            e["CONSUL_HTTP_ADDR"] = self.addr
        if env:
            e.update(env)
        b = str(binary) if binary else str(self.binary)
        if isinstance(input, str):
            input = input.encode()
        return subprocess.run([b] + [str(a) for a in args], input=input,
                              capture_output=True, env=e, timeout=timeout,
                              cwd=str(self.tmp))


def run_cli(*args, binary=None, input=None, env=None, timeout=30, cwd=None):
    """Run the binary without an agent context."""
    e = dict(os.environ)
    if env:
        e.update(env)
    b = str(binary) if binary else str(BIN)
    if isinstance(input, str):
        input = input.encode()
    return subprocess.run([b] + [str(a) for a in args], input=input,
                          capture_output=True, env=e, timeout=timeout, cwd=cwd)


def wait_until(pred, timeout=5.0, interval=0.02, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def unique(prefix="t"):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


# --------------------------------------------------------------------------
# fixtures
# --------------------------------------------------------------------------

@pytest.fixture
def agents(tmp_path):
    """Factory: agents(mode=..., args=..., start=True) -> Agent; all torn down."""
    made = []

    def factory(start=True, wait=True, **kw):
        kw.setdefault("tmp", tmp_path)
        a = Agent(**kw)
        made.append(a)
        if start:
            a.start(wait=wait)
        return a

    yield factory
    for a in made:
        a.close()


@pytest.fixture(scope="module")
def agent(tmp_path_factory):
    """One bootstrapped single server shared by a module (unique keys per test)."""
    a = Agent(tmp_path_factory.mktemp("agent"))
    try:
        a.start()
    except Exception:
        a.close()
        raise
    yield a
    a.close()


@pytest.fixture
def key(request):
    """A unique key prefix for this test."""
    return unique(request.node.name.split("[")[0].replace("test_", "")[:24])


# --------------------------------------------------------------------------
# on failure: show the tails of the agents' logs
# --------------------------------------------------------------------------

@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    item._cairn_t0 = time.monotonic()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed and call.when in ("setup", "call"):
        # the failing test's own agents first: CI shows only the report's head
        t0 = getattr(item, "_cairn_t0", 0)
        for a in sorted(ALL_AGENTS, key=lambda a: a.born < t0):
            if a.logs:
                rep.sections.append((f"cairn agent {a.name} @ {a.ip}", a.tail()))


# --------------------------------------------------------------------------
# services, checks, catalog and health (issue 3)
# --------------------------------------------------------------------------

import http.server  # noqa: E402
import threading  # noqa: E402
import urllib.parse  # noqa: E402


def free_port(host="127.0.0.1", kind=socket.SOCK_STREAM):
    """A port that nothing listens on right now (bound, read, closed)."""
    s = socket.socket(socket.AF_INET, kind)
    try:
        s.bind((host, 0))
        return s.getsockname()[1]
    finally:
        s.close()


class HTTPTarget:
    """A small HTTP server that health checks can be pointed at.

    Every path answers `self.status` with `self.body` unless `routes` maps the
    path to (status, body, headers).  `delay` sleeps before answering.  Each
    request is recorded as a dict(method, path, headers, body, t).  stop() and
    start() keep the port, so a check can see the service go away and return.
    """

    def __init__(self, host="127.0.0.1", port=0):
        self.host = host
        self.port = port or free_port(host)
        self.status = 200
        self.body = b"ok"
        self.delay = 0.0
        self.routes = {}
        self.requests = []
        self._lock = threading.Lock()
        self._srv = None
        self._thread = None

    def url(self, path="/health", host=None):
        return f"http://{host or self.host}:{self.port}{path}"

    @property
    def count(self):
        with self._lock:
            return len(self.requests)

    def _handler(self):
        target = self

        class H(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def _answer(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                path = urllib.parse.urlsplit(self.path).path
                with target._lock:
                    target.requests.append({
                        "method": self.command, "path": path,
                        "headers": {k: v for k, v in self.headers.items()},
                        "header_list": list(self.headers.items()),
                        "body": body, "t": time.monotonic()})
                    status, rbody, rheaders = target.routes.get(
                        path, (target.status, target.body, {}))
                    delay = target.delay
                if delay:
                    time.sleep(delay)
                if isinstance(rbody, str):
                    rbody = rbody.encode()
                try:
                    self.send_response(status)
                    for k, v in rheaders.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(rbody)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(rbody)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = do_HEAD = _answer

        return H

    def start(self):
        class Srv(http.server.ThreadingHTTPServer):
            allow_reuse_address = True
            daemon_threads = True
            block_on_close = False      # stop() must not wait for slow handlers

        deadline = time.monotonic() + 5
        while True:
            try:
                self._srv = Srv((self.host, self.port), self._handler())
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self._thread = threading.Thread(target=self._srv.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._srv is not None:
            self._srv.shutdown()
            self._srv.server_close()
            self._srv = None

    def wait_requests(self, n, timeout=5.0):
        wait_until(lambda: self.count >= n, timeout, what=f"{n} requests on {self.url('')}")


@pytest.fixture
def http_target():
    t = HTTPTarget().start()
    yield t
    t.stop()


class TCPListener:
    """A TCP socket that accepts and closes connections (a TCP check target)."""

    def __init__(self, host="127.0.0.1", port=0):
        self.host = host
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.port = self.sock.getsockname()[1]
        self.sock.listen(64)
        self.accepted = 0
        self._stop = False
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    @property
    def addr(self):
        return f"{self.host}:{self.port}"

    def _run(self):
        self.sock.settimeout(0.1)
        while not self._stop:
            try:
                c, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            self.accepted += 1
            c.close()

    def close(self):
        self._stop = True
        self._t.join(1)
        self.sock.close()


def json_ok(r, status=200):
    assert r.status_code == status, f"{r.request.method} {r.url}: {r.status_code} {r.text!r}"
    return r.json() if r.content else None


def consul_index(r):
    v = r.headers.get("X-Consul-Index")
    assert v is not None and v.isdigit() and int(v) > 0, \
        f"bad X-Consul-Index {v!r} on {r.url}"
    return int(v)


def register_service(agent, body, status=200, **params):
    r = agent.put("/v1/agent/service/register", json=body, params=params or None)
    assert r.status_code == status, f"register {body!r}: {r.status_code} {r.text!r}"
    return r


def register_check(agent, body, status=200):
    r = agent.put("/v1/agent/check/register", json=body)
    assert r.status_code == status, f"check register {body!r}: {r.status_code} {r.text!r}"
    return r


def agent_checks(agent, **params):
    return json_ok(agent.get("/v1/agent/checks", params=params or None))


def agent_services(agent, **params):
    return json_ok(agent.get("/v1/agent/services", params=params or None))


def wait_check(agent, check_id, status=None, timeout=6.0, pred=None):
    """Poll /v1/agent/checks until check_id exists (with `status`, and pred(check))."""
    last = {}

    def probe():
        c = agent_checks(agent).get(check_id)
        last["c"] = c
        if c is None:
            return None
        if status is not None and c["Status"] != status:
            return None
        if pred is not None and not pred(c):
            return None
        return c

    try:
        return wait_until(probe, timeout, interval=0.05,
                          what=f"check {check_id!r} status {status!r}")
    except AssertionError as e:
        raise AssertionError(f"{e}; last seen: {last.get('c')!r}") from None


def health_service(agent, name, **params):
    return json_ok(agent.get("/v1/health/service/" + urllib.parse.quote(name, safe=""),
                             params=params or None))


def catalog_service(agent, name, **params):
    return json_ok(agent.get("/v1/catalog/service/" + urllib.parse.quote(name, safe=""),
                             params=params or None))


def wait_health(agent, name, pred, timeout=6.0, **params):
    """Poll /v1/health/service/<name> until pred(entries) is true."""
    last = {}

    def probe():
        e = health_service(agent, name, **params)
        last["e"] = e
        return (e,) if pred(e) else None        # [] may be the awaited answer

    try:
        return wait_until(probe, timeout, interval=0.05, what=f"health of {name!r}")[0]
    except AssertionError as e:
        raise AssertionError(f"{e}; last seen: {last.get('e')!r}") from None


def write_json_file(path, obj):
    path = Path(path)
    path.write_text(json.dumps(obj, indent=2))
    return path


def columnize(rows, glue="  "):
    """ryanuber/columnize SimpleFormat (what `consul catalog nodes` prints)."""
    widths = {}
    for r in rows:
        for i, c in enumerate(r):
            widths[i] = max(widths.get(i, 0), len(c))
    out = []
    for r in rows:
        line = ""
        for i, c in enumerate(r):
            line += c if i == len(r) - 1 else c.ljust(widths[i]) + glue
        out.append(line)
    return "\n".join(out)


def tabwrite(rows, padding=6):
    """Go text/tabwriter(minwidth 0, tabwidth 2, padding, ' ', 0) for two columns,
    the first tab-terminated (what `consul catalog services -tags` prints)."""
    w = max(len(r[0]) for r in rows) + padding
    return "\n".join(r[0].ljust(w) + r[1] for r in rows)


# --------------------------------------------------------------------------
# catalog helpers and Consul's JSON key orders (structs.go, 1.20 CE)
# --------------------------------------------------------------------------

NODE_KEYS = ["ID", "Node", "Address", "Datacenter", "TaggedAddresses", "Meta",
             "CreateIndex", "ModifyIndex"]
SERVICE_NODE_KEYS = ["ID", "Node", "Address", "Datacenter", "TaggedAddresses", "NodeMeta",
                     "ServiceKind", "ServiceID", "ServiceName", "ServiceTags", "ServiceAddress",
                     "ServiceTaggedAddresses", "ServiceWeights", "ServiceMeta", "ServicePort",
                     "ServiceSocketPath", "ServiceEnableTagOverride", "ServiceProxy",
                     "ServiceConnect", "ServiceLocality", "CreateIndex", "ModifyIndex"]
NODE_SERVICE_KEYS = ["ID", "Service", "Tags", "Address", "TaggedAddresses", "Meta", "Port",
                     "Weights", "EnableTagOverride", "Proxy", "Connect", "PeerName",
                     "CreateIndex", "ModifyIndex"]
EMPTY_PROXY = {"Mode": "", "MeshGateway": {}, "Expose": {}}
HEALTH_CHECK_KEYS = ["Node", "CheckID", "Name", "Status", "Notes", "Output", "ServiceID",
                     "ServiceName", "ServiceTags", "Type", "Interval", "Timeout", "ExposedPort",
                     "Definition", "CreateIndex", "ModifyIndex"]


def creg(agent, body):
    r = agent.put("/v1/catalog/register", json=body)
    assert r.status_code == 200, f"catalog register {body!r}: {r.status_code} {r.text!r}"
    assert r.json() is True
    return r


def cdereg(agent, body):
    r = agent.put("/v1/catalog/deregister", json=body)
    assert r.status_code == 200, f"catalog deregister {body!r}: {r.status_code} {r.text!r}"
    assert r.json() is True
    return r


def ext_node(agent, node=None, meta=None, address="10.1.0.1", services=(), checks=()):
    """Register an external node (and services/checks on it) in the catalog.

    Every registration repeats the node's fields: Consul overwrites the node
    (NodeMeta and TaggedAddresses included) with each catalog register that
    does not set SkipNodeUpdate."""
    node = node or unique("ext")
    base = {"Node": node, "Address": address}
    if meta is not None:
        base["NodeMeta"] = meta
    creg(agent, dict(base))
    for s in services:
        creg(agent, dict(base, Service=s))
    for c in checks:
        c = dict(c)
        c.setdefault("Node", node)
        creg(agent, dict(base, Check=c))
    return node


class Park(threading.Thread):
    def __init__(self, agent, path, params):
        super().__init__(daemon=True)
        self.url, self.params = agent.url(path), params
        self.resp = self.err = None
        self.t0 = self.t1 = None

    def run(self):
        self.t0 = time.monotonic()
        try:
            self.resp = requests.get(self.url, params=self.params, timeout=30)
        except Exception as e:  # noqa
            self.err = e
        self.t1 = time.monotonic()

    def done(self, timeout):
        self.join(timeout)
        assert not self.is_alive(), f"{self.url} never returned"
        if self.err:
            raise self.err
        return self.resp
