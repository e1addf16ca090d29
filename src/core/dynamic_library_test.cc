#include "core/dynamic_library.h"

#include <gtest/gtest.h>

namespace gantry::core {
namespace {

TEST(DynamicLibraryTest, BindsAFunctionOfALoadedLibrary) {
  Result<DynamicLibrary> libc = DynamicLibrary::Open("libc.so.6", "libc6");
  ASSERT_TRUE(libc.ok()) << libc.status().ToString();
  size_t (*strlen_fn)(const char*) = nullptr;
  ASSERT_TRUE(libc->Bind("strlen", strlen_fn).ok());
  ASSERT_NE(strlen_fn, nullptr);
  EXPECT_EQ(strlen_fn("gantry"), 6U);
}

TEST(DynamicLibraryTest, MissingLibraryIsUnavailableAndNamesThePackage) {
  Result<DynamicLibrary> lib = DynamicLibrary::Open("libgantry-no-such.so.1", "gantry-no-such1");
  ASSERT_FALSE(lib.ok());
  EXPECT_EQ(lib.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(lib.status().message().find("libgantry-no-such.so.1"), std::string::npos);
  EXPECT_NE(lib.status().message().find("install gantry-no-such1"), std::string::npos);
}

TEST(DynamicLibraryTest, MissingSymbolIsUnavailable) {
  Result<DynamicLibrary> libc = DynamicLibrary::Open("libc.so.6", "libc6");
  ASSERT_TRUE(libc.ok());
  void (*fn)() = nullptr;
  Status st = libc->Bind("gantry_no_such_function", fn);
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  EXPECT_NE(st.message().find("gantry_no_such_function"), std::string::npos);
  EXPECT_EQ(fn, nullptr);
}

}  // namespace
}  // namespace gantry::core
