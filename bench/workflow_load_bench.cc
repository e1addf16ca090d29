// Workflow loading: YAML → validated model with every expression parsed against its place.
//   build/bench/workflow_load_bench --benchmark_counters_tabular=true
// BM_LoadWorkflow/<jobs>: a generated workflow (each job: needs, matrix with include/exclude,
// expression runs-on, env, outputs, 6 steps with conditions and templates). 10 jobs is a
// typical CI workflow; 500 is far past what GitHub allows in one file. BM_ParseYamlOnly is the
// YAML tree alone, the floor the loader builds on.
#include <benchmark/benchmark.h>

#include <string>

#include "workflow/loader.h"
#include "workflow/yaml.h"

namespace {

std::string GenerateWorkflow(int jobs) {
  std::string y =
      "name: Generated\non:\n  push:\n    branches: [main]\n  pull_request:\n"
      "permissions:\n  contents: read\nenv:\n  GLOBAL: ${{ vars.GLOBAL }}\n"
      "concurrency:\n  group: ci-${{ github.ref }}\n  cancel-in-progress: true\njobs:\n";
  for (int i = 0; i < jobs; ++i) {
    std::string id = "job_" + std::to_string(i);
    y += "  " + id + ":\n";
    y += "    name: Job " + std::to_string(i) + " on ${{ matrix.os }}\n";
    if (i > 0) y += "    needs: [job_" + std::to_string((i - 1) / 2) + "]\n";
    y += "    if: ${{ github.event_name == 'push' || needs.job_0.result == 'success' }}\n";
    y += "    runs-on: ${{ matrix.os }}\n    timeout-minutes: 30\n";
    y += "    strategy:\n      fail-fast: false\n      matrix:\n";
    y += "        os: [ubuntu-latest, macos-latest]\n        node: [18, 20, 22]\n";
    y += "        include:\n          - os: ubuntu-latest\n            experimental: true\n";
    y += "        exclude:\n          - os: macos-latest\n            node: 18\n";
    y += "    env:\n      NODE: ${{ matrix.node }}\n      TOKEN: ${{ secrets.TOKEN }}\n";
    y += "    outputs:\n      version: ${{ steps.version.outputs.value }}\n";
    y += "    steps:\n";
    y += "      - uses: actions/checkout@v4\n        with:\n          fetch-depth: 0\n";
    y += "      - uses: actions/setup-node@v4\n        with:\n";
    y += "          node-version: ${{ matrix.node }}\n          cache: npm\n";
    y += "      - id: version\n        run: echo \"value=$(cat VERSION)\" >> \"$GITHUB_OUTPUT\"\n";
    y += "      - name: Test ${{ matrix.os }}/${{ matrix.node }}\n";
    y += "        run: |\n          npm ci\n          npm test -- --shard=${{ strategy.job-index "
         "}}\n";
    y += "        env:\n          CACHE_KEY: ${{ hashFiles('**/package-lock.json') }}\n";
    y += "      - if: failure() && steps.version.outcome == 'success'\n";
    y += "        run: echo failed on ${{ runner.os }}\n        shell: bash\n";
    y += "      - uses: actions/upload-artifact@v4\n        if: always()\n        with:\n";
    y += "          name: report-${{ matrix.os }}-${{ matrix.node }}\n          path: out/\n";
  }
  return y;
}

void BM_LoadWorkflow(benchmark::State& state) {
  const int jobs = static_cast<int>(state.range(0));
  const std::string yaml = GenerateWorkflow(jobs);
  for (auto _ : state) {
    gantry::workflow::LoadResult result =
        gantry::workflow::LoadWorkflow(yaml, ".github/workflows/generated.yml");
    if (!result.ok()) state.SkipWithError(result.diagnostics[0].ToString().c_str());
    benchmark::DoNotOptimize(result);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * yaml.size()));
  state.counters["jobs/s"] =
      benchmark::Counter(static_cast<double>(jobs), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["KiB"] = static_cast<double>(yaml.size()) / 1024.0;
}
BENCHMARK(BM_LoadWorkflow)->Arg(10)->Arg(500)->Unit(benchmark::kMillisecond);

void BM_ParseYamlOnly(benchmark::State& state) {
  const std::string yaml = GenerateWorkflow(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    gantry::workflow::Diagnostics diagnostics;
    auto root = gantry::workflow::ParseYaml(yaml, "generated.yml", diagnostics);
    benchmark::DoNotOptimize(root);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * yaml.size()));
}
BENCHMARK(BM_ParseYamlOnly)->Arg(10)->Arg(500)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
