// Differential test of Gantry's workflow loader against GitHub's own parser
// (@actions/workflow-parser). Generates random workflows from a fixed seed — valid ones and
// mutated ones (unknown keys, wrong types, bad ids, needs cycles, bad cron, bad event filters,
// bad inputs) — parses each with both, and compares accept versus reject. A second set
// exercises GitHub's background-step kinds (background, wait, wait-all, cancel, parallel) and
// `$/` references with the parser's allowBackgroundSteps feature on; there every error GitHub
// reports must also be one of Gantry's, at the same line and column (Gantry may append a hint).
// Gantry's warnings (experimental syntax) are not errors.
//
//   node workflow-diff.mjs --gantry ../../build/gantry [--seed 7] [--count 400]
//                          [--background-count 200] [--verbose]
//
// Exit status: 0 all agree, 1 mismatches, 2 usage error, 77 (skip) when
// @actions/workflow-parser is not installed (npm install here first). See README.md for the
// divergences the generator avoids on purpose.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { register } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

if (!existsSync(new URL("./node_modules/@actions/workflow-parser/package.json", import.meta.url))) {
  console.log("workflow-diff: @actions/workflow-parser is not installed (npm install in tests/oracle); skipped");
  process.exit(77);
}
// The package imports its JSON schema without `with { type: "json" }`, which Node 20 refuses.
register("./json-import-hooks.mjs", import.meta.url);
const { parseWorkflow, convertWorkflowTemplate, NoOperationTraceWriter } = await import(
  "@actions/workflow-parser"
);
const { TemplateContext, TemplateValidationErrors } = await import(
  "@actions/workflow-parser/templates/template-context"
);
const { getWorkflowSchema } = await import("@actions/workflow-parser/workflows/workflow-schema");
const { FeatureFlags } = await import("@actions/expressions/features");

function parseArgs(argv) {
  const opts = { seed: 7, count: 400, backgroundCount: 200, gantry: process.env.GANTRY_BIN || "", verbose: false };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--seed") opts.seed = Number(argv[++i]);
    else if (a === "--count") opts.count = Number(argv[++i]);
    else if (a === "--background-count") opts.backgroundCount = Number(argv[++i]);
    else if (a === "--gantry") opts.gantry = argv[++i];
    else if (a === "--verbose") opts.verbose = true;
    else {
      console.error(`workflow-diff: unknown argument ${a}`);
      process.exit(2);
    }
  }
  if (!opts.gantry || !existsSync(opts.gantry)) {
    console.error(`workflow-diff: gantry binary not found (--gantry PATH or GANTRY_BIN): '${opts.gantry}'`);
    process.exit(2);
  }
  opts.gantry = resolve(opts.gantry);  // gantry lint runs in a scratch repository
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

// ---- Generator: a workflow is built as a JS object, mutated, then written as YAML. ----

function makeGen(random) {
  const int = (n) => Math.floor(random() * n);
  const pick = (xs) => xs[int(xs.length)];
  const chance = (p) => random() < p;
  return { int, pick, chance };
}

const FILTER_EVENTS = {
  push: ["branches", "tags", "paths"],
  pull_request: ["branches", "paths"],
  pull_request_target: ["branches", "paths"],
  workflow_run: ["branches"],
  merge_group: ["branches"],
};
const TYPED_EVENTS = {
  issues: ["opened", "edited", "closed", "labeled"],
  pull_request: ["opened", "synchronize", "reopened", "closed"],
  release: ["published", "created", "released"],
  issue_comment: ["created", "edited", "deleted"],
  check_run: ["created", "completed"],
  workflow_run: ["completed", "requested", "in_progress"],
  watch: ["started"],
  label: ["created", "deleted"],
};
const PLAIN_EVENTS = ["create", "delete", "fork", "gollum", "public", "status", "page_build"];
const CRONS = ["0 0 * * *", "*/15 * * * *", "30 5,17 * * 1-5", "0 12 1 JAN,JUL *", "5 4 * * sun", "5/15 * * * MON-FRI", "0 0 13 * 5"];
const BAD_CRONS = ["61 * * * *", "0 0 * *", "*/0 * * * *", "0 24 * * *", "0 0 32 * *", "0 0 * 13 *", "x * * * *"];

function genOn(g) {
  const kind = g.int(4);
  if (kind === 0) return g.pick(["push", "pull_request", "workflow_dispatch", ...PLAIN_EVENTS]);
  if (kind === 1) return ["push", g.pick(["pull_request", "workflow_dispatch", "fork", "create"])];
  const on = {};
  const events = new Set([g.pick(["push", "pull_request", "issues", "release", "workflow_run"])]);
  if (g.chance(0.4)) events.add(g.pick(Object.keys(TYPED_EVENTS)));
  if (g.chance(0.3)) events.add("schedule");
  if (g.chance(0.3)) events.add("workflow_dispatch");
  if (g.chance(0.2)) events.add(g.pick(PLAIN_EVENTS));
  if (g.chance(0.15)) events.add("repository_dispatch");
  if (g.chance(0.15)) events.add("workflow_call");
  for (const e of events) {
    if (e === "schedule") {
      on.schedule = [{ cron: g.pick(CRONS) }];
      if (g.chance(0.4)) on.schedule.push({ cron: g.pick(CRONS) });
    } else if (e === "repository_dispatch") {
      on.repository_dispatch = { types: [g.pick(["deploy", "my-custom-event", "run_tests"])] };
    } else if (e === "workflow_call") {
      on.workflow_call = {
        inputs: { app: { type: "string", required: true }, debug: { type: "boolean", default: "${{ github.event_name == 'push' }}" } },
        outputs: { url: { description: "where", value: "${{ jobs.build.outputs.url }}" } },
        secrets: { token: { required: true }, optional: null },
      };
    } else if (e === "workflow_dispatch") {
      on.workflow_dispatch = g.chance(0.3) ? null : { inputs: genDispatchInputs(g) };
    } else {
      const config = {};
      for (const f of FILTER_EVENTS[e] || []) {
        if (!g.chance(0.5)) continue;
        // x and x-ignore are never combined: see README.md.
        const key = g.chance(0.7) ? f : `${f}-ignore`;
        config[key] = g.chance(0.5) ? `${f === "paths" ? "src" : "main"}/**` : ["main", "releases/**"];
      }
      if (TYPED_EVENTS[e] && g.chance(0.5)) {
        config.types = g.chance(0.3) ? g.pick(TYPED_EVENTS[e]) : [g.pick(TYPED_EVENTS[e])];
      }
      if (e === "workflow_run") config.workflows = ["CI"];
      on[e] = Object.keys(config).length ? config : null;
    }
  }
  return on;
}

function genDispatchInputs(g) {
  const inputs = {};
  const n = 1 + g.int(3);
  for (let i = 0; i < n; i++) {
    const type = g.pick(["string", "boolean", "number", "choice", "environment"]);
    const input = { description: `input ${i}`, type };
    if (g.chance(0.4)) input.required = g.chance(0.5);
    if (type === "choice") input.options = ["low", "high"];
    if (g.chance(0.5)) {
      input.default = { string: "hello", boolean: true, number: 3, choice: "high", environment: "prod" }[type];
    }
    inputs[`in${i}`] = input;
  }
  return inputs;
}

function genSteps(g) {
  const steps = [];
  const n = 1 + g.int(3);
  for (let i = 0; i < n; i++) {
    const step = g.chance(0.6) ? { run: `echo step ${i}` } : { uses: g.pick(["actions/checkout@v4", "actions/setup-node@v4"]) };
    if (g.chance(0.3)) step.name = `Step ${i}`;
    if (g.chance(0.3)) step.id = `s${i}`;
    if (g.chance(0.2)) step.if = "github.event_name == 'push'";
    if (g.chance(0.2)) step.env = { FOO: "bar" };
    if (step.run && g.chance(0.2)) step.shell = "bash";
    steps.push(step);
  }
  return steps;
}

function genJobs(g) {
  const jobs = {};
  const ids = [];
  const n = 1 + g.int(4);
  for (let i = 0; i < n; i++) {
    const id = g.pick(["build", "test", "lint", "deploy", "package"]) + (i ? `-${i}` : "");
    const job = { "runs-on": g.pick(["ubuntu-latest", ["self-hosted", "linux"]]) };
    if (ids.length && g.chance(0.5)) job.needs = g.chance(0.5) ? g.pick(ids) : [ids[0]];
    if (g.chance(0.2)) job["timeout-minutes"] = 10 + g.int(50);
    if (g.chance(0.2)) job.strategy = { matrix: { os: ["linux", "mac"], node: [18, 20] } };
    if (g.chance(0.2)) job.permissions = { contents: "read" };
    if (g.chance(0.15)) job.env = { CI: "true" };
    job.steps = genSteps(g);
    jobs[id] = job;
    ids.push(id);
  }
  return jobs;
}

// Each mutation breaks the workflow in one way both parsers are expected to reject.
const MUTATIONS = [
  ["unknown root key", (w, g) => { w[g.pick(["job", "enviroment", "permisions"])] = "x"; }],
  ["unknown job key", (w, g) => { firstJob(w)[g.pick(["run-on", "step", "need"])] = "x"; }],
  ["unknown step key", (w, g) => { firstJob(w).steps[0][g.pick(["runs", "with-args", "shel"])] = "x"; }],
  ["steps not a sequence", (w) => { firstJob(w).steps = "echo hi"; }],
  ["runs-on missing", (w) => { delete firstJob(w)["runs-on"]; }],
  ["timeout-minutes not a number", (w) => { firstJob(w)["timeout-minutes"] = "soon"; }],
  ["bad job id", (w, g) => { renameFirstJob(w, g.pick(["1build", "my.job", "job with space"])); }],
  ["needs cycle", (w) => { addJobs(w, { a: { needs: "b" }, b: { needs: "a" } }); }],
  ["needs unknown job", (w) => { firstJob(w).needs = "nowhere"; }],
  ["step run and uses", (w) => { firstJob(w).steps[0] = { run: "echo", uses: "actions/checkout@v4" }; }],
  ["step without run or uses", (w) => { firstJob(w).steps[0] = { name: "nothing" }; }],
  ["unknown event", (w, g) => { w.on = { [g.pick(["pushh", "pull-request", "issue", "cron"])]: null }; }],
  ["bad cron", (w, g) => { w.on = { schedule: [{ cron: g.pick(BAD_CRONS) }] }; }],
  ["schedule without cron", (w) => { w.on = { schedule: [{ timezone: "UTC" }] }; }],
  ["filter not allowed", (w, g) => { w.on = g.pick([{ pull_request: { tags: ["v*"] } }, { issues: { branches: ["main"] } }, { release: { paths: ["a"] } }]); }],
  ["bad activity type", (w, g) => { w.on = g.pick([{ issues: { types: ["created"] } }, { release: { types: ["opened"] } }, { watch: { types: ["starred"] } }]); }],
  ["unknown event key", (w) => { w.on = { push: { branch: ["main"] } }; }],
  ["bad input type", (w) => { w.on = { workflow_dispatch: { inputs: { a: { type: "bool" } } } }; }],
  ["choice without options", (w) => { w.on = { workflow_dispatch: { inputs: { a: { type: "choice" } } } }; }],
  ["call input without type", (w) => { w.on = { workflow_call: { inputs: { a: { description: "x" } } } }; }],
  ["call output without value", (w) => { w.on = { workflow_call: { outputs: { o: { description: "x" } } } }; }],
  ["expression in on", (w) => { w.on = { push: { branches: ["${{ github.ref }}"] } }; }],
  ["bad permission level", (w) => { firstJob(w).permissions = { contents: "admin" }; }],
  ["duplicate step id", (w) => { const j = firstJob(w); j.steps = [{ id: "x", run: "a" }, { id: "x", run: "b" }]; }],
  ["matrix not a mapping", (w) => { firstJob(w).strategy = { matrix: ["a", "b"] }; }],
  ["unknown dispatch key", (w) => { w.on = { workflow_dispatch: { foo: 1 } }; }],
  ["config for a plain event", (w, g) => { w.on = { [g.pick(PLAIN_EVENTS)]: { types: ["created"] } }; }],
  ["paths for workflow_run", (w) => { w.on = { workflow_run: { workflows: ["CI"], paths: ["src/**"] } }; }],
  ["weekday 7", (w) => { w.on = { schedule: [{ cron: "0 0 * * 7" }] }; }],
  ["inputs differing by case", (w) => { w.on = { workflow_dispatch: { inputs: { a: { type: "string" }, A: { type: "string" } } } }; }],
  ["boolean default not a boolean", (w) => { w.on = { workflow_dispatch: { inputs: { a: { type: "boolean", default: "maybe" } } } }; }],
];

const firstJob = (w) => Object.values(w.jobs)[0];
function renameFirstJob(w, id) {
  const [old] = Object.keys(w.jobs);
  const jobs = { [id]: w.jobs[old] };
  for (const [k, v] of Object.entries(w.jobs)) if (k !== old) jobs[k] = v;
  for (const job of Object.values(jobs)) delete job.needs;  // keep the rename the only problem
  w.jobs = jobs;
}
function addJobs(w, extra) {
  for (const [id, partial] of Object.entries(extra)) {
    w.jobs[id] = { ...partial, "runs-on": "ubuntu-latest", steps: [{ run: "echo" }] };
  }
}

// A small YAML writer for the generated shapes (mappings, sequences, scalars).
function scalar(v) {
  if (v === null) return "";
  if (typeof v === "boolean" || typeof v === "number") return String(v);
  if (/^[A-Za-z0-9_./-][A-Za-z0-9_ ./*=,-]*$/.test(v) && !/^(true|false|null|yes|no|on|off|~|\d.*)$/i.test(v) && !/ $/.test(v)) {
    return v;
  }
  return JSON.stringify(v);
}
function toYaml(value, indent = "") {
  if (Array.isArray(value)) {
    return value
      .map((item) => {
        if (item !== null && typeof item === "object" && !Array.isArray(item)) {
          const body = toYaml(item, indent + "  ");
          return `${indent}- ${body.slice(indent.length + 2)}`;
        }
        return `${indent}- ${scalar(item)}\n`;
      })
      .join("");
  }
  let out = "";
  for (const [k, v] of Object.entries(value)) {
    if (v !== null && typeof v === "object" && (Array.isArray(v) ? v.length : Object.keys(v).length)) {
      out += `${indent}${scalar(k)}:\n${toYaml(v, indent + "  ")}`;
    } else if (v !== null && typeof v === "object") {
      out += `${indent}${scalar(k)}: ${Array.isArray(v) ? "[]" : "{}"}\n`;
    } else {
      out += `${indent}${scalar(k)}:${v === null ? "" : " " + scalar(v)}\n`;
    }
  }
  return out;
}

function generate(opts) {
  const random = rng(opts.seed);
  const g = makeGen(random);
  const cases = [];
  for (let i = 0; i < opts.count; i++) {
    const w = {};
    if (g.chance(0.5)) w.name = `Workflow ${i}`;
    w.on = genOn(g);
    if (g.chance(0.2)) w.env = { GLOBAL: "1" };
    if (g.chance(0.15)) w.permissions = g.pick(["read-all", { contents: "read", issues: "write" }]);
    w.jobs = genJobs(g);
    let mutation = "valid";
    if (g.chance(0.5)) {
      const [name, apply] = g.pick(MUTATIONS);
      apply(w, g);
      mutation = name;
    }
    cases.push({ name: `case-${String(i).padStart(4, "0")}.yml`, mutation, yaml: toYaml(w) });
  }
  return cases;
}


// ---- Background-step kinds and `$/` references (parser feature allowBackgroundSteps on) ----

// A called workflow the generated `uses: $/...` jobs name; written beside the cases.
const CALLEE_PATH = ".github/reusable/callee.yml";
const CALLEE_YAML = "on: workflow_call\njobs:\n  inner:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo called\n";

function genForegroundStep(g, i) {
  const step = g.chance(0.6)
    ? { run: `echo step ${i}` }
    : { uses: g.pick(["actions/checkout@v4", "./.github/actions/build", "$/.github/actions/build", "$/tools/lint"]) };
  if (g.chance(0.3)) step.name = `Step ${i}`;
  if (g.chance(0.2)) step.if = "success()";
  if (g.chance(0.2)) step.env = { FOO: "bar" };
  if (step.run && g.chance(0.2)) step["timeout-minutes"] = 5;
  return step;
}

// A valid job's steps: background steps with ids, then waits, cancels and parallel blocks
// that name only ids of earlier steps.
function genBackgroundSteps(g) {
  const steps = [];
  const ids = [];
  const n = 2 + g.int(5);
  for (let i = 0; i < n; i++) {
    const kind = ids.length ? g.int(7) : g.pick([0, 1, 5]);
    if (kind <= 1) {
      const step = genForegroundStep(g, i);
      if (kind === 0 || g.chance(0.5)) step.background = g.chance(0.85);
      if (g.chance(0.8)) {
        step.id = `s${i}`;
        ids.push(step.id);
      }
      steps.push(step);
    } else if (kind === 2) {
      const step = { wait: g.chance(0.5) ? g.pick(ids) : [...new Set([g.pick(ids), g.pick(ids)])] };
      if (g.chance(0.3)) step.name = "Wait for it";
      if (g.chance(0.3)) step.id = `w${i}`;
      if (g.chance(0.2)) step["continue-on-error"] = true;
      steps.push(step);
    } else if (kind === 3) {
      const step = g.chance(0.5) ? { "wait-all": null } : { "wait-all": true };
      if (g.chance(0.3)) step.id = `all${i}`;
      steps.push(step);
    } else if (kind === 4) {
      const step = { cancel: g.pick(ids) };
      if (g.chance(0.3)) step.name = "Stop";
      steps.push(step);
    } else {
      const block = [];
      const m = 1 + g.int(3);
      for (let j = 0; j < m; j++) {
        const inner = genForegroundStep(g, j);
        // A parallel block is its own id scope: ids may repeat those outside it.
        if (g.chance(0.4)) inner.id = g.chance(0.5) ? `p${j}` : `s${j}`;
        block.push(inner);
      }
      steps.push({ parallel: block });
    }
  }
  return steps;
}

// Each mutation breaks a valid background-steps job in one way GitHub rejects.
const BACKGROUND_MUTATIONS = [
  ["wait for an unknown id", (s) => { s.push({ wait: "nowhere" }); }],
  ["wait for a later id", (s) => { s.unshift({ wait: "later" }); s.push({ id: "later", run: "x", background: true }); }],
  ["cancel an unknown id", (s) => { s.push({ cancel: "nowhere" }); }],
  ["wait for itself", (s) => { s.push({ id: "me", wait: ["me"] }); }],
  ["cancel itself", (s) => { s.push({ id: "Me", cancel: "me" }); }],
  ["reserved target id", (s, g) => { s.push(g.pick([{ wait: "__run" }, { cancel: "__wait" }, { wait: ["__x"] }])); }],
  ["wait-all false", (s) => { s.push({ "wait-all": false }); }],
  ["empty wait", (s, g) => { s.push(g.pick([{ wait: "" }, { cancel: "" }, { wait: [""] }])); }],
  ["cancel a list", (s) => { s.unshift({ id: "t", run: "x", background: true }); s.push({ cancel: ["t"] }); }],
  ["background not a boolean", (s, g) => { s.push({ run: "x", background: g.pick(["sometimes", "${{ true }}", 1]) }); }],
  ["wait-all not a boolean", (s) => { s.push({ "wait-all": "yes please" }); }],
  ["extra key on a control step", (s, g) => {
    s.unshift({ id: "t", run: "x", background: true });
    const step = g.pick([{ wait: "t" }, { "wait-all": true }, { cancel: "t" }]);
    step[g.pick(["if", "env", "timeout-minutes", "with", "shell", "working-directory", "background", "run", "uses"])] =
      g.pick(["x", "true"]);
    s.push(step);
  }],
  ["extra key on a parallel step", (s, g) => { s.push({ parallel: [{ run: "x" }], [g.pick(["name", "id", "if", "env"])]: "x" }); }],
  ["nested parallel", (s) => { s.push({ parallel: [{ run: "x" }, { parallel: [{ run: "y" }] }] }); }],
  ["background inside parallel", (s, g) => { s.push({ parallel: [{ run: "x", background: g.chance(0.5) }] }); }],
  ["control step inside parallel", (s, g) => {
    s.unshift({ id: "t", run: "x", background: true });
    s.push({ parallel: [{ run: "x" }, g.pick([{ wait: "t" }, { "wait-all": null }, { cancel: "t" }])] });
  }],
  ["parallel not a sequence", (s) => { s.push({ parallel: "echo hi" }); }],
  ["wait for an id inside a parallel block", (s) => { s.push({ parallel: [{ id: "inner", run: "x" }] }); s.push({ wait: "inner" }); }],
];

function generateBackground(opts) {
  const random = rng(opts.seed ^ 0x5eed);
  const g = makeGen(random);
  const cases = [];
  for (let i = 0; i < opts.backgroundCount; i++) {
    const steps = genBackgroundSteps(g);
    let mutation = "background: valid";
    if (g.chance(0.5)) {
      const [name, apply] = g.pick(BACKGROUND_MUTATIONS);
      apply(steps, g);
      mutation = `background: ${name}`;
    }
    const w = { on: "push", jobs: { build: { "runs-on": "ubuntu-latest", steps } } };
    if (g.chance(0.2)) w.jobs.call = { uses: g.pick([`$/${CALLEE_PATH}`, `./${CALLEE_PATH}`]) };
    cases.push({ name: `background-${String(i).padStart(4, "0")}.yml`, mutation, background: true, yaml: toYaml(w) });
  }
  return cases;
}

// ---- The two parsers ----

// GitHub's errors as "file (Line: L, Col: C): message". Background cases turn on the parser's
// allowBackgroundSteps feature, in the template reader and in the converter.
async function githubErrors(c) {
  const file = `.github/workflows/${c.name}`;
  let parsed;
  let options;
  if (c.background) {
    const featureFlags = new FeatureFlags({ allowBackgroundSteps: true });
    const context = new TemplateContext(new TemplateValidationErrors(), getWorkflowSchema(), new NoOperationTraceWriter());
    context.state.featureFlags = featureFlags;
    parsed = parseWorkflow({ name: file, content: c.yaml }, context);
    options = { featureFlags };
  } else {
    parsed = parseWorkflow({ name: file, content: c.yaml }, new NoOperationTraceWriter());
  }
  const errors = parsed.context.errors.getErrors().map((e) => e.message);
  if (parsed.value) {
    const template = await convertWorkflowTemplate(parsed.context, parsed.value, undefined, options);
    for (const e of template.errors || []) if (!errors.includes(e.Message)) errors.push(e.Message);
  }
  return errors;
}

// True when GitHub's error (with its position) is among Gantry's "L:C: message" lines; Gantry
// may append a hint in parentheses to GitHub's message.
function reportedByGantry(theirs, mine) {
  const m = /\(Line: (\d+), Col: (\d+)\): ([\s\S]*)$/.exec(theirs);
  if (!m) return mine.some((e) => e.endsWith(theirs));
  const prefix = `${m[1]}:${m[2]}: ${m[3]}`;
  return mine.some((e) => e === prefix || e.startsWith(`${prefix} (`));
}

function gantryErrors(opts, cases) {
  const root = mkdtempSync(join(tmpdir(), "gantry-workflow-diff-"));
  try {
    mkdirSync(join(root, ".git"));
    const dir = join(root, ".github", "workflows");
    mkdirSync(dir, { recursive: true });
    for (const c of cases) writeFileSync(join(dir, c.name), c.yaml);
    mkdirSync(join(root, ".github", "reusable"), { recursive: true });
    writeFileSync(join(root, CALLEE_PATH), CALLEE_YAML);
    const run = spawnSync(opts.gantry, ["lint", "--format", "json", dir], { cwd: root, encoding: "utf8", maxBuffer: 1 << 28 });
    if (run.status !== 0 && run.status !== 1) {
      console.error(`workflow-diff: gantry lint failed (${run.status ?? run.signal}): ${run.error ?? run.stderr}`);
      process.exit(2);
    }
    const byFile = new Map(cases.map((c) => [c.name, []]));
    for (const d of JSON.parse(run.stdout || "[]")) {
      const name = d.file.split("/").pop();
      // Warnings (syntax GitHub accepts only behind a feature flag) are not rejections.
      if (byFile.has(name) && d.severity !== "warning") byFile.get(name).push(`${d.line}:${d.column}: ${d.message}`);
    }
    return byFile;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const opts = parseArgs(process.argv);
const cases = [...generate(opts), ...generateBackground(opts)];
const ours = gantryErrors(opts, cases);
let mismatches = 0;
const tally = new Map();
for (const c of cases) {
  const theirs = await githubErrors(c);
  const mine = ours.get(c.name);
  const agree =
    (theirs.length === 0) === (mine.length === 0) &&
    (!c.background || theirs.every((e) => reportedByGantry(e, mine)));
  const t = tally.get(c.mutation) || { total: 0, rejected: 0, agree: 0 };
  t.total++;
  t.rejected += theirs.length ? 1 : 0;
  t.agree += agree ? 1 : 0;
  tally.set(c.mutation, t);
  if (agree && !opts.verbose) continue;
  if (!agree) mismatches++;
  console.log(`${agree ? "agree" : "MISMATCH"} ${c.name} (${c.mutation}): GitHub ${theirs.length ? "rejects" : "accepts"}, Gantry ${mine.length ? "rejects" : "accepts"}`);
  for (const e of theirs) console.log(`  github: ${e}`);
  for (const e of mine) console.log(`  gantry: ${e}`);
  if (!agree) console.log(c.yaml.replace(/^/gm, "  | "));
}
if (opts.verbose) {
  for (const [m, t] of [...tally].sort()) console.log(`  ${m}: ${t.agree}/${t.total} agree, GitHub rejects ${t.rejected}`);
}
const rejected = [...tally.values()].reduce((n, t) => n + t.rejected, 0);
console.log(`workflow-diff: ${cases.length - mismatches} passed, ${mismatches} failed (${cases.length} workflows, seed ${opts.seed}; GitHub rejects ${rejected})`);
process.exit(mismatches ? 1 : 0);
