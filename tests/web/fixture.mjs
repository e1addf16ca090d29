// The world the browser tests run in: a real `gantry server` (its embedded executor runs the
// jobs on this host), a git repository with a bare remote, and webhook pushes signed as
// GitHub signs them. Nothing here is a fake.
import { spawn, execFileSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const root = resolve(here, '../..');

/** Starts `gantry server` on a free loopback port, with `extra` arguments; resolves to
 * { url, stop(), dir }. */
export async function startServer(extra = []) {
  const bin = process.env.GANTRY_BIN ?? join(root, 'build/gantry');
  const webDir = process.env.GANTRY_WEB_DIR ?? join(root, 'web/dist');
  if (!existsSync(bin)) throw new Error(`no gantry binary at ${bin} (set GANTRY_BIN)`);
  if (!existsSync(join(webDir, 'index.html'))) {
    throw new Error(`no built UI at ${webDir} (run make web, or set GANTRY_WEB_DIR)`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'gantry-web-e2e-'));
  const args = ['server', '--listen', '127.0.0.1:0', '--data-dir', join(dir, 'data'),
    '--web-dir', webDir, '--login-attempts', '1000', '--executor-capacity', '4', ...extra];
  const proc = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const url = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error('the server did not start in 30 s:\n' + log)), 30000);
    proc.stderr.on('data', (d) => {
      log += d;
      const m = /listening on (http\S+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        ok(m[1]);
      }
    });
    proc.on('exit', (code) => fail(new Error(`the server exited (${code}):\n${log}`)));
  });
  return {
    url,
    dir,
    log: () => log,
    async stop(keep) {
      proc.kill('SIGTERM');
      await new Promise((ok) => (proc.exitCode !== null ? ok() : proc.on('exit', ok)));
      if (!keep) rmSync(dir, { recursive: true, force: true });
    },
  };
}

function git(cwd, ...args) {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 'Alice', GIT_AUTHOR_EMAIL: 'a@example.org',
      GIT_COMMITTER_NAME: 'Alice', GIT_COMMITTER_EMAIL: 'a@example.org' },
  }).trim();
}

/** A working copy with a bare remote the server mirrors. */
export class Repo {
  constructor(base) {
    this.remote = join(base, 'remote.git');
    this.work = join(base, 'work');
    mkdirSync(this.work, { recursive: true });
    git(base, 'init', '-q', '--bare', '-b', 'main', this.remote);
    git(this.work, 'init', '-q', '-b', 'main');
    git(this.work, 'remote', 'add', 'origin', this.remote);
  }
  write(path, text) {
    const p = join(this.work, path);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, text);
  }
  /** Commits everything and pushes main; returns the sha. */
  commit(message) {
    git(this.work, 'add', '-A');
    git(this.work, 'commit', '-q', '--allow-empty', '-m', message);
    git(this.work, 'push', '-q', 'origin', 'HEAD:refs/heads/main');
    return git(this.work, 'rev-parse', 'HEAD');
  }
}

/** Sends a GitHub `push` webhook for `sha`, signed with the project's secret. */
export async function pushHook(url, project, secret, sha, before = '0'.repeat(40)) {
  const body = JSON.stringify({
    ref: 'refs/heads/main',
    before,
    after: sha,
    head_commit: { id: sha, message: 'a change' },
    sender: { login: 'alice' },
  });
  const sig = 'sha256=' + createHmac('sha256', secret).update(body).digest('hex');
  const r = await fetch(`${url}/api/v1/hooks/${project}`, {
    method: 'POST',
    body,
    headers: {
      'Content-Type': 'application/json',
      'X-GitHub-Event': 'push',
      'X-GitHub-Delivery': randomBytes(8).toString('hex'),
      'X-Hub-Signature-256': sig,
    },
  });
  if (r.status !== 202) throw new Error(`webhook: ${r.status} ${await r.text()}`);
  return (await r.json()).runs;
}
