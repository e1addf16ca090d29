#!/usr/bin/env python3
"""Drives a running `gantry server` for bench/server.sh (standard library only).

  server_driver.py latency URL TOKEN PROJECT SECRET BARE STAMP N
      N pushes one at a time (a new commit each, a signed GitHub push payload): prints the
      webhook -> first step started latency (from just before the POST to the step's
      `date +%s%N`) and webhook -> run completed (GET /api/v1/runs/{id} polled every 0.5 ms).
  server_driver.py throughput URL TOKEN PROJECT SECRET BARE N CLIENTS
      N pushes of one new commit (distinct delivery ids) sent by CLIENTS connections at once;
      waits until every run completed; prints runs/s from the first POST to the last
      completed_at.
"""
import hashlib, hmac, http.client, json, subprocess, sys, threading, time, urllib.parse

ZERO = "0" * 40


def git(bare, *args):
    return subprocess.run(["git", "-C", bare, *args], check=True, capture_output=True,
                          text=True).stdout.strip()


def new_commit(bare, n):
    """A new commit on main in the bare repository (what a `git push` leaves there)."""
    head = git(bare, "rev-parse", "refs/heads/main")
    tree = git(bare, "rev-parse", "refs/heads/main^{tree}")
    env = {"GIT_AUTHOR_NAME": "Alice", "GIT_AUTHOR_EMAIL": "a@x.org",
           "GIT_COMMITTER_NAME": "Alice", "GIT_COMMITTER_EMAIL": "a@x.org", "PATH": "/usr/bin:/bin"}
    sha = subprocess.run(["git", "-C", bare, "commit-tree", tree, "-p", head, "-m", f"change {n}"],
                         check=True, capture_output=True, text=True, env=env).stdout.strip()
    git(bare, "update-ref", "refs/heads/main", sha, head)
    return head, sha


class Conn:
    def __init__(self, url, token):
        u = urllib.parse.urlparse(url)
        self.c = http.client.HTTPConnection(u.hostname, u.port)
        self.auth = {"Authorization": "Bearer " + token}

    def req(self, method, path, body=None, headers=None):
        h = dict(self.auth)
        h.update(headers or {})
        self.c.request(method, path, body=body, headers=h)
        r = self.c.getresponse()
        data = r.read()
        return r.status, data

    def push(self, project, secret, before, sha, delivery):
        body = json.dumps({"ref": "refs/heads/main", "before": before, "after": sha,
                           "repository": {"full_name": project},
                           "head_commit": {"id": sha, "message": "a change"},
                           "sender": {"login": "alice"}}).encode()
        sig = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        status, data = self.req("POST", "/api/v1/hooks/" + project, body,
                                {"X-GitHub-Event": "push", "X-GitHub-Delivery": delivery,
                                 "X-Hub-Signature-256": sig, "Content-Type": "application/json"})
        if status != 202:
            raise SystemExit(f"webhook answered {status}: {data!r}")
        return json.loads(data)["runs"]

    def run(self, rid):
        status, data = self.req("GET", f"/api/v1/runs/{rid}")
        if status != 200:
            raise SystemExit(f"GET run {rid} answered {status}: {data!r}")
        return json.loads(data)


def rfc3339_ms(text):
    import datetime
    t = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return int(t.timestamp() * 1000)


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def latency(url, token, project, secret, bare, stamp, n):
    c = Conn(url, token)
    started, completed = [], []
    for i in range(n):
        before, sha = new_commit(bare, i)
        open(stamp, "w").close()
        t0 = time.time_ns()
        runs = c.push(project, secret, before, sha, f"lat-{i}-{sha[:8]}")
        if len(runs) != 1:
            raise SystemExit(f"push started {runs}")
        while True:
            r = c.run(runs[0])
            if r["status"] == "completed":
                t2 = time.time_ns()
                break
            time.sleep(0.0005)
        if r.get("conclusion") != "success":
            raise SystemExit(f"run {runs[0]} concluded {r.get('conclusion')}: {json.dumps(r)[:2000]}")
        with open(stamp) as f:
            t1 = int(f.read().strip())
        started.append((t1 - t0) / 1e6)
        completed.append((t2 - t0) / 1e6)
    for name, v in (("started", started), ("completed", completed)):
        print(f"{name} median_ms={pct(v, 50):.2f} p99_ms={pct(v, 99):.2f} "
              f"min_ms={min(v):.2f} max_ms={max(v):.2f}")


def throughput(url, token, project, secret, bare, n, clients):
    before, sha = new_commit(bare, "tp")
    ids, lock = [], threading.Lock()
    per = [list(range(k, n, clients)) for k in range(clients)]

    def send(indices):
        c = Conn(url, token)
        for i in indices:
            got = c.push(project, secret, before, sha, f"tp-{sha[:8]}-{i}")
            with lock:
                ids.extend(got)

    t0 = time.time_ns()
    threads = [threading.Thread(target=send, args=(p,)) for p in per]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    t_queued = time.time_ns()
    c = Conn(url, token)
    last_ms, failed = 0, 0
    for rid in sorted(ids):
        while True:
            r = c.run(rid)
            if r["status"] == "completed":
                break
            time.sleep(0.02)
        failed += r.get("conclusion") != "success"
        last_ms = max(last_ms, rfc3339_ms(r["completed_at"]))
    elapsed = last_ms / 1e3 - t0 / 1e9
    print(f"runs={len(ids)} failed={failed} queued_s={(t_queued - t0) / 1e9:.2f} "
          f"all_completed_s={elapsed:.2f} runs_per_s={len(ids) / elapsed:.1f}")


if __name__ == "__main__":
    mode, a = sys.argv[1], sys.argv[2:]
    if mode == "latency":
        latency(a[0], a[1], a[2], a[3], a[4], a[5], int(a[6]))
    else:
        throughput(a[0], a[1], a[2], a[3], a[4], int(a[5]), int(a[6]))
