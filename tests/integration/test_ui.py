"""The web UI (issue 9): serving the embedded assets, the /v1/internal/ui/*
endpoints with Consul's shapes, and the browser end-to-end run (tests/ui/e2e.js
in headless Debian chromium through playwright-core).

Consul facts used here:
 - with the UI enabled (-ui, ui_config.enabled, always in -dev) GET / answers
   301 to the content path; without it, 200 text "Consul Agent: UI disabled..."
   and the UI paths are 404;
 - ui_config.content_path ("/ui/" by default; -ui-content-path) moves the UI;
   Go's mux redirects the path without its trailing slash to it;
 - every path under the content path that is not an asset answers the SPA's
   index.html (Consul's UI routes in the browser);
 - /v1/internal/ui/services: one ServiceSummary per name with InstanceCount,
   ChecksPassing/Warning/Critical (node checks counted per instance), Nodes,
   Tags; /v1/internal/ui/nodes: NodeInfo with Services and Checks;
   /v1/internal/ui/node/:node: NodeInfo or 404.
"""

import gzip
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from conftest import json_ok, register_service, wait_until

ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / "ui" / "node_modules"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="module")
def dev(tmp_path_factory):
    from conftest import Agent
    a = Agent(tmp_path_factory.mktemp("ui"), mode="dev")
    try:
        a.start()
    except Exception:
        a.close()
        raise
    yield a
    a.close()


def get(a, path, **kw):
    kw.setdefault("allow_redirects", False)
    return a.session.get(a.base + path, timeout=70, **kw)


# ---------------------------------------------------------------- serving

def test_root_redirects_and_spa_fallback(dev):
    r = get(dev, "/")
    assert r.status_code == 301 and r.headers["Location"] == "/ui/"
    r = get(dev, "/ui")
    assert r.status_code == 301 and r.headers["Location"] == "/ui/"
    for path in ("/ui/", "/ui/dc1/services", "/ui/dc1/services/web", "/ui/dc1/kv/a/b/edit"):
        r = get(dev, path)
        assert r.status_code == 200, path
        assert r.headers["Content-Type"] == "text/html; charset=utf-8"
        assert '<meta name="cairn-root" content="/ui/">' in r.text
        assert "__CAIRN_ROOT__" not in r.text
    # the API keeps its own 404s
    assert get(dev, "/v1/nope").status_code == 404
    assert get(dev, "/nope").status_code == 404


def test_assets_types_gzip_and_size(dev):
    index = get(dev, "/ui/").text
    refs = re.findall(r'(?:src|href)="(/ui/assets/[^"]+)"', index)
    assert any(x.endswith(".js") for x in refs) and any(x.endswith(".css") for x in refs)
    total = len(gzip.compress(index.encode()))
    for ref in refs:
        plain = get(dev, ref, headers={"Accept-Encoding": "identity"})
        assert plain.status_code == 200
        assert "Content-Encoding" not in plain.headers
        want = "text/javascript" if ref.endswith(".js") else "text/css"
        assert plain.headers["Content-Type"].startswith(want)
        gz = get(dev, ref, headers={"Accept-Encoding": "gzip, deflate"}, stream=True)
        assert gz.headers["Content-Encoding"] == "gzip"
        raw = gz.raw.read(decode_content=False)
        assert gzip.decompress(raw) == plain.content
        total += len(raw)
        head = dev.session.head(dev.base + ref, timeout=5)
        assert head.status_code == 200 and not head.content
    # the first load, compressed, stays far under the 200 KB budget
    assert total < 200 * 1024, total


def test_ui_disabled_without_flag(agents):
    a = agents()  # a server without -ui
    r = get(a, "/")
    assert r.status_code == 200 and r.text.startswith("Consul Agent: UI disabled")
    assert get(a, "/ui/").status_code == 404
    assert get(a, "/ui/assets/app.js").status_code == 404


def test_content_path(agents):
    a = agents(args=["-ui", "-ui-content-path", "/consul/"])
    r = get(a, "/")
    assert r.status_code == 301 and r.headers["Location"] == "/consul/"
    r = get(a, "/consul/dc1/nodes")
    assert r.status_code == 200 and 'href="/consul/assets/app.css"' in r.text
    assert get(a, "/consul/assets/app.js").status_code == 200
    assert get(a, "/ui/").status_code == 404


def test_content_path_root(agents):
    a = agents(args=["-ui", "-ui-content-path", "/"])
    r = get(a, "/")
    assert r.status_code == 200 and '<meta name="cairn-root" content="/">' in r.text
    assert 'href="/assets/app.css"' in get(a, "/dc1/services/web").text
    assert get(a, "/assets/app.js").headers["Content-Type"].startswith("text/javascript")
    assert get(a, "/v1/nope").status_code == 404
    assert json_ok(get(a, "/v1/internal/ui/services"))


# ---------------------------------------------------------------- endpoints

def test_internal_ui_services_and_nodes(dev):
    register_service(dev, {"Name": "uisvc", "ID": "uisvc-1", "Tags": ["a", "b"], "Port": 80,
                           "Check": {"CheckID": "uisvc-1-ttl", "TTL": "10m",
                                     "Status": "passing"}})
    register_service(dev, {"Name": "uisvc", "ID": "uisvc-2", "Tags": ["b", "c"], "Port": 81,
                           "Check": {"CheckID": "uisvc-2-ttl", "TTL": "10m",
                                     "Status": "critical"}})

    def summary():
        r = get(dev, "/v1/internal/ui/services")
        for s in json_ok(r):
            if s["Name"] == "uisvc" and s["InstanceCount"] == 2:
                return s, r
        return None

    s, r = wait_until(summary, what="uisvc summary")
    assert int(r.headers["X-Consul-Index"]) > 0
    assert list(s)[:11] == ["Name", "Datacenter", "Tags", "Nodes", "ExternalSources",
                            "InstanceCount", "ChecksPassing", "ChecksWarning",
                            "ChecksCritical", "GatewayConfig", "TransparentProxy"]
    assert s["Datacenter"] == "dc1"
    assert s["Tags"] == ["a", "b", "c"]
    assert s["Nodes"] == [dev.name]
    # each instance: its own check plus the node's serfHealth
    assert (s["ChecksPassing"], s["ChecksWarning"], s["ChecksCritical"]) == (3, 0, 1)

    nodes = json_ok(get(dev, "/v1/internal/ui/nodes"))
    mine = [n for n in nodes if n["Node"] == dev.name][0]
    assert list(mine) == ["ID", "Node", "Address", "TaggedAddresses", "Meta", "Services",
                          "Checks"]
    assert {"uisvc-1", "uisvc-2"} <= {x["ID"] for x in mine["Services"]}
    assert {"serfHealth", "uisvc-1-ttl"} <= {c["CheckID"] for c in mine["Checks"]}

    node = json_ok(get(dev, f"/v1/internal/ui/node/{dev.name}"))
    assert node["Node"] == dev.name and node["Address"] == dev.ip
    assert get(dev, "/v1/internal/ui/node/no-such-node").status_code == 404
    assert get(dev, "/v1/internal/ui/services?dc=elsewhere").status_code == 500


def test_internal_ui_services_blocks_until_a_check_changes(dev):
    register_service(dev, {"Name": "blk", "ID": "blk-1",
                           "Check": {"CheckID": "blk-ttl", "TTL": "10m", "Status": "passing"}})
    wait_until(lambda: any(s["Name"] == "blk" and s["ChecksPassing"] == 2
                           for s in json_ok(get(dev, "/v1/internal/ui/services"))),
               what="blk passing")
    r = get(dev, "/v1/internal/ui/services")
    index = int(r.headers["X-Consul-Index"])
    # nothing changes: the read parks for the whole wait
    t0 = time.monotonic()
    r = get(dev, f"/v1/internal/ui/services?index={index}&wait=300ms")
    assert time.monotonic() - t0 >= 0.25
    assert int(r.headers["X-Consul-Index"]) == index
    # a check turns critical: the parked read wakes with the new counts
    import threading
    t = threading.Timer(0.3, lambda: dev.put("/v1/agent/check/fail/blk-ttl"))
    t.start()
    t0 = time.monotonic()
    r = get(dev, f"/v1/internal/ui/services?index={index}&wait=30s")
    t.join()
    assert time.monotonic() - t0 < 10
    assert int(r.headers["X-Consul-Index"]) > index
    blk = [s for s in json_ok(r) if s["Name"] == "blk"][0]
    assert blk["ChecksCritical"] == 1


# ---------------------------------------------------------------- browser

def test_browser_end_to_end(agents, tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing (scripts/bootstrap test installs Debian's chromium)")
    if not (NODE_MODULES / "playwright-core").exists():
        pytest.skip("ui/node_modules/playwright-core is missing (make test runs npm ci in ui/)")
    node = shutil.which("node")
    if not node:
        pytest.skip("node is missing (scripts/bootstrap test installs nodejs)")
    a = agents(mode="dev")
    shots = tmp_path / "screenshots"
    shots.mkdir()
    env = dict(os.environ, NODE_PATH=str(NODE_MODULES), CHROMIUM=CHROMIUM)
    # 1,000 services interactive in under 1 s; the ASan agent (make
    # integration-san sets ASAN_OPTIONS) is allowed 3 s
    env.setdefault("CAIRN_UI_BUDGET_MS", "3000" if "ASAN_OPTIONS" in os.environ else "1000")
    p = subprocess.run([node, str(ROOT / "tests" / "ui" / "e2e.js"), a.base, str(shots)],
                       env=env, capture_output=True, text=True, timeout=240)
    print(p.stdout)
    print(f"screenshots: {shots}")
    assert p.returncode == 0, f"e2e failed (screenshots in {shots}):\n{p.stdout}\n{p.stderr}"
    names = sorted(x.name for x in shots.iterdir())
    for want in ("01-services.png", "03-service-web-critical.png", "04-nodes.png",
                 "08-kv-cas-conflict.png", "08b-kv-json.png", "08c-kv-yaml.png", "08d-kv-hcl.png"):
        assert want in names, names
