#include "workflow/places.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace gantry::workflow {
namespace {

bool Allows(Place place, const std::string& context) {
  const auto& names = *ParseOptionsFor(place).named_values;
  return std::find(names.begin(), names.end(), context) != names.end();
}

bool HasFunction(Place place, const std::string& function) {
  const auto& names = *ParseOptionsFor(place).extra_functions;
  return std::find(names.begin(), names.end(), function) != names.end();
}

TEST(PlacesTest, EveryPlaceRestrictsContextsAndFunctions) {
  for (int p = 0; p <= static_cast<int>(Place::kCallOutputValue); ++p) {
    const expr::ParseOptions& options = ParseOptionsFor(static_cast<Place>(p));
    EXPECT_TRUE(options.named_values.has_value()) << p;
    EXPECT_TRUE(options.extra_functions.has_value()) << p;
  }
}

TEST(PlacesTest, RunsOnSeesMatrixButNotSecretsOrEnv) {
  EXPECT_TRUE(Allows(Place::kJob, "matrix"));
  EXPECT_TRUE(Allows(Place::kJob, "needs"));
  EXPECT_FALSE(Allows(Place::kJob, "secrets"));
  EXPECT_FALSE(Allows(Place::kJob, "env"));
}

TEST(PlacesTest, StepsSeeEverythingPlusHashFiles) {
  for (const char* c : {"github", "needs", "strategy", "matrix", "job", "runner", "env", "vars",
                        "secrets", "steps", "inputs"}) {
    EXPECT_TRUE(Allows(Place::kStep, c)) << c;
  }
  EXPECT_TRUE(HasFunction(Place::kStep, "hashfiles"));
  EXPECT_FALSE(HasFunction(Place::kStep, "success"));
}

TEST(PlacesTest, StepIfHasStatusFunctionsButNoSecrets) {
  EXPECT_FALSE(Allows(Place::kStepIf, "secrets"));
  EXPECT_TRUE(HasFunction(Place::kStepIf, "always"));
  EXPECT_TRUE(HasFunction(Place::kStepIf, "hashfiles"));
}

TEST(PlacesTest, JobIfSeesNeedsButNotMatrix) {
  EXPECT_TRUE(Allows(Place::kJobIf, "needs"));
  EXPECT_FALSE(Allows(Place::kJobIf, "matrix"));
  EXPECT_TRUE(HasFunction(Place::kJobIf, "failure"));
  EXPECT_FALSE(HasFunction(Place::kJobIf, "hashfiles"));
}

TEST(PlacesTest, NoContextPlacesAllowNothing) {
  EXPECT_TRUE(ParseOptionsFor(Place::kNoContexts).named_values->empty());
  EXPECT_TRUE(ParseOptionsFor(Place::kNoExpressions).named_values->empty());
}

}  // namespace
}  // namespace gantry::workflow
