#include "workflow/reusable.h"

#include <gtest/gtest.h>

namespace gantry::workflow {
namespace {

Text T(std::string value, int line = 1, int column = 1) {
  return Text{std::move(value), {line, column}};
}

Permissions Scopes(std::vector<std::pair<std::string, std::string>> scopes) {
  Permissions p;
  p.scopes = std::move(scopes);
  return p;
}

Permissions All(std::string all) {
  Permissions p;
  p.all = std::move(all);
  return p;
}

// A called workflow declaring `inputs` (name, type, required) and `secrets`.
Workflow Callee(std::vector<TriggerInput> inputs = {}, std::vector<TriggerSecret> secrets = {}) {
  Workflow w;
  w.file = "o/r/.github/workflows/c.yml@v1";
  EventTrigger call;
  call.name = "workflow_call";
  call.inputs = std::move(inputs);
  call.secrets = std::move(secrets);
  w.on.events.push_back(call);
  Job job;
  job.id = "deploy";
  w.jobs.push_back(job);
  return w;
}

TriggerInput Input(std::string name, std::string type, bool required = false) {
  TriggerInput i;
  i.name = std::move(name);
  i.type = std::move(type);
  i.required = required;
  return i;
}

TriggerSecret Secret(std::string name, bool required) {
  TriggerSecret s;
  s.name = std::move(name);
  s.required = required;
  return s;
}

Job Caller() {
  Job job;
  job.id = "call";
  job.pos = {3, 3};
  job.uses = T("o/r/.github/workflows/c.yml@v1", 4, 11);
  return job;
}

struct Checked {
  Diagnostics diagnostics;
  std::string First() const { return diagnostics.empty() ? "" : diagnostics[0].message; }
};

Checked Check(const Job& caller, const Workflow& callee, const Workflow& caller_workflow = {},
              CallContext context = {}) {
  Checked c;
  Reader reader("caller.yml", c.diagnostics);
  CheckReusableCall(caller, callee, caller_workflow, context, reader);
  return c;
}

TEST(ReusableTest, RequiredInputMustBeGiven) {
  auto c = Check(Caller(), Callee({Input("foo", "string", true)}));
  ASSERT_EQ(c.diagnostics.size(), 1u);
  EXPECT_EQ(c.First(), "Input foo is required, but not provided while calling.");
  EXPECT_EQ(c.diagnostics[0].pos.line, 4);
  EXPECT_EQ(c.diagnostics[0].pos.column, 11);
}

TEST(ReusableTest, InputNamesCompareCaseInsensitively) {
  Job job = Caller();
  job.with.push_back({"FOO", T("x")});
  EXPECT_TRUE(Check(job, Callee({Input("foo", "string", true)})).diagnostics.empty());
}

TEST(ReusableTest, UndefinedInputIsRejectedAtItsValue) {
  Job job = Caller();
  job.with.push_back({"foo", T("bar", 6, 12)});
  auto c = Check(job, Callee());
  ASSERT_EQ(c.diagnostics.size(), 1u);
  EXPECT_EQ(c.First(), "Invalid input, foo is not defined in the referenced workflow.");
  EXPECT_EQ(c.diagnostics[0].pos.line, 6);
}

TEST(ReusableTest, LiteralTypeMismatch) {
  Job job = Caller();
  job.with.push_back({"b", T("not-a-boolean", 6, 21)});
  job.with.push_back({"n", T("not-a-number", 7, 20)});
  job.with.push_back({"ok-b", T("true")});
  job.with.push_back({"ok-n", T("42")});
  job.with.push_back({"expr", T("${{ inputs.x }}")});
  job.with.push_back({"s", T("456")});
  auto c =
      Check(job, Callee({Input("b", "boolean"), Input("n", "number"), Input("ok-b", "boolean"),
                         Input("ok-n", "number"), Input("expr", "number"), Input("s", "string")}));
  ASSERT_EQ(c.diagnostics.size(), 2u);
  EXPECT_EQ(c.First().rfind("Unexpected value 'not-a-boolean'", 0), 0u);
  EXPECT_EQ(c.diagnostics[1].pos.line, 7);
}

TEST(ReusableTest, RequiredSecretUnlessInherited) {
  Workflow callee = Callee({}, {Secret("shh", true), Secret("opt", false)});
  auto c = Check(Caller(), callee);
  ASSERT_EQ(c.diagnostics.size(), 1u);
  EXPECT_EQ(c.First(), "Secret shh is required, but not provided while calling.");
  Job inherit = Caller();
  inherit.secrets_inherit = true;
  EXPECT_TRUE(Check(inherit, callee).diagnostics.empty());
}

TEST(ReusableTest, UndefinedSecretIsRejected) {
  Job job = Caller();
  job.secrets.push_back({"foo", T("${{ secrets.foo }}", 6, 12)});
  auto c = Check(job, Callee());
  ASSERT_EQ(c.diagnostics.size(), 1u);
  EXPECT_EQ(c.First(), "Invalid secret, foo is not defined in the referenced workflow.");
}

TEST(ReusableTest, CalleeWithoutWorkflowCall) {
  Workflow callee;
  EventTrigger push;
  push.name = "push";
  callee.on.events.push_back(push);
  auto c = Check(Caller(), callee);
  ASSERT_EQ(c.diagnostics.size(), 1u);
  EXPECT_EQ(c.First(), "workflow_call key is not defined in the referenced workflow.");
}

TEST(ReusableTest, JobPermissionsExceedingTheCallerJob) {
  Job job = Caller();
  job.permissions = Scopes({{"actions", "read"}});
  Workflow callee = Callee();
  callee.jobs[0].permissions = Scopes({{"actions", "write"}});
  auto c = Check(job, callee);
  ASSERT_EQ(c.diagnostics.size(), 1u);
  EXPECT_EQ(c.First(),
            "Error calling workflow 'o/r/.github/workflows/c.yml@v1'. The nested job 'deploy' is "
            "requesting 'actions: write', but is only allowed 'actions: read'.");
  EXPECT_EQ(c.diagnostics[0].pos.line, 3);
  EXPECT_EQ(c.diagnostics[0].pos.column, 3);
}

TEST(ReusableTest, WorkflowPermissionsAgainstTheDefaultPolicy) {
  Workflow callee = Callee();
  callee.permissions = Scopes({{"actions", "write"}, {"contents", "write"}, {"packages", "write"}});
  CallContext limited{PermissionSet::FromPolicy(PermissionPolicy::kLimitedRead)};
  auto c = Check(Caller(), callee, {}, limited);
  ASSERT_EQ(c.diagnostics.size(), 1u);
  EXPECT_EQ(c.First(),
            "Error calling workflow 'o/r/.github/workflows/c.yml@v1'. The workflow "
            "'o/r/.github/workflows/c.yml@v1' is requesting 'actions: write, contents: write, "
            "packages: write', but is only allowed 'actions: none, contents: read, packages: "
            "read'.");
  CallContext permissive{PermissionSet::FromPolicy(PermissionPolicy::kWrite)};
  EXPECT_TRUE(Check(Caller(), callee, {}, permissive).diagnostics.empty());
}

TEST(ReusableTest, CallerWorkflowLevelPermissionsApplyWhenTheJobSetsNone) {
  Workflow caller_workflow;
  caller_workflow.permissions = Scopes({{"actions", "read"}});
  Workflow callee = Callee();
  callee.permissions = Scopes({{"actions", "write"}});
  EXPECT_EQ(Check(Caller(), callee, caller_workflow).diagnostics.size(), 1u);
  Job job = Caller();
  job.permissions = All("write-all");
  EXPECT_TRUE(Check(job, callee, caller_workflow).diagnostics.empty());
}

TEST(ReusableTest, EmptyPermissionsGrantNothing) {
  Job job = Caller();
  job.permissions = All("");
  Workflow callee = Callee();
  callee.jobs[0].name = T("Deploy 1");
  callee.jobs[0].permissions = All("read-all");
  auto c = Check(job, callee);
  ASSERT_EQ(c.diagnostics.size(), 1u);
  EXPECT_EQ(c.First().rfind("Error calling workflow 'o/r/.github/workflows/c.yml@v1'. The nested "
                            "job 'Deploy 1' is requesting 'actions: read, checks: read,",
                            0),
            0u);
}

TEST(ReusableTest, EffectivePermissionsPrecedence) {
  Workflow w;
  Job job;
  PermissionSet inherited = PermissionSet::FromPolicy(PermissionPolicy::kLimitedRead);
  EXPECT_EQ(EffectivePermissions(job, w, inherited).Get("contents"), PermissionLevel::kRead);
  w.permissions = All("write-all");
  EXPECT_EQ(EffectivePermissions(job, w, inherited).Get("issues"), PermissionLevel::kWrite);
  job.permissions = Scopes({{"issues", "read"}});
  EXPECT_EQ(EffectivePermissions(job, w, inherited).Get("issues"), PermissionLevel::kRead);
  EXPECT_EQ(EffectivePermissions(job, w, inherited).Get("contents"), PermissionLevel::kNone);
}

TEST(ReusableTest, WorkflowRefForms) {
  Diagnostics d;
  Reader reader("w.yml", d);
  EXPECT_TRUE(CheckWorkflowRef(T("./.github/workflows/ci.yml"), reader));
  EXPECT_TRUE(CheckWorkflowRef(T("owner/repo/.github/workflows/ci.yaml@v1"), reader));
  EXPECT_TRUE(d.empty());
  EXPECT_FALSE(CheckWorkflowRef(T("owner/repo@main"), reader));
  EXPECT_FALSE(CheckWorkflowRef(T("./foo/bar/workflow.yml@main"), reader));
  EXPECT_FALSE(CheckWorkflowRef(T("foo/workflow.yml@main"), reader));
  EXPECT_FALSE(CheckWorkflowRef(T("foo/bar/workflow.yml"), reader));
  EXPECT_FALSE(CheckWorkflowRef(T("/foo/bar/workflow.yml@main"), reader));
  EXPECT_EQ(d.size(), 5u);
}

TEST(ReusableTest, DepthAndJobLimits) {
  Diagnostics d;
  Reader reader("w.yml", d);
  EXPECT_TRUE(CheckCallDepth(Caller(), 2, 2, reader));
  EXPECT_FALSE(CheckCallDepth(Caller(), 3, 2, reader));
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].message, "Nested reusable workflow depth exceeded 2.");
  EXPECT_TRUE(CheckJobCount(8, 8, reader));
  EXPECT_FALSE(CheckJobCount(9, 8, reader));
  EXPECT_EQ(d.back().message, "The workflow may not contain more than 8 jobs");
}

}  // namespace
}  // namespace gantry::workflow
