// Expression engine throughput: parsing an `if:` condition, and evaluating parsed conditions
// against a realistic push-event github context (a few dozen fields, nested payload).
//   build/bench/expr_bench --benchmark_counters_tabular=true
// `allocs/eval` counts heap allocations per evaluation (operator new is counted here).
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "expr/expression.h"

namespace {
std::atomic<long> g_allocations{0};
}  // namespace

// The replacement operators below pair malloc with free; GCC cannot see that through inlining.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

using gantry::expr::EvalContext;
using gantry::expr::Expression;
using gantry::expr::Value;

constexpr const char* kCondition =
    "github.event_name == 'push' && startsWith(github.ref, 'refs/tags/')";

const char* kContexts = R"({
  "github": {
    "token": "***", "job": "build", "ref": "refs/tags/v1.4.2", "ref_name": "v1.4.2",
    "ref_type": "tag", "ref_protected": false, "sha": "2ce6b095f4cceb616efed52266e3e3c0367ba795",
    "repository": "monalisa/testing", "repository_id": "117904191",
    "repository_owner": "monalisa", "repository_owner_id": "12102068",
    "repositoryUrl": "git://github.com/monalisa/testing.git", "run_id": "2827197126",
    "run_number": "845", "run_attempt": "1", "retention_days": "90", "actor": "monalisa",
    "actor_id": "1", "triggering_actor": "monalisa", "workflow": "CI",
    "workflow_ref": "monalisa/testing/.github/workflows/ci.yml@refs/tags/v1.4.2",
    "head_ref": "", "base_ref": "", "event_name": "push", "server_url": "https://github.com",
    "api_url": "https://api.github.com", "graphql_url": "https://api.github.com/graphql",
    "workspace": "/home/runner/work/testing/testing", "action": "__run_2",
    "event_path": "/home/runner/work/_temp/_github_workflow/event.json",
    "event": {
      "after": "2ce6b095f4cceb616efed52266e3e3c0367ba795", "base_ref": null,
      "before": "bbe29778fdad33232cd67bd84205d334b94412d7", "created": true, "deleted": false,
      "forced": false, "compare": "https://github.com/monalisa/testing/compare/v1.4.2",
      "ref": "refs/tags/v1.4.2",
      "commits": [
        {"id": "2ce6b095", "message": "Release 1.4.2", "distinct": true,
         "author": {"name": "mona", "email": "mona@example.com", "username": "monalisa"},
         "committer": {"name": "GitHub", "email": "noreply@github.com", "username": "web-flow"},
         "added": [], "removed": [], "modified": ["CHANGELOG.md", "version.txt"]}
      ],
      "head_commit": {"id": "2ce6b095", "message": "Release 1.4.2",
                      "timestamp": "2022-08-09T12:40:12-05:00", "tree_id": "0dfd49ae"},
      "pusher": {"name": "monalisa", "email": "mona@example.com"},
      "repository": {"id": 117904191, "name": "testing", "full_name": "monalisa/testing",
                     "private": false, "fork": false, "default_branch": "main",
                     "language": "Shell", "topics": ["ci", "demo"], "visibility": "public",
                     "stargazers_count": 1, "open_issues_count": 5, "size": 611},
      "sender": {"login": "monalisa", "id": 12102068, "type": "User", "site_admin": true}
    }
  },
  "env": {"CI": "true", "NODE_VERSION": "20", "REGISTRY": "ghcr.io"},
  "matrix": {"os": "ubuntu-latest", "node": 20},
  "steps": {"build": {"outcome": "success", "conclusion": "success", "outputs": {"v": "1"}}}
})";

EvalContext MakeContext() {
  EvalContext ctx;
  ctx.contexts = std::move(Value::ParseJson(kContexts)).value();
  return ctx;
}

Expression MustParse(const char* text) { return std::move(Expression::Parse(text)).value(); }

void BM_ParseCondition(benchmark::State& state) {
  for (auto _ : state) {
    auto e = Expression::Parse(kCondition);
    benchmark::DoNotOptimize(e);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseCondition);

void RunEvaluation(benchmark::State& state, const char* text) {
  EvalContext ctx = MakeContext();
  Expression e = MustParse(text);
  long before = g_allocations.load();
  for (auto _ : state) {
    auto r = e.EvaluateTruthy(ctx);
    benchmark::DoNotOptimize(r);
  }
  state.counters["allocs/eval"] = benchmark::Counter(
      static_cast<double>(g_allocations.load() - before) / static_cast<double>(state.iterations()));
  state.SetItemsProcessed(state.iterations());
}

void BM_EvaluateCondition(benchmark::State& state) { RunEvaluation(state, kCondition); }
BENCHMARK(BM_EvaluateCondition);

void BM_EvaluateNestedPayloadCondition(benchmark::State& state) {
  RunEvaluation(state,
                "github.event.repository.default_branch == 'main' && "
                "!contains(github.event.head_commit.message, '[skip ci]') && "
                "(matrix.os == 'ubuntu-latest' || matrix.node >= 18)");
}
BENCHMARK(BM_EvaluateNestedPayloadCondition);

void BM_EvaluateFilterCondition(benchmark::State& state) {
  RunEvaluation(state, "contains(github.event.commits.*.author.username, 'monalisa')");
}
BENCHMARK(BM_EvaluateFilterCondition);

void BM_EvaluateValue(benchmark::State& state) {
  EvalContext ctx = MakeContext();
  Expression e = MustParse("github.event.head_commit.message");
  for (auto _ : state) {
    auto r = e.Evaluate(ctx);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EvaluateValue);

void BM_ParseAndEvaluateIf(benchmark::State& state) {
  EvalContext ctx = MakeContext();
  for (auto _ : state) {
    auto r = gantry::expr::EvaluateCondition(kCondition, ctx);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseAndEvaluateIf);

void BM_EvaluateTemplate(benchmark::State& state) {
  EvalContext ctx = MakeContext();
  auto t = std::move(gantry::expr::Template::Parse(
                         "${{ env.REGISTRY }}/${{ github.repository }}:${{ github.ref_name }}"))
               .value();
  for (auto _ : state) {
    auto r = t.Evaluate(ctx);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EvaluateTemplate);

void BM_ToJsonOfGithubContext(benchmark::State& state) {
  EvalContext ctx = MakeContext();
  Expression e = MustParse("toJSON(github)");
  for (auto _ : state) {
    auto r = e.Evaluate(ctx);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ToJsonOfGithubContext);

}  // namespace

BENCHMARK_MAIN();
