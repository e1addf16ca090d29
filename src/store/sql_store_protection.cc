// Branch protection rules and the run lookup the merge gate needs (store.h, "Branch
// protection").

#include <nlohmann/json.hpp>

#include "store/sql_store.h"

namespace gantry::store {
namespace {

// required_checks is stored as a JSON array of strings; anything else reads as none.
std::vector<std::string> ChecksFrom(const std::string& text) {
  std::vector<std::string> out;
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_array()) return out;
  for (const nlohmann::json& name : j) {
    if (name.is_string()) out.push_back(name.get<std::string>());
  }
  return out;
}

}  // namespace

core::Result<std::vector<BranchProtection>> SqlStore::ListBranchProtection(Id project_id) {
  std::vector<BranchProtection> out;
  GANTRY_RETURN_IF_ERROR(Read([&](Connection& conn) {
    return sql::Collect(
        conn,
        "SELECT pattern, required_checks, created_at, updated_at "
        "FROM branch_protection WHERE project_id = $1 ORDER BY pattern",
        {project_id},
        [](const Row& r) {
          return BranchProtection{r.Text(0), ChecksFrom(r.Text(1)), r.Int(2), r.Int(3)};
        },
        &out);
  }));
  return out;
}

core::Status SqlStore::PutBranchProtection(Id project_id, const BranchProtection& rule) {
  const int64_t now = sql::NowMs();
  const std::string checks = nlohmann::json(rule.required_checks).dump();
  return Write([&](Connection& conn) {
    return conn
        .Exec(
            "INSERT INTO branch_protection (project_id, pattern, required_checks, created_at, "
            "updated_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (project_id, pattern) DO UPDATE "
            "SET required_checks = excluded.required_checks, updated_at = excluded.updated_at",
            {project_id, rule.pattern, checks, rule.created_at != 0 ? rule.created_at : now,
             rule.updated_at != 0 ? rule.updated_at : now})
        .status();
  });
}

core::Status SqlStore::DeleteBranchProtection(Id project_id, const std::string& pattern) {
  return Write([&](Connection& conn) {
    return sql::Affected(conn.Exec("DELETE FROM branch_protection WHERE project_id = $1 AND "
                                   "pattern = $2",
                                   {project_id, pattern}),
                         "branch protection rule '" + pattern + "'");
  });
}

core::Result<Run> SqlStore::LatestRunOfRef(Id project_id, const std::string& ref) {
  core::Result<Run> out = core::Status::NotFound("no run of " + ref);
  GANTRY_RETURN_IF_ERROR(Read([&](Connection& conn) {
    core::Result<Row> row = sql::One(conn.Query(std::string("SELECT ") + sql::kRunColumns +
                                                    " FROM runs WHERE project_id = $1 AND ref = $2 "
                                                    "ORDER BY id DESC LIMIT 1",
                                                {project_id, ref}),
                                     "a run of " + ref);
    if (!row.ok()) return row.status();
    out = sql::RunFrom(*row);
    return core::Status::Ok();
  }));
  return out;
}

}  // namespace gantry::store
