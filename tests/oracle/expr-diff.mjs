// Differential test of Gantry's expression engine against GitHub's own evaluator
// (@actions/expressions). Generates random expressions from a fixed seed, evaluates each with
// both, and reports every mismatch.
//
//   node expr-diff.mjs --gantry ../../build/gantry [--seed 20240611] [--count 2000] [--verbose]
//
// Exit status: 0 all agree, 1 mismatches, 2 usage error, 77 (skip) when @actions/expressions
// is not installed (run `npm ci` here first). See README.md for the divergences the generator
// avoids on purpose.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

let lib;
try {
  lib = await import("@actions/expressions");
} catch {
  console.log("expr-diff: @actions/expressions is not installed (npm ci in tests/oracle); skipped");
  process.exit(77);
}
const { Lexer, Parser, Evaluator, data } = lib;

function parseArgs(argv) {
  const opts = { seed: 20240611, count: 2000, gantry: process.env.GANTRY_BIN || "", verbose: false };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--seed") opts.seed = Number(argv[++i]);
    else if (a === "--count") opts.count = Number(argv[++i]);
    else if (a === "--gantry") opts.gantry = argv[++i];
    else if (a === "--verbose") opts.verbose = true;
    else if (a === "--expr") opts.exprs = (opts.exprs || []).concat(argv[++i]);
    else {
      console.error(`expr-diff: unknown argument ${a}`);
      process.exit(2);
    }
  }
  if (!opts.gantry || !existsSync(opts.gantry)) {
    console.error(`expr-diff: gantry binary not found (--gantry PATH or GANTRY_BIN): '${opts.gantry}'`);
    process.exit(2);
  }
  return opts;
}

// mulberry32: small, fast, seedable.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// A fixed context resembling a push run. No integer-like keys (JavaScript orders those first).
const CONTEXTS = {
  github: {
    event_name: "push",
    ref: "refs/heads/Main",
    ref_name: "Main",
    sha: "2ce6b095f4cceb616efed52266e3e3c0367ba795",
    repository: "monalisa/Testing",
    run_number: "845",
    run_attempt: 1,
    actor: "MonaLisa",
    workspace: "/home/runner/work/testing",
    event: {
      created: false,
      forced: false,
      head_commit: { id: "2ce6b095", message: "Update main.yml\n\nSigned-off", timestamp: "2022-08-09T12:40:12-05:00" },
      commits: [
        { id: "a1", message: "fix: bug", distinct: true, author: { name: "Mona", username: "monalisa" } },
        { id: "b2", message: "docs", distinct: false, author: { name: "Hubot", username: "hubot" } },
      ],
      pusher: { email: "mona@example.com", name: "monalisa" },
      repository: { id: 117904191, fork: false, stargazers_count: 1, topics: [], language: "Shell", license: null },
      labels: [{ name: "bug" }, { name: "Enhancement" }, { name: "help wanted" }],
    },
  },
  env: { CI: "true", DEBUG: "false", COUNT: "10", EMPTY: "", Path: "/usr/bin", HEX: "0x1F", FLOAT: " 1.5 " },
  matrix: { os: "ubuntu-latest", node: 20, experimental: false, include: ["a", "b"] },
  steps: {
    build: { outcome: "success", conclusion: "success", outputs: { version: "1.2.3", ok: "true" } },
    test: { outcome: "failure", conclusion: "success", outputs: {} },
  },
  needs: {
    lint: { result: "success", outputs: { report: "clean" } },
    unit: { result: "failure", outputs: { coverage: "87.5" } },
  },
  vars: { Region: "eu-west-1", RETRIES: "3" },
  inputs: { dry_run: true, level: 2.5, name: "x" },
};
const CONTEXT_NAMES = Object.keys(CONTEXTS);

const STRINGS = [
  "", "a", "A", "abc", "ABC", "push", "PUSH", "Main", "refs/heads/main", "refs/", "success",
  "failure", "true", "false", "null", "0", "1", " 12 ", "1.5", "-2", "0x10", "0o17", "1e3",
  "NaN", "Infinity", "-Infinity", " ", "bug", "help wanted", "Ünïcödé", "ünïCÖDÉ", "日本", "x y",
  "it''s", "{0}", "{{0}}", "[1,2]", "{\"a\":1}", "ubuntu-latest", "UBUNTU", "hubot", "2.5",
];
const NUMBERS = [
  "0", "1", "-1", "2", "10", "-10", "3.14", "0.5", ".5", "-0.25", "255", "0xff", "0x1F", "0o17",
  "1e3", "1E2", "2.5e-3", "123456", "-0", "NaN", "Infinity", "-Infinity", "+7", "100.125",
];
const PROPS = [
  "event_name", "ref", "REF", "sha", "event", "commits", "author", "name", "username", "message",
  "labels", "outputs", "outcome", "result", "os", "node", "CI", "count", "missing", "id", "topics",
  "head_commit", "repository", "version", "conclusion", "report", "dry_run", "level", "Region",
];
const JSON_TEXTS = [
  "{\"a\": 1, \"b\": [true, null, \"x\"]}", "[1, 2, 3]", "[]", "{}", "\"str\"", "12.5", "true",
  "null", "[{\"name\": \"A\"}, {\"name\": \"b\"}]", "{\"Key\": {\"nested\": [1, \"Two\"]}}",
  "not json", "", " ", "[1,", "{\"a\":1,\"A\":2}",
];
const FORMATS = [
  "{0}", "{0} {1}", "v{0}-{1}-{2}", "{{0}} {0}", "}}{0}{{", "plain", "", "{1}{0}", "{0}{0}",
  "{", "}", "{x}", "{0", "0}", "{2}",
];

function quote(s) {
  return `'${s.replace(/'/g, "''")}'`;
}

function generator(random) {
  const pick = (list) => list[Math.floor(random() * list.length)];
  const chance = (p) => random() < p;

  function literal() {
    switch (Math.floor(random() * 4)) {
      case 0: return pick(["null", "true", "false"]);
      case 1: return pick(NUMBERS);
      default: return quote(pick(STRINGS).replace(/''/g, "'"));
    }
  }

  const recase = (k) => (chance(0.2) ? k.toUpperCase() : k);

  // Mostly walks real paths of CONTEXTS (so lookups find values), sometimes invents them.
  function access(depth) {
    const name = pick(CONTEXT_NAMES);
    let e = recase(name);
    let node = CONTEXTS[name];
    const steps = 1 + Math.floor(random() * 4);
    for (let i = 0; i < steps; i++) {
      const r = random();
      const keys = node && typeof node === "object" && !Array.isArray(node) ? Object.keys(node) : [];
      if (keys.length > 0 && r < 0.5) {
        const key = pick(keys);
        e += chance(0.8) ? "." + recase(key) : `[${quote(recase(key))}]`;
        node = node[key];
      } else if (Array.isArray(node) && r < 0.5) {
        const index = Math.floor(random() * (node.length + 1));
        e += `[${index}]`;
        node = node[index];
      } else if (r < 0.6) {
        e += "." + pick(PROPS);
        node = undefined;
      } else if (r < 0.8) {
        e += chance(0.5) ? ".*" : "[*]";
        node = undefined;
      } else if (r < 0.9) {
        e += `[${pick(["0", "1", "2", "-1", "1.7", "'1'", "null", "true"])}]`;
        node = undefined;
      } else {
        e += `[${expr(depth + 1)}]`;
        node = undefined;
      }
    }
    return e;
  }

  function call(depth) {
    const sub = () => expr(depth + 1);
    switch (Math.floor(random() * 9)) {
      case 0: return `contains(${sub()}, ${sub()})`;
      case 1: return `startsWith(${sub()}, ${sub()})`;
      case 2: return `endsWith(${sub()}, ${sub()})`;
      case 3: {
        const n = Math.floor(random() * 3);
        const args = Array.from({ length: n }, sub);
        return `format(${[quote(pick(FORMATS)), ...args].join(", ")})`;
      }
      case 4: return chance(0.5) ? `join(${sub()})` : `join(${sub()}, ${sub()})`;
      case 5: return `toJSON(${sub()})`;
      case 6: return chance(0.6) ? `fromJSON(${quote(pick(JSON_TEXTS))})` : `fromJSON(${sub()})`;
      case 7: {
        const pairs = 1 + Math.floor(random() * 2);
        const args = [];
        for (let i = 0; i < pairs; i++) args.push(chance(0.8) ? comparison(depth + 1) : sub(), sub());
        args.push(sub());
        return `case(${args.join(", ")})`;
      }
      default: return `${pick(["toJson", "FORMAT", "Contains", "STARTSWITH"])}(${sub()}${chance(0.5) ? ", " + sub() : ""})`;
    }
  }

  function comparison(depth) {
    const op = pick(["==", "!=", "<", "<=", ">", ">="]);
    return `${expr(depth + 1)} ${op} ${expr(depth + 1)}`;
  }

  function expr(depth = 0) {
    if (depth > 3) return chance(0.5) ? literal() : access(depth);
    const r = random();
    if (r < 0.2) return literal();
    if (r < 0.4) return access(depth);
    if (r < 0.6) return call(depth);
    if (r < 0.75) return comparison(depth);
    if (r < 0.85) return `${expr(depth + 1)} ${pick(["&&", "||"])} ${expr(depth + 1)}`;
    if (r < 0.93) return `!${expr(depth + 1)}`;
    if (r < 0.98) return `(${expr(depth + 1)})`;
    // Occasionally malformed input, to compare parse errors.
    return pick(["1 <", "(1", "foo.bar", "a == = b", "'open", "format(", "1 2", "!", "github.", "@x"]);
  }
  return expr;
}

// GitHub's evaluator: returns {ok, kind, value} or {ok:false, error}.
function evaluateGitHub(text, contexts) {
  try {
    const lexed = new Lexer(text).lex();
    const parser = new Parser(lexed.tokens, Object.keys(contexts), []);
    const tree = parser.parse();
    if (!tree) return { ok: true, kind: "Null", value: null };
    const ctx = JSON.parse(JSON.stringify(contexts), data.reviver);
    const result = new Evaluator(tree, ctx).evaluate();
    const kind = ["String", "Array", "Object", "Boolean", "Number", "Object", "Null"][result.kind];
    if (kind === "Number") return { ok: true, kind, value: String(result.value) };
    return { ok: true, kind, value: JSON.parse(JSON.stringify(result, data.replacer)) };
  } catch (e) {
    return { ok: false, error: String(e.message) };
  }
}

function sameJson(a, b) {
  if (typeof a === "number" && typeof b === "number") return a === b;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  }
  if (a && b && typeof a === "object" && typeof b === "object") {
    const ka = Object.keys(a), kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k, i) => k === kb[i] && sameJson(a[k], b[k]));
  }
  return a === b;
}

function agree(github, gantry) {
  if (!github.ok || !gantry.ok) {
    if (github.ok !== gantry.ok) return false;
    // GitHub's parser messages omit the location Gantry appends; compare the start.
    return gantry.error.startsWith(github.error) || github.error.startsWith("could not evaluate index");
  }
  return github.kind === gantry.kind && sameJson(github.value, gantry.value);
}

const opts = parseArgs(process.argv);
const generate = generator(rng(opts.seed));
const cases = opts.exprs || Array.from({ length: opts.count }, () => generate());
const input = cases.map((e) => JSON.stringify({ expr: e, contexts: CONTEXTS })).join("\n") + "\n";
const run = spawnSync(opts.gantry, ["expr", "--batch"], { input, maxBuffer: 1 << 28, encoding: "utf8" });
if (run.status !== 0) {
  console.error(`expr-diff: '${opts.gantry} expr --batch' exited with ${run.status}: ${run.stderr}`);
  process.exit(1);
}
const ours = run.stdout.trim().split("\n").map((l) => JSON.parse(l));
if (ours.length !== cases.length) {
  console.error(`expr-diff: expected ${cases.length} results, got ${ours.length}`);
  process.exit(1);
}

let mismatches = 0;
let errors = 0;
for (let i = 0; i < cases.length; i++) {
  const github = evaluateGitHub(cases[i], CONTEXTS);
  if (!github.ok) errors++;
  if (agree(github, ours[i])) {
    if (opts.verbose) console.log(`ok   ${cases[i]}`);
    continue;
  }
  mismatches++;
  console.log(`MISMATCH ${cases[i]}\n  github: ${JSON.stringify(github)}\n  gantry: ${JSON.stringify(ours[i])}`);
}
console.log(`expr-diff: seed ${opts.seed}: ${cases.length} expressions (${errors} errors on GitHub's side), ${mismatches} mismatches`);
process.exit(mismatches === 0 ? 0 : 1);
