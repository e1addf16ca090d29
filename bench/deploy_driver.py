#!/usr/bin/env python3
"""Drives a running `gantry server` for bench/deploy.sh (standard library only).

  deploy_driver.py fresh URL TOKEN PROJECT SECRET BARE DIR N
      N pushes one at a time to a project without a group: webhook -> step started (the
      step writes `date +%s%N` to DIR/start-$GITHUB_RUN_ID), the reference the others are
      compared with.
  deploy_driver.py handoff URL TOKEN PROJECT SECRET BARE DIR N
      N times: push A (a `concurrency:` group; its step stamps DIR/start-ID, sleeps, stamps
      DIR/end-ID), push B once A's step runs (B waits `pending`); prints the hand-off, from A's
      step ending to B's step starting: A's job and run completing, B admitted, queued,
      leased and its process started.
  deploy_driver.py approval URL TOKEN PROJECT SECRET BARE DIR N
      N times: push (its job names an environment with a reviewer), wait until the run is
      `waiting`, then POST the approval; prints approval -> step started.
"""
import json, os, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_driver import Conn, new_commit, pct  # noqa: E402


def stamp(path, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with open(path) as f:
                text = f.read().strip()
            if text:
                return int(text)
        except FileNotFoundError:
            pass
        time.sleep(0.001)
    raise SystemExit(f"no stamp {path} within {timeout} s")


def report(name, v):
    print(f"{name} median_ms={pct(v, 50):.2f} p99_ms={pct(v, 99):.2f} "
          f"min_ms={min(v):.2f} max_ms={max(v):.2f}")


def push_one(c, project, secret, bare, i, tag):
    before, sha = new_commit(bare, i)
    runs = c.push(project, secret, before, sha, f"{tag}-{i}-{sha[:8]}")
    if len(runs) != 1:
        raise SystemExit(f"push started {runs}")
    return runs[0]


def fresh(url, token, project, secret, bare, d, n):
    c = Conn(url, token)
    v = []
    for i in range(n):
        t0 = time.time_ns()
        rid = push_one(c, project, secret, bare, i, "fresh")
        v.append((stamp(f"{d}/start-{rid}") - t0) / 1e6)
        c.wait(rid)
    report("fresh", v)


def handoff(url, token, project, secret, bare, d, n):
    c = Conn(url, token)
    v = []
    for i in range(n):
        a = push_one(c, project, secret, bare, 2 * i, "ho")
        stamp(f"{d}/start-{a}")
        b = push_one(c, project, secret, bare, 2 * i + 1, "ho")
        if c.run(b).get("status") != "pending":
            raise SystemExit(f"run {b} is not pending while run {a} holds the group")
        v.append((stamp(f"{d}/start-{b}") - stamp(f"{d}/end-{a}")) / 1e6)
        for rid in (a, b):
            r = c.wait(rid)
            if r.get("conclusion") != "success":
                raise SystemExit(f"run {rid} concluded {r.get('conclusion')}")
    report("handoff", v)


def approval(url, token, project, secret, bare, d, n):
    c = Conn(url, token)
    v = []
    for i in range(n):
        rid = push_one(c, project, secret, bare, i, "appr")
        deadline = time.time() + 30
        while c.run(rid).get("status") != "waiting":
            if time.time() > deadline:
                raise SystemExit(f"run {rid} never waited for its review")
            time.sleep(0.002)
        t0 = time.time_ns()
        status, data = c.req("POST", f"/api/v1/runs/{rid}/approvals",
                             json.dumps({"environment": "production", "approve": True}))
        if status != 200:
            raise SystemExit(f"approval answered {status}: {data!r}")
        v.append((stamp(f"{d}/start-{rid}") - t0) / 1e6)
        r = c.wait(rid)
        if r.get("conclusion") != "success":
            raise SystemExit(f"run {rid} concluded {r.get('conclusion')}")
    report("approval", v)


if __name__ == "__main__":
    mode, a = sys.argv[1], sys.argv[2:]
    {"fresh": fresh, "handoff": handoff, "approval": approval}[mode](
        a[0], a[1], a[2], a[3], a[4], a[5], int(a[6]))
