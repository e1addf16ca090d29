// OpenStore and Migrate: picks the driver from the URL and brings the schema up to date.

#include <memory>
#include <string>
#include <utility>

#include "store/database.h"
#include "store/migrations.h"
#include "store/sql_store.h"
#include "store/store.h"

namespace gantry::store {
namespace {

bool StartsWith(const std::string& s, std::string_view prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

core::Result<std::unique_ptr<Database>> OpenDatabase(const std::string& url) {
  if (url.empty()) {
    return core::Status::InvalidArgument(
        "no database given: use sqlite:///path/to/gantry.db, a file path or postgres://…");
  }
  if (StartsWith(url, "postgres://") || StartsWith(url, "postgresql://")) {
    return OpenPostgres(url);
  }
  std::string path = url;
  if (StartsWith(url, "sqlite://")) {
    path = url.substr(9);  // sqlite:///abs/path -> /abs/path
  } else if (StartsWith(url, "sqlite:")) {
    path = url.substr(7);
  } else if (url.find("://") != std::string::npos) {
    return core::Status::InvalidArgument("unsupported database URL '" + url +
                                         "': use sqlite:///path/to/gantry.db or postgres://…");
  }
  if (path.empty()) return core::Status::InvalidArgument("the database URL '" + url + "' has no path");
  return OpenSqlite(path);
}

}  // namespace

core::Result<std::unique_ptr<Store>> OpenStore(const std::string& url, bool migrate,
                                               const std::string& migrations_dir) {
  core::Result<std::unique_ptr<Database>> db = OpenDatabase(url);
  if (!db.ok()) return db.status();
  core::Result<MigrationSet> set = LoadMigrations((*db)->dialect(), migrations_dir);
  if (!set.ok()) return set.status();
  if (migrate) {
    core::Result<std::pair<int, int>> applied = ApplyMigrations(**db, *set);
    if (!applied.ok()) return applied.status();
  } else {
    core::Result<int> version = SchemaVersion(**db);
    if (!version.ok()) return version.status();
    GANTRY_RETURN_IF_ERROR(CheckNotNewer(*version, set->latest()));
  }
  return std::unique_ptr<Store>(std::make_unique<SqlStore>(std::move(*db)));
}

core::Result<std::unique_ptr<Store>> OpenStore(const std::string& url, bool migrate) {
  return OpenStore(url, migrate, "");
}

core::Result<std::pair<int, int>> Migrate(const std::string& url,
                                          const std::string& migrations_dir) {
  core::Result<std::unique_ptr<Database>> db = OpenDatabase(url);
  if (!db.ok()) return db.status();
  core::Result<MigrationSet> set = LoadMigrations((*db)->dialect(), migrations_dir);
  if (!set.ok()) return set.status();
  return ApplyMigrations(**db, *set);
}

core::Result<std::pair<int, int>> Migrate(const std::string& url) { return Migrate(url, ""); }

}  // namespace gantry::store
