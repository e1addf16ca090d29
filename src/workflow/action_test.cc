#include "workflow/action.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace gantry::workflow {
namespace {

namespace fs = std::filesystem;

ActionManifestLoad Parse(std::string_view yaml) { return ParseActionManifest(yaml, "action.yml"); }

// Every diagnostic as "line:col: message", one per line.
std::string Render(const ActionManifestLoad& load) {
  std::string out;
  for (const Diagnostic& d : load.diagnostics) {
    out +=
        std::to_string(d.pos.line) + ":" + std::to_string(d.pos.column) + ": " + d.message + "\n";
  }
  return out;
}

// A composite action whose steps are `steps` (items indented by 4).
std::string CompositeWith(std::string_view steps) {
  return "name: c\nruns:\n  using: composite\n  steps:\n" + std::string(steps);
}

TEST(ActionManifestTest, NodeActionWithPreAndPostInTheShapeOfActionsCache) {
  ActionManifestLoad load = Parse(R"(name: 'Cache'
description: 'Cache artifacts like dependencies and build outputs'
author: 'GitHub'
inputs:
  path:
    description: 'A list of files, directories, and wildcard patterns to cache'
    required: true
  key:
    description: 'An explicit key for restoring and saving the cache'
    required: true
  token:
    description: 'Used to fetch ${{ github.token }} compressions'
    default: ${{ github.token }}
  upload-chunk-size:
    description: 'The chunk size used to split up large files during upload, in bytes'
    required: false
    deprecationMessage: 'Use the environment variable instead'
outputs:
  cache-hit:
    description: 'A boolean value to indicate an exact match was found for the primary key'
runs:
  using: 'Node20'
  main: 'dist/restore/index.js'
  post: 'dist/save/index.js'
  post-if: success()
  pre: 'dist/setup/index.js'
branding:
  icon: 'archive'
  color: 'gray-dark'
)");
  ASSERT_TRUE(load.ok()) << Render(load);
  const ActionManifest& m = load.manifest;
  EXPECT_EQ(m.name->value, "Cache");
  EXPECT_EQ(m.author->value, "GitHub");
  EXPECT_EQ(m.runs.kind, ActionKind::kNode);
  EXPECT_EQ(m.runs.using_, "node20");
  EXPECT_EQ(m.runs.main->value, "dist/restore/index.js");
  EXPECT_EQ(m.runs.pre->value, "dist/setup/index.js");
  EXPECT_EQ(m.runs.pre_if->value, "always()");
  EXPECT_EQ(m.runs.post_if->value, "success()");
  ASSERT_EQ(m.inputs.size(), 4u);
  EXPECT_TRUE(m.inputs[0].required);
  EXPECT_EQ(m.inputs[2].default_->value, "${{ github.token }}");
  EXPECT_EQ(m.inputs[2].default_->pos.line, 13);
  EXPECT_EQ(m.inputs[3].deprecation_message->value, "Use the environment variable instead");
  ASSERT_NE(m.FindInput("UPLOAD-chunk-size"), nullptr);
  EXPECT_EQ(m.FindInput("UPLOAD-chunk-size")->pos.line, 14);
  EXPECT_EQ(m.FindInput("missing"), nullptr);
  ASSERT_EQ(m.outputs.size(), 1u);
  EXPECT_FALSE(m.outputs[0].value.has_value());
}

TEST(ActionManifestTest, NodeActionWithoutPreOrPostHasNoConditions) {
  ActionManifestLoad load = Parse("runs:\n  using: node24\n  main: index.js\n");
  ASSERT_TRUE(load.ok()) << Render(load);
  EXPECT_FALSE(load.manifest.runs.pre_if.has_value());
  EXPECT_FALSE(load.manifest.runs.post_if.has_value());
}

TEST(ActionManifestTest, CompositeWithNestedUsesAndOutputs) {
  ActionManifestLoad load = Parse(R"(name: Setup and build
inputs:
  version:
    description: Tool version
    default: '1.2'
outputs:
  artifact:
    description: Path of the built artifact
    value: ${{ steps.build.outputs.path }}
runs:
  using: "composite"
  steps:
    - uses: actions/setup-node@v4
      with:
        node-version: ${{ inputs.version }}
    - uses: ./.github/actions/inner
    - id: build
      if: ${{ runner.os == 'Linux' && always() }}
      shell: bash
      run: echo "path=out/${{ inputs.version }}" >> "$GITHUB_OUTPUT"
      working-directory: ${{ github.action_path }}
      env:
        CACHE: ${{ hashFiles('**/lock') }}
    - run: echo done
      shell: ${{ inputs.shell }}
      continue-on-error: true
)");
  ASSERT_TRUE(load.ok()) << Render(load);
  const ActionRuns& runs = load.manifest.runs;
  EXPECT_EQ(runs.kind, ActionKind::kComposite);
  ASSERT_EQ(runs.steps.size(), 4u);
  EXPECT_EQ(runs.steps[0].uses->value, "actions/setup-node@v4");
  EXPECT_EQ(runs.steps[0].with[0].second.value, "${{ inputs.version }}");
  EXPECT_EQ(runs.steps[1].uses->value, "./.github/actions/inner");
  EXPECT_EQ(runs.steps[2].id, "build");
  EXPECT_EQ(runs.steps[2].shell->value, "bash");
  EXPECT_EQ(runs.steps[2].pos.line, 17);
  EXPECT_EQ(runs.steps[3].shell->value, "${{ inputs.shell }}");
  ASSERT_EQ(load.manifest.outputs.size(), 1u);
  EXPECT_EQ(load.manifest.outputs[0].value->value, "${{ steps.build.outputs.path }}");
}

TEST(ActionManifestTest, DockerActionWithArgsAndEnv) {
  ActionManifestLoad load = Parse(R"(name: Hello
inputs:
  who-to-greet:
    required: true
    default: World
runs:
  using: DOCKER
  image: docker://alpine:3.20
  entrypoint: /entrypoint.sh
  pre-entrypoint: /setup.sh
  post-entrypoint: /cleanup.sh
  post-if: failure()
  args:
    - ${{ inputs.who-to-greet }}
    - --verbose
    - 3
  env:
    GREETING: hello ${{ inputs.who-to-greet }}
    PLAIN: "yes"
)");
  ASSERT_TRUE(load.ok()) << Render(load);
  const ActionRuns& runs = load.manifest.runs;
  EXPECT_EQ(runs.kind, ActionKind::kDocker);
  EXPECT_EQ(runs.using_, "docker");
  EXPECT_EQ(runs.image->value, "docker://alpine:3.20");
  EXPECT_EQ(runs.entrypoint->value, "/entrypoint.sh");
  EXPECT_EQ(runs.pre_if->value, "always()");
  EXPECT_EQ(runs.post_if->value, "failure()");
  ASSERT_EQ(runs.args.size(), 3u);
  EXPECT_EQ(runs.args[0].value, "${{ inputs.who-to-greet }}");
  EXPECT_EQ(runs.args[2].value, "3");
  EXPECT_EQ(runs.args[2].pos.line, 16);
  ASSERT_EQ(runs.env.size(), 2u);
  EXPECT_EQ(runs.env[1].first, "PLAIN");
  EXPECT_EQ(runs.env[1].second.value, "yes");
}

TEST(ActionManifestTest, DockerArgsAndEnvSeeOnlyInputs) {
  ActionManifestLoad load = Parse(R"(runs:
  using: docker
  image: Dockerfile
  args: ['${{ github.sha }}']
  env:
    A: ${{ secrets.TOKEN }}
)");
  EXPECT_EQ(Render(load),
            "4:10: Unrecognized named-value: 'github'. Located at position 1 within expression: "
            "github.sha\n"
            "6:8: Unrecognized named-value: 'secrets'. Located at position 1 within expression: "
            "secrets.TOKEN\n");
}

TEST(ActionManifestTest, DockerArgsMustBeASequence) {
  ActionManifestLoad load = Parse("runs:\n  using: docker\n  image: Dockerfile\n  args: a b\n");
  EXPECT_EQ(Render(load), "4:9: Unexpected value 'a b' (expected a sequence of strings)\n");
}

TEST(ActionManifestTest, UnsupportedUsingIsReportedAtTheValue) {
  ActionManifestLoad load = Parse("runs:\n  using: node8\n  main: index.js\n");
  EXPECT_EQ(Render(load),
            "2:10: 'node8' is not a supported runs.using value (use 'composite', 'docker', "
            "'node12', 'node16', 'node20' or 'node24')\n");
  EXPECT_FALSE(load.ok());
  load = Parse("runs:\n  using: node14\n  main: index.js\n");
  EXPECT_NE(Render(load).find("'node14' is not a supported runs.using value"), std::string::npos);
}

TEST(ActionManifestTest, MissingRunsAndUsingAreReported) {
  EXPECT_EQ(Render(Parse("name: x\n")), "1:1: Required property is missing: runs\n");
  EXPECT_EQ(Render(Parse("name: x\nruns:\n  main: index.js\n")),
            "3:3: Required property is missing: using\n");
  EXPECT_EQ(Render(Parse("runs: node20\n")),
            "1:7: Unexpected value 'node20' (expected a mapping with 'using')\n");
}

TEST(ActionManifestTest, EachKindRequiresItsEntryPoint) {
  EXPECT_EQ(Render(Parse("runs:\n  using: node20\n")), "2:3: Required property is missing: main\n");
  EXPECT_EQ(Render(Parse("runs:\n  using: docker\n")),
            "2:3: Required property is missing: image\n");
  EXPECT_EQ(Render(Parse("runs:\n  using: composite\n")),
            "2:3: Required property is missing: steps\n");
}

TEST(ActionManifestTest, UnknownRunsKeysAreReportedWithASuggestion) {
  EXPECT_EQ(Render(Parse("runs:\n  using: node20\n  main: a.js\n  psot: b.js\n")),
            "4:3: Unexpected value 'psot' (did you mean 'post'?)\n");
  // A key of another kind is not allowed either.
  EXPECT_EQ(Render(Parse("runs:\n  using: node20\n  main: a.js\n  image: Dockerfile\n")),
            "4:3: Unexpected value 'image'\n");
}

TEST(ActionManifestTest, TopLevelTyposAreReportedButOtherKeysAreIgnoredAsOnGitHub) {
  ActionManifestLoad load =
      Parse("name: x\ninput:\n  a: {}\nmaintainer: me\nruns:\n  using: node20\n  main: a.js\n");
  EXPECT_EQ(Render(load), "2:1: Unexpected value 'input' (did you mean 'inputs'?)\n");
}

TEST(ActionManifestTest, InputRulesAreChecked) {
  ActionManifestLoad load = Parse(R"(inputs:
  a:
    required: maybe
  b:
    type: string
    required: 'false'
  c:
    defualt: x
  d:
    default: ${{ secrets.X }}
  e:
  B:
    description: repeat
runs:
  using: node20
  main: a.js
)");
  EXPECT_EQ(Render(load),
            "3:15: Unexpected value 'maybe' (expected a boolean)\n"
            "8:5: Unexpected value 'defualt' (did you mean 'default'?)\n"
            "10:14: Unrecognized named-value: 'secrets'. Located at position 1 within "
            "expression: secrets.X\n"
            "12:3: 'B' is already defined\n");
  ASSERT_EQ(load.manifest.inputs.size(), 5u);  // the repeated B is dropped
  EXPECT_EQ(load.manifest.inputs[4].id, "e");
  EXPECT_FALSE(load.manifest.inputs[1].required);
}

TEST(ActionManifestTest, InputDefaultsMayUseTheirContexts) {
  ActionManifestLoad load = Parse(R"(inputs:
  token:
    default: ${{ github.token }}
  os:
    default: ${{ runner.os }}-${{ matrix.node }}-${{ job.status }}-${{ strategy.job-index }}
  derived:
    default: ${{ inputs.token }}-${{ env.HOME }}
  files:
    default: ${{ hashFiles('**/*.lock') }}
runs:
  using: node20
  main: a.js
)");
  ASSERT_TRUE(load.ok()) << Render(load);
  EXPECT_EQ(load.manifest.inputs.size(), 4u);
}

TEST(ActionManifestTest, CompositeRunStepsNeedAShell) {
  ActionManifestLoad load = Parse(CompositeWith("    - run: echo hi\n    - uses: a/b@v1\n"));
  EXPECT_EQ(Render(load), "5:7: Required property is missing: shell\n");
}

TEST(ActionManifestTest, CompositeStepsCannotSetATimeout) {
  ActionManifestLoad load =
      Parse(CompositeWith("    - run: echo hi\n      shell: bash\n      timeout-minutes: 5\n"));
  EXPECT_EQ(Render(load),
            "7:7: Unexpected value 'timeout-minutes' (composite action steps cannot set a "
            "timeout)\n");
}

TEST(ActionManifestTest, CompositeStepIdsAreUnique) {
  ActionManifestLoad load = Parse(CompositeWith(
      "    - id: a\n      run: x\n      shell: sh\n    - id: A\n      uses: o/r@v1\n"));
  EXPECT_EQ(Render(load),
            "8:11: The identifier 'A' may not be used more than once within the same scope.\n");
}

TEST(ActionManifestTest, CompositeStepsSeeOnlyTheActionContexts) {
  ActionManifestLoad load = Parse(CompositeWith(
      "    - run: echo ${{ secrets.TOKEN }}\n      shell: bash\n"
      "    - uses: o/r@v1\n      if: needs.a.result == 'success'\n"
      "      with:\n        x: ${{ vars.X }}\n"
      "    - run: echo ${{ inputs.x }} ${{ steps.a.outputs.b }}\n      shell: bash\n"
      "      env:\n        A: ${{ env.B }}-${{ strategy.job-index }}-${{ matrix.x }}\n"));
  EXPECT_EQ(Render(load),
            "5:12: Unrecognized named-value: 'secrets'. Located at position 1 within expression: "
            "secrets.TOKEN\n"
            "8:11: Unrecognized named-value: 'needs'. Located at position 1 within expression: "
            "needs.a.result == 'success'\n"
            "10:12: Unrecognized named-value: 'vars'. Located at position 1 within expression: "
            "vars.X\n");
}

TEST(ActionManifestTest, CompositeExpressionsMustParse) {
  ActionManifestLoad load =
      Parse(CompositeWith("    - run: echo ${{ inputs.x ==  }}\n      shell: bash\n"));
  ASSERT_EQ(load.diagnostics.size(), 1u) << Render(load);
  EXPECT_EQ(load.diagnostics[0].pos.line, 5);
  EXPECT_EQ(load.diagnostics[0].rule, "expression");
}

TEST(ActionManifestTest, CompositeShellExpressionsAreChecked) {
  ActionManifestLoad load =
      Parse(CompositeWith("    - run: echo\n      shell: ${{ secrets.shell }}\n"));
  EXPECT_EQ(Render(load),
            "6:14: Unrecognized named-value: 'secrets'. Located at position 1 within expression: "
            "secrets.shell\n");
}

TEST(ActionManifestTest, CompositeOutputsNeedAValue) {
  ActionManifestLoad load =
      Parse("outputs:\n  a:\n    description: no value\n  b:\n  c:\n    value: ${{ secrets.x }}\n" +
            CompositeWith("    - uses: a/b@v1\n"));
  EXPECT_EQ(Render(load),
            "3:5: Required property is missing: value (outputs of a composite action need a "
            "value)\n"
            "4:3: Required property is missing: value (outputs of a composite action need a "
            "value)\n"
            "6:12: Unrecognized named-value: 'secrets'. Located at position 1 within expression: "
            "secrets.x\n");
}

TEST(ActionManifestTest, NodeAndDockerOutputValuesAreIgnored) {
  ActionManifestLoad load = Parse(
      "outputs:\n  a:\n    value: ${{ secrets.x }}\n  b:\nruns:\n  using: node20\n  main: a.js\n");
  ASSERT_TRUE(load.ok()) << Render(load);
  ASSERT_EQ(load.manifest.outputs.size(), 2u);
  EXPECT_FALSE(load.manifest.outputs[0].value.has_value());
}

TEST(ActionManifestTest, UnknownOutputKeysAreReported) {
  EXPECT_EQ(Render(Parse("outputs:\n  a:\n    vaule: x\nruns:\n  using: node20\n  main: a.js\n")),
            "3:5: Unexpected value 'vaule' (did you mean 'value'?)\n");
}

// The two manifests act's no-panic-on-invalid-composite-action case writes at run time.
TEST(ActionManifestTest, InvalidCompositeActionsOfActsNoPanicCaseAreRejected) {
  ActionManifestLoad invalid_step =
      Parse("runs:\n  using: composite\n  steps:\n  - name: Foo\n  - uses: Foo/Bar\n");
  EXPECT_EQ(Render(invalid_step),
            "4:5: There's not enough info to determine what you meant. Add one of these "
            "properties: run, shell, uses, with, working-directory\n"
            "5:11: Expected format {org}/{repo}[/path]@ref. Actual 'Foo/Bar'\n");
  EXPECT_EQ(Render(Parse("runs:\n  using: composite\n")),
            "2:3: Required property is missing: steps\n");
}

TEST(ActionManifestTest, YamlErrorsAndEmptyFilesAreDiagnostics) {
  EXPECT_EQ(Render(Parse("")), "0:0: The action manifest is empty: it needs at least 'runs'\n");
  EXPECT_FALSE(Parse("runs: [\n").ok());
  EXPECT_EQ(Render(Parse("- a\n")),
            "1:1: A sequence was not expected (expected an action mapping with 'runs')\n");
}

// A temporary directory removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "gantry_action_test_XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }
  void Write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name) << text;
  }

 private:
  fs::path path_;
};

TEST(LoadActionManifestTest, ReadsActionYmlBeforeActionYaml) {
  TempDir dir;
  dir.Write("action.yml", "name: yml\nruns:\n  using: node20\n  main: a.js\n");
  dir.Write("action.yaml", "name: yaml\nruns:\n  using: node20\n  main: a.js\n");
  auto manifest = LoadActionManifest(dir.path().string());
  ASSERT_TRUE(manifest.ok()) << manifest.status().ToString();
  EXPECT_EQ(manifest->name->value, "yml");
  EXPECT_EQ(manifest->file, (dir.path() / "action.yml").string());
}

TEST(LoadActionManifestTest, ReadsActionYaml) {
  TempDir dir;
  dir.Write("action.yaml", "name: yaml\nruns:\n  using: composite\n  steps: []\n");
  dir.Write("Dockerfile", "FROM alpine\n");
  auto manifest = LoadActionManifest(dir.path().string());
  ASSERT_TRUE(manifest.ok()) << manifest.status().ToString();
  EXPECT_EQ(manifest->name->value, "yaml");
  EXPECT_EQ(manifest->runs.kind, ActionKind::kComposite);
}

TEST(LoadActionManifestTest, ABareDockerfileIsADockerAction) {
  TempDir dir;
  dir.Write("Dockerfile", "FROM alpine\n");
  auto manifest = LoadActionManifest(dir.path().string());
  ASSERT_TRUE(manifest.ok()) << manifest.status().ToString();
  EXPECT_EQ(manifest->runs.kind, ActionKind::kDocker);
  EXPECT_EQ(manifest->runs.image->value, "Dockerfile");
  EXPECT_TRUE(manifest->inputs.empty());
}

TEST(LoadActionManifestTest, MissingManifestIsNotFoundInTheRunnersWords) {
  TempDir dir;
  auto manifest = LoadActionManifest(dir.path().string());
  ASSERT_FALSE(manifest.ok());
  EXPECT_EQ(manifest.status().code(), core::StatusCode::kNotFound);
  EXPECT_EQ(manifest.status().message(),
            "Can't find 'action.yml', 'action.yaml' or 'Dockerfile' under '" + dir.path().string() +
                "'. Did you forget to run actions/checkout before running your local action?");
}

TEST(LoadActionManifestTest, InvalidManifestIsInvalidArgumentWithPositions) {
  TempDir dir;
  dir.Write("action.yml", "runs:\n  using: node8\n  main: a.js\n");
  auto manifest = LoadActionManifest(dir.path().string());
  ASSERT_FALSE(manifest.ok());
  EXPECT_EQ(manifest.status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(manifest.status().message(),
            (dir.path() / "action.yml").string() +
                ":2:10: 'node8' is not a supported runs.using value (use 'composite', 'docker', "
                "'node12', 'node16', 'node20' or 'node24')");
}

// Every action of act's conformance suite loads (they all run on GitHub's runner).
TEST(LoadActionManifestTest, EveryActionOfTheActConformanceSuiteLoads) {
  const char* source = std::getenv("GANTRY_SOURCE_DIR");
  if (source == nullptr) GTEST_SKIP() << "GANTRY_SOURCE_DIR is not set";
  fs::path root = fs::path(source) / ".." / "shared" / "conformance" / "act";
  std::error_code ec;
  if (!fs::is_directory(root, ec)) GTEST_SKIP() << "no act conformance suite at " << root;
  int loaded = 0;
  for (const auto& entry : fs::recursive_directory_iterator(root, ec)) {
    std::string name = entry.path().filename().string();
    if (name != "action.yml" && name != "action.yaml") continue;
    auto manifest = LoadActionManifest(entry.path().parent_path().string());
    EXPECT_TRUE(manifest.ok()) << manifest.status().ToString();
    ++loaded;
  }
  EXPECT_GT(loaded, 0);
}

}  // namespace
}  // namespace gantry::workflow
