#!/usr/bin/env python3
"""Time `cairn agent -dev` from spawn to elected leader, and its idle RSS.

    bench/startup.py [--runs 5] [--addr 127.0.77.11] [--port 8500] [--idle 1.0]
                     [--path /v1/status/leader] [--log FILE] -- CAIRN [agent args...]

Each run spawns the command (the text {run} in an argument becomes the run number,
for fresh data dirs), then polls GET PATH on ADDR:PORT over a raw socket every
~0.5 ms (a refused connection counts as "not yet") until the answer is a 200 whose
body is not empty and not `""` (a leader's address). For etcd, PATH /health
answers 200 only once the member has a leader. The time from just
before the spawn to that answer is the start-to-leader time; it includes exec,
configuration, opening the store, election and the HTTP listener, i.e. what a
user or a supervisor waiting on the API sees. The agent then idles IDLE seconds
and its VmRSS is read from /proc/PID/status. The agent is stopped with SIGTERM
(SIGKILL after 5 s) before the next run.

Prints key=value lines: leader_ms=<each run, comma-separated>, leader_ms_median,
rss_kb=<each run>, rss_kb_median, and failed=<runs that never saw a leader>.
"""
import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import time


def leader(addr, port, path="/v1/status/leader"):
    """One GET of path; True if it answers 200 with a non-empty body."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(0.5)
    try:
        s.connect((addr, port))
        s.sendall(b"GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"
                  % (path.encode(), addr.encode()))
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
            head, sep, body = data.partition(b"\r\n\r\n")
            if sep:
                cl = None
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        cl = int(value.strip())
                if cl is not None and len(body) >= cl:
                    break
        head, _, body = data.partition(b"\r\n\r\n")
        status = head.split(b" ", 2)[1] if head.startswith(b"HTTP/") else b""
        body = body.strip()
        return status == b"200" and body not in (b"", b'""')
    except (OSError, ValueError, IndexError):
        return False
    finally:
        s.close()


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--addr", default="127.0.77.11")
    ap.add_argument("--port", type=int, default=8500)
    ap.add_argument("--idle", type=float, default=1.0)
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("--path", default="/v1/status/leader")
    ap.add_argument("--log", default=os.devnull)
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    if not cmd:
        ap.error("no command")

    times, rss, failed = [], [], 0
    log = open(a.log, "ab")
    for run in range(a.runs):
        if leader(a.addr, a.port, a.path):
            print("startup.py: something already answers on %s:%d" % (a.addr, a.port),
                  file=sys.stderr)
            return 1
        argv = [x.replace("{run}", str(run + 1)) for x in cmd]
        log.write(b"==== run %d: %s\n" % (run + 1, " ".join(argv).encode()))
        log.flush()
        t0 = time.monotonic()
        p = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        ok = False
        try:
            while time.monotonic() - t0 < a.timeout and p.poll() is None:
                if leader(a.addr, a.port, a.path):
                    ok = True
                    break
                time.sleep(0.0005)
            t1 = time.monotonic()
            if ok:
                times.append((t1 - t0) * 1000.0)
                time.sleep(a.idle)
                if p.poll() is None:
                    rss.append(rss_kb(p.pid))
            else:
                failed += 1
        finally:
            stop(p)
        time.sleep(0.2)

    print("leader_ms=%s" % ",".join("%.1f" % t for t in times))
    print("leader_ms_median=%s" % ("%.1f" % statistics.median(times) if times else "n/a"))
    print("rss_kb=%s" % ",".join(str(r) for r in rss))
    print("rss_kb_median=%s" % (int(statistics.median(rss)) if rss else "n/a"))
    print("failed=%d" % failed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
