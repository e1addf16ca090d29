#!/usr/bin/env python3
"""Drives a running `gantry server` for bench/server.sh (standard library only).

  server_driver.py latency URL TOKEN PROJECT SECRET BARE STAMP N
      N pushes one at a time (a new commit each, a signed GitHub push payload): prints the
      webhook -> first step started latency (from just before the POST to the step's
      `date +%s%N`) and webhook -> run completed (the end of the run's event stream).
  server_driver.py throughput URL TOKEN PROJECT SECRET BARE N CLIENTS
      N pushes of one new commit (distinct delivery ids) sent by CLIENTS connections at once;
      waits until every run completed (polled every 5 ms); prints runs/s from the first POST
      to the last completion seen.
  server_driver.py spawns N CLIENTS
      the physical limit of no-op runs/s: N `bash -e` of a script running `true` (what each
      no-op run's step is), CLIENTS at a time, started from here; prints processes/s.
  server_driver.py floor STAMP N
      the same step without a server: `bash -e` of a script running `date +%s%N > STAMP`,
      started N times from here; prints the median from before the start to the stamp (the
      part of "webhook -> step started" that is the step's own shell and `date` starting).
"""
import hashlib, hmac, http.client, json, os, subprocess, sys, threading, time, urllib.parse

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
        self.url = url
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

    def wait(self, rid):
        """Follows the run's events (server-sent) until it completes; returns its last state.
        A blocking read, so the driver takes no CPU from the server while it waits."""
        u = urllib.parse.urlparse(self.url)
        sse = http.client.HTTPConnection(u.hostname, u.port)
        sse.request("GET", f"/api/v1/runs/{rid}/events", headers=self.auth)
        r = sse.getresponse()
        if r.status != 200:
            raise SystemExit(f"GET run {rid} events answered {r.status}")
        ended = False
        while True:
            line = r.fp.readline()
            if not line:
                raise SystemExit(f"run {rid}: the event stream ended before the run")
            if line.startswith(b"event: end"):
                ended = True
            elif ended and line.startswith(b"data: "):
                sse.close()
                return json.loads(line[6:])

    def run(self, rid):
        status, data = self.req("GET", f"/api/v1/runs/{rid}")
        if status != 200:
            raise SystemExit(f"GET run {rid} answered {status}: {data!r}")
        return json.loads(data)


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
        r = c.wait(runs[0])
        t2 = time.time_ns()
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
    in_parallel(send, per)
    t_queued = time.time_ns()
    c = Conn(url, token)
    failed = 0
    for rid in sorted(ids):
        while True:
            r = c.run(rid)
            if r["status"] == "completed":
                break
            time.sleep(0.005)
        failed += r.get("conclusion") != "success"
    elapsed = (time.time_ns() - t0) / 1e9
    print(f"runs={len(ids)} failed={failed} queued_s={(t_queued - t0) / 1e9:.2f} "
          f"all_completed_s={elapsed:.2f} runs_per_s={len(ids) / elapsed:.1f}")


def in_parallel(work, parts):
    """Runs work(part) for each of `parts` on a thread of its own; waits for all."""
    threads = [threading.Thread(target=work, args=(p,)) for p in parts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def step_script(text):
    """A step's script file (the caller removes it): `bash -e` runs it as the executor would."""
    import tempfile
    with tempfile.NamedTemporaryFile("w", suffix=".sh", delete=False) as f:
        f.write(text)
    return f.name


def floor(stamp, n):
    script = step_script(f"date +%s%N > {stamp}\n")
    v = []
    for _ in range(n):
        t0 = time.time_ns()
        subprocess.run(["bash", "-e", script], check=True)
        with open(stamp) as s:
            v.append((int(s.read().strip()) - t0) / 1e6)
    os.unlink(script)
    print(f"floor median_ms={pct(v, 50):.2f} p99_ms={pct(v, 99):.2f} min_ms={min(v):.2f}")


def spawns(n, clients):
    script = step_script("true\n")

    def run(count):
        for _ in range(count):
            subprocess.run(["bash", "-e", script], check=True)

    t0 = time.time_ns()
    in_parallel(run, [n // clients + (k < n % clients) for k in range(clients)])
    elapsed = (time.time_ns() - t0) / 1e9
    os.unlink(script)
    print(f"processes={n} clients={clients} elapsed_s={elapsed:.2f} per_s={n / elapsed:.1f}")


if __name__ == "__main__":
    mode, a = sys.argv[1], sys.argv[2:]
    if mode == "spawns":
        spawns(int(a[0]), int(a[1]))
    elif mode == "floor":
        floor(a[0], int(a[1]))
    elif mode == "latency":
        latency(a[0], a[1], a[2], a[3], a[4], a[5], int(a[6]))
    else:
        throughput(a[0], a[1], a[2], a[3], a[4], int(a[5]), int(a[6]))
