"""`consul keygen` through build/cairn and its `consul` symlink.

Consul prints one gossip encryption key, 32 random bytes in standard base64 with
padding (44 characters), followed by a newline, on stdout, and exits 0; the key
is accepted as the `encrypt` config value. No agent is needed.
"""

import base64
import re

import pytest

from conftest import BIN, CONSUL_BIN, run_cli

B64 = re.compile(r"^[A-Za-z0-9+/]{43}=$")


@pytest.fixture(scope="module", params=["cairn", "consul"])
def binary(request):
    return BIN if request.param == "cairn" else CONSUL_BIN


def keygen(binary):
    p = run_cli("keygen", binary=binary)
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    assert p.stderr == b""
    out = p.stdout.decode()
    assert out.endswith("\n") and out.count("\n") == 1
    return out[:-1]


def test_prints_32_bytes_base64(binary):
    key = keygen(binary)
    assert len(key) == 44
    assert B64.match(key), key
    assert len(base64.b64decode(key, validate=True)) == 32


def test_two_runs_differ(binary):
    keys = {keygen(binary) for _ in range(5)}
    assert len(keys) == 5


def test_help(binary):
    p = run_cli("keygen", "-h", binary=binary)
    assert p.returncode == 0
    text = (p.stdout + p.stderr).decode()
    assert text.startswith("Usage: consul keygen\n")
    assert "Generates a new encryption key" in text


def test_listed_in_root_help(binary):
    p = run_cli("-h", binary=binary)
    text = (p.stdout + p.stderr).decode()
    assert re.search(r"^    keygen\s+Generates a new encryption key$", text, re.M), text


def test_unknown_flag(binary):
    p = run_cli("keygen", "-bogus", binary=binary)
    assert p.returncode == 1
    assert b"flag provided but not defined: -bogus" in p.stderr
    assert p.stdout == b""


def test_key_is_a_valid_encrypt_value(binary, tmp_path):
    key = keygen(binary)
    cfg = tmp_path / "encrypt.json"
    cfg.write_text('{"encrypt": "%s", "data_dir": "%s"}' % (key, tmp_path / "data"))
    p = run_cli("validate", str(cfg), binary=binary)
    assert p.returncode == 0, (p.stdout + p.stderr).decode(errors="replace")
