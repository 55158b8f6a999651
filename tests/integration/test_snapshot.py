"""GET /v1/snapshot, `cairn snapshot save` and `cairn snapshot inspect`.

The archive is cairn's own (src/state/archive.h), not Consul's gzipped tar:
"CRNA", version, index, term, unix ms, state length, the store snapshot
("CRNS"...), FNV-1a 64 trailer. What follows Consul: X-Consul-Index on the
reply, "Saved and verified snapshot to index N", the inspect table
(ID = term-index-ms, Size, Index, Term, Version), and the argument errors.
Restore (PUT) through Raft is tested in test_operator.py.
"""

import re
import struct

from conftest import unique


def header(body):
    magic, ver, index, term, ms, n = struct.unpack_from("<4sIQQQQ", body)
    return magic, ver, index, term, ms, n


def test_save_http(agent):
    k = unique("snap")
    agent.kv_put(k, b"snapshot-value-" + k.encode())
    idx = int(agent.get(f"/v1/kv/{k}").headers["X-Consul-Index"])
    r = agent.get("/v1/snapshot")
    assert r.status_code == 200
    body = r.content
    magic, ver, index, term, ms, n = header(body)
    assert magic == b"CRNA" and ver == 1
    assert index >= idx
    assert int(r.headers["X-Consul-Index"]) == index
    assert term >= 1 and ms > 0
    assert len(body) == 40 + n + 8
    assert body[40:44] == b"CRNS"
    assert (b"snapshot-value-" + k.encode()) in body


def test_put_bad_archive(agent):
    # restore (PUT) is tested on a cluster in test_operator.py; here: a body
    # that is no archive is refused before anything is proposed
    r = agent.put("/v1/snapshot", data=b"x")
    assert r.status_code == 500 and "failed to read snapshot file" in r.text


def test_cli_save_inspect(agent, tmp_path):
    k = unique("snap")
    agent.kv_put(k, "v")
    f = tmp_path / "backup.snap"
    p = agent.cli("snapshot", "save", f)
    assert p.returncode == 0, p.stderr
    m = re.fullmatch(r"Saved and verified snapshot to index (\d+)\n", p.stdout.decode())
    assert m, p.stdout
    index = int(m.group(1))
    data = f.read_bytes()
    assert header(data)[2] == index
    assert not (tmp_path / "backup.snap.part").exists()

    p = agent.cli("snapshot", "inspect", f)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.decode().splitlines()
    assert [l[:14] for l in lines] == [" ID           ", " Size         ", " Index        ",
                                       " Term         ", " Version      "]
    vals = [l[14:] for l in lines]
    _, _, idx, term, ms, n = header(data)
    assert vals == [f"{term}-{idx}-{ms}", str(n), str(idx), str(term), "1"]


def test_cli_errors(agent, tmp_path):
    p = agent.cli("snapshot", "save")
    assert (p.returncode, p.stderr) == (1, b"Missing FILE argument\n")
    p = agent.cli("snapshot", "save", "a", "b")
    assert (p.returncode, p.stderr) == (1, b"Too many arguments (expected 1, got 2)\n")
    p = agent.cli("snapshot", "inspect", tmp_path / "nope.snap")
    assert p.returncode == 1
    assert p.stderr.decode() == ("Error opening snapshot file: open "
                                 f"{tmp_path / 'nope.snap'}: no such file or directory\n")
    f = tmp_path / "bad.snap"
    agent.cli("snapshot", "save", f)
    data = bytearray(f.read_bytes())
    data[50] ^= 0xFF
    f.write_bytes(bytes(data))
    p = agent.cli("snapshot", "inspect", f)
    assert p.returncode == 1
    assert p.stderr.decode() == "Error extracting snapshot data: snapshot archive checksum mismatch\n"
    p = agent.cli("snapshot", "save", tmp_path / "x.snap",
                  env={"CONSUL_HTTP_ADDR": "127.0.0.1:1"})
    assert p.returncode == 1
    assert p.stderr.decode().startswith('Error saving snapshot: Get "http://127.0.0.1:1/v1/snapshot"')


def test_restore_wakes_blocking_queries(agents):
    """A blocking read parked at an index the restore takes the store below
    answers at once (Consul abandons its state store), instead of waiting out
    its wait for an index that may never come back."""
    import threading
    import time
    a = agents()
    a.kv_put("rw/k", "old")
    snap = a.get("/v1/snapshot").content
    for i in range(5):
        a.kv_put(f"rw/more{i}", "x")
    idx = int(a.get("/v1/kv/rw/k").headers["X-Consul-Index"])
    out = {}

    def park():
        t0 = time.monotonic()
        r = a.get("/v1/kv/rw/k", params={"index": idx, "wait": "30s"}, timeout=40)
        out["took"], out["status"] = time.monotonic() - t0, r.status_code
    th = threading.Thread(target=park)
    th.start()
    time.sleep(0.5)
    r = a.put("/v1/snapshot", data=snap)
    assert r.status_code == 200, r.text
    th.join(35)
    assert out["status"] == 200 and out["took"] < 5, out
    assert a.get("/v1/kv/rw/more0").status_code == 404  # the restore took effect
