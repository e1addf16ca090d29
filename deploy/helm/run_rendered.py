#!/usr/bin/env python3
"""Runs the containers a render describes, as local processes of the real `gantry` binary.

Without a cluster, this is how the chart's commands and environment meet the real program:
from a render (`helm template` with executor.enabled), it
  1. runs the API pod's init container (the server key copied to a private file) and then
     `gantry server` with exactly the API container's plain env values, and waits for the
     readiness probe's path to answer 200;
  2. runs the admin hook Job's script with the admin credentials of the render's Secret: the
     admin is signed up; run again, it succeeds without signing up anyone;
  3. logs in as that admin, creates a registration token, and runs the executor container's
     script with its env: it registers (name, labels, capacity from the env), shows up online
     with those labels, and drains on SIGTERM (exit status 0).
Paths of the pods (/var/lib/gantry, /run/gantry/key, /tmp…) are mapped into a temporary
directory, the listen address to a free loopback port, image commands `gantry` to GANTRY_BIN.

Usage: run_rendered.py RENDER.yaml   (GANTRY_BIN: the gantry binary). Exit 0 when all works.
"""

import base64
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import yaml


def fail(message):
    sys.exit(f"run_rendered.py: {message}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def find(docs, kind, suffix):
    for d in docs:
        if d.get("kind") == kind and d["metadata"]["name"].endswith(suffix):
            return d
    fail(f"no {kind} named *{suffix} in the render")


def container(doc, name, init=False):
    pod = doc["spec"]["template"]["spec"]
    for c in pod.get("initContainers" if init else "containers") or []:
        if c["name"] == name:
            return c
    fail(f"no container {name}")


class Mapper:
    """Maps the pods' paths and addresses onto this machine."""

    def __init__(self, root, port, internal_url):
        self.pairs = [(internal_url, f"http://127.0.0.1:{port}"),
                      ("0.0.0.0:8080", f"127.0.0.1:{port}")]
        for path in ("/var/lib/gantry-storage", "/var/lib/gantry-executor", "/var/lib/gantry",
                     "/run/gantry", "/tmp"):
            local = os.path.join(root, path.strip("/").replace("/", "_"))
            os.makedirs(local, exist_ok=True)
            self.pairs.append((path, local))

    def __call__(self, text):
        # One pass, longest first: a mapped path (under /tmp) is never mapped again.
        keys = sorted((k for k, _ in self.pairs), key=len, reverse=True)
        table = dict(self.pairs)
        return re.sub("|".join(re.escape(k) for k in keys), lambda m: table[m.group(0)], text)


def env_of(c, mapper, extra):
    env = {"PATH": os.environ["PATH_WITH_GANTRY"]}
    for e in c.get("env") or []:
        if "value" in e:
            env[e["name"]] = mapper(e["value"])
    env.update(extra)
    return env


def http(url, data=None, token=None):
    req = urllib.request.Request(url, data=json.dumps(data).encode() if data else None)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=5) as r:
        return r.status, json.loads(r.read() or b"null")


def main():
    docs = [d for d in yaml.safe_load_all(open(sys.argv[1], encoding="utf-8")) if d]
    gantry = os.environ.get("GANTRY_BIN")
    if not gantry or not os.access(gantry, os.X_OK):
        fail("GANTRY_BIN must name the gantry binary")
    root = tempfile.mkdtemp(prefix="gantry-helm-run.")
    bindir = os.path.join(root, "bin")
    os.makedirs(bindir)
    os.symlink(os.path.abspath(gantry), os.path.join(bindir, "gantry"))
    os.environ["PATH_WITH_GANTRY"] = f"{bindir}:/usr/bin:/bin"
    port = free_port()
    api = find(docs, "Deployment", "-api")
    executor = find(docs, "Deployment", "-executor")
    exe_url = next(e["value"] for e in container(executor, "executor")["env"]
                   if e["name"] == "GANTRY_EXECUTOR_URL")
    mapper = Mapper(root, port, exe_url)
    secret = find(docs, "Secret", "")
    data = {k: base64.b64decode(v) for k, v in secret["data"].items()}
    procs = []
    try:
        # 1. The key Secret as a volume (group-readable, as under fsGroup), the init container,
        # then the server.
        key_dir = mapper("/run/gantry/key-secret")
        os.makedirs(key_dir, exist_ok=True)
        with open(os.path.join(key_dir, "server.key"), "wb") as f:
            f.write(data["server-key"])
        os.chmod(os.path.join(key_dir, "server.key"), 0o440)
        os.makedirs(mapper("/run/gantry/key"), exist_ok=True)
        init = container(api, "server-key", init=True)
        subprocess.run([mapper(a) for a in init["command"]], check=True,
                       env=env_of(init, mapper, {}))
        c = container(api, "api")
        log = open(os.path.join(root, "server.log"), "w")
        procs.append(subprocess.Popen(c["command"], env=env_of(c, mapper, {}), stdout=log,
                                      stderr=subprocess.STDOUT))
        ready = f"http://127.0.0.1:{port}{c['readinessProbe']['httpGet']['path']}"
        for _ in range(100):
            try:
                if http(ready)[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        else:
            fail(f"the server never answered {ready}: {open(log.name).read()}")
        health = http(f"http://127.0.0.1:{port}{c['livenessProbe']['httpGet']['path']}")
        print(f"server ready on port {port}; {c['livenessProbe']['httpGet']['path']}: {health[1]}")

        # 2. The admin Job, twice.
        job = find(docs, "Job", "-admin")
        jc = container(job, "signup")
        creds = {"ADMIN_USERNAME": data["admin-username"].decode(),
                 "ADMIN_PASSWORD": data["admin-password"].decode()}
        for want in ("created", "exists already"):
            out = subprocess.run([mapper(a) for a in jc["command"]], capture_output=True,
                                 text=True, timeout=60, env=env_of(jc, mapper, creds))
            if out.returncode != 0 or want not in out.stdout:
                fail(f"admin Job: want '{want}', got {out.returncode}: {out.stdout}{out.stderr}")
            print(f"admin Job: {out.stdout.strip()}")
        base = f"http://127.0.0.1:{port}"
        _, login = http(f"{base}/api/v1/auth/login",
                        {"username": creds["ADMIN_USERNAME"], "password": creds["ADMIN_PASSWORD"]})
        token = login["token"]
        _, reg = http(f"{base}/api/v1/executors/registration-tokens", {"uses": 1}, token)

        # 3. The executor's script with its env, then SIGTERM.
        ec = container(executor, "executor")
        pod_name = "gantry-executor-5d9c7b-x2x4q"
        env = env_of(ec, mapper, {"GANTRY_EXECUTOR_REGISTRATION_TOKEN": reg["token"],
                                  "GANTRY_EXECUTOR_NAME": pod_name})
        exe_log = open(os.path.join(root, "executor.log"), "w")
        proc = subprocess.Popen([mapper(a) for a in ec["command"]], env=env, stdout=exe_log,
                                stderr=subprocess.STDOUT)
        procs.append(proc)
        labels = [x for x in env.get("GANTRY_EXECUTOR_LABELS", "").split(",") if x]
        for _ in range(100):
            _, listing = http(f"{base}/api/v1/executors", token=token)
            online = [x for x in listing["executors"]
                      if x["name"] == pod_name and x["state"] == "online"]
            if online:
                break
            time.sleep(0.1)
        else:
            fail(f"the executor never came online: {open(exe_log.name).read()}")
        missing = [x for x in labels if x not in online[0]["labels"]]
        if missing or online[0]["capacity"] != int(env["GANTRY_EXECUTOR_CAPACITY"]):
            fail(f"executor registered with {online[0]}, want labels {labels} and capacity "
                 f"{env['GANTRY_EXECUTOR_CAPACITY']}")
        print(f"executor '{pod_name}' online with labels {online[0]['labels']}, "
              f"capacity {online[0]['capacity']}")
        proc.terminate()
        if proc.wait(timeout=30) != 0:
            fail(f"the executor exited with {proc.returncode} on SIGTERM, want 0 (drained)")
        print("executor drained on SIGTERM (exit 0)")
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
