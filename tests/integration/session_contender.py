"""A leader-election contender in the shape of seed 004 (Consul sessions + acquire).

    session_contender.py HOST NAME KEY STATUS_FILE [TTL] [LOCK_DELAY]

Creates a session with a TTL (raw HTTP: python-consul refuses TTLs under 10 s,
and tests lower `session_ttl_min`), then loops with python-consul: while a
follower it tries `kv.put(KEY, NAME, acquire=session)`; while the leader it
renews the session every TTL/3 and checks it still holds KEY.  Each change of
role is written atomically to STATUS_FILE as one JSON line
{"role": "leader"|"follower", "session": ..., "t": monotonic time}.
"""

import json
import os
import sys
import time

import consul
import requests


def write_status(path, role, session):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(json.dumps({"role": role, "session": session, "t": time.monotonic(),
                            "pid": os.getpid()}))
    os.replace(tmp, path)


def main():
    host, name, key, status = sys.argv[1:5]
    ttl = sys.argv[5] if len(sys.argv) > 5 else "2s"
    lock_delay = sys.argv[6] if len(sys.argv) > 6 else "1s"
    ttl_s = float(ttl.rstrip("s"))
    c = consul.Consul(host=host, port=8500)
    r = requests.put(f"http://{host}:8500/v1/session/create",
                     json={"Name": name, "TTL": ttl, "LockDelay": lock_delay,
                           "Behavior": "release"}, timeout=5)
    r.raise_for_status()
    sid = r.json()["ID"]
    role = "follower"
    write_status(status, role, sid)
    last_renew = time.monotonic()
    while True:
        now = time.monotonic()
        if now - last_renew >= ttl_s / 3:
            c.session.renew(sid)
            last_renew = now
        if role == "follower":
            if c.kv.put(key, name, acquire=sid):
                role = "leader"
                write_status(status, role, sid)
        else:
            _, e = c.kv.get(key)
            if not e or e.get("Session") != sid:
                role = "follower"
                write_status(status, role, sid)
        time.sleep(0.1)


if __name__ == "__main__":
    main()
