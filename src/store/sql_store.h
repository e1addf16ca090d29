#pragma once

// The one Store implementation: portable SQL on top of the driver interface (database.h). The
// few places where the dialects differ ask `dialect()`. The methods live in sql_store_*.cc by
// topic.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "store/database.h"
#include "store/store.h"

namespace gantry::store {

class SqlStore final : public Store {
 public:
  explicit SqlStore(std::unique_ptr<Database> db) : db_(std::move(db)) {}

  std::string Dialect() const override;
  core::Result<int> SchemaVersion() override;
  core::Status Ping() override;

  core::Result<User> CreateUser(const User& user) override;
  core::Result<User> GetUser(Id id) override;
  core::Result<User> GetUserByName(const std::string& username) override;
  core::Result<int64_t> CountUsers() override;
  core::Result<Token> CreateToken(const Token& token) override;
  core::Result<Token> FindToken(const std::string& hash, int64_t now) override;
  core::Result<std::vector<Token>> ListTokens(Id user_id, const std::string& kind) override;
  core::Status DeleteToken(Id user_id, Id token_id) override;
  core::Status DeleteTokenByHash(const std::string& hash) override;

  core::Result<Project> CreateProject(const Project& project, Id creator) override;
  core::Result<Project> GetProject(Id id) override;
  core::Result<Project> GetProjectByName(const std::string& owner,
                                         const std::string& name) override;
  core::Result<std::vector<Project>> ListProjects(Id user_id, bool all) override;
  core::Status UpdateProjectPoll(Id project_id, const std::string& last_polled) override;
  core::Status UpdateProject(const Project& project) override;
  core::Status DeleteProject(Id project_id) override;
  core::Result<std::string> MemberRole(Id project_id, Id user_id) override;
  core::Status PutMember(Id project_id, Id user_id, const std::string& role) override;
  core::Status DeleteMember(Id project_id, Id user_id) override;
  core::Result<std::vector<Member>> ListMembers(Id project_id) override;
  core::Status PutSecret(Id project_id, const Secret& secret) override;
  core::Status DeleteSecret(Id project_id, const std::string& name) override;
  core::Result<std::vector<Secret>> ListSecrets(Id project_id) override;
  core::Status PutVariable(Id project_id, const Variable& variable) override;
  core::Status DeleteVariable(Id project_id, const std::string& name) override;
  core::Result<std::vector<Variable>> ListVariables(Id project_id) override;
  core::Status RecordDelivery(Id project_id, const std::string& delivery_id, int64_t now) override;

  core::Result<Run> CreateRun(const Run& run) override;
  core::Result<Run> GetRun(Id id) override;
  core::Result<std::vector<Run>> ListRuns(const RunFilter& filter) override;
  core::Result<int64_t> CountRuns(const RunFilter& filter) override;
  core::Result<std::vector<RunWorkflow>> ListRunWorkflows(Id project_id) override;
  core::Result<std::vector<Run>> ListActiveRuns() override;
  core::Status UpdateRun(const Run& run) override;
  core::Status RequestCancel(Id run_id) override;
  core::Result<Run> NewAttempt(Id run_id) override;
  core::Result<std::vector<Run>> EnterRunGroup(Id run_id, const std::string& group) override;
  core::Result<bool> AdmitRun(Id run_id) override;
  core::Result<std::vector<Job>> ListGroupJobs(Id project_id, const std::string& group) override;

  core::Result<Job> UpsertJob(const Job& job) override;
  core::Result<Job> GetJob(Id id) override;
  core::Result<std::vector<Job>> ListJobs(Id run_id, int attempt) override;
  core::Status UpdateJob(const Job& job) override;
  core::Result<Job> CompleteJob(const Job& job) override;
  core::Result<std::optional<Job>> LeaseJob(const std::vector<Id>& candidates,
                                            const LeaseRequest& request) override;
  core::Result<std::vector<Job>> ListQueuedJobs(int limit) override;
  core::Status RenewLease(Id job_id, const std::string& lease_id, int64_t expires_at) override;
  core::Result<std::vector<Job>> ListExpiredLeases(int64_t now) override;
  core::Status RequestJobCancel(Id job_id) override;
  core::Status RequeueJob(Id job_id, const std::string& lease_id, int64_t lease_expires_at,
                          bool executor_lost) override;
  core::Result<std::vector<RunProgress>> ListRunProgress(const std::string& owner) override;
  core::Status SetRunOwner(Id run_id, const std::string& owner, int64_t expires_at) override;
  core::Result<int64_t> RenewRunOwnership(const std::string& owner, int64_t expires_at) override;
  core::Result<std::vector<Run>> ClaimRuns(const std::string& owner, int64_t now,
                                           int64_t expires_at, bool include_own) override;
  core::Status StartRun(Id run_id, int64_t now) override;
  core::Status PutStep(const Step& step) override;
  core::Result<std::vector<Step>> ListSteps(Id job_id) override;

  core::Result<int64_t> AppendLogs(Id job_id, const std::vector<LogChunk>& chunks) override;
  core::Result<std::vector<LogChunk>> ReadLogs(Id job_id, int64_t offset,
                                               int64_t limit_bytes) override;
  core::Status AddAnnotations(Id job_id, const std::vector<Annotation>& annotations) override;
  core::Result<std::vector<Annotation>> ListAnnotations(Id job_id) override;

  core::Result<Artifact> CreateArtifact(const Artifact& artifact) override;
  core::Result<std::vector<Artifact>> ListArtifacts(Id run_id) override;
  core::Result<Artifact> GetArtifact(Id id) override;
  core::Status PutCache(const CacheEntry& entry) override;
  core::Result<CacheEntry> FindCache(Id project_id, const std::string& key,
                                     const std::vector<std::string>& restore_keys,
                                     const std::string& version) override;

  core::Result<Executor> CreateExecutor(const Executor& executor) override;
  core::Result<Executor> FindExecutorByTokenHash(const std::string& hash) override;
  core::Result<std::vector<Executor>> ListExecutors() override;
  core::Status UpdateExecutor(const Executor& executor) override;
  core::Status DeleteExecutor(Id id) override;
  core::Result<RegistrationToken> CreateRegistrationToken(const RegistrationToken& token) override;
  core::Status UseRegistrationToken(const std::string& hash, int64_t now) override;

  // Environments (sql_store_environments.cc).
  core::Result<std::vector<Environment>> ListEnvironments(Id project_id) override;
  core::Result<Environment> GetEnvironment(Id project_id, const std::string& name) override;
  core::Status PutEnvironment(Id project_id, const Environment& env) override;
  core::Result<Environment> EnsureEnvironment(Id project_id, const std::string& name) override;
  core::Status DeleteEnvironment(Id project_id, const std::string& name) override;
  core::Status PutEnvironmentSecret(Id project_id, const std::string& env,
                                    const Secret& secret) override;
  core::Status DeleteEnvironmentSecret(Id project_id, const std::string& env,
                                       const std::string& name) override;
  core::Result<std::vector<Secret>> ListEnvironmentSecrets(Id project_id,
                                                           const std::string& env) override;
  core::Status PutEnvironmentVariable(Id project_id, const std::string& env,
                                      const Variable& variable) override;
  core::Status DeleteEnvironmentVariable(Id project_id, const std::string& env,
                                         const std::string& name) override;
  core::Result<std::vector<Variable>> ListEnvironmentVariables(Id project_id,
                                                               const std::string& env) override;
  core::Status PutJobEnvironment(const JobEnvironment& je) override;
  core::Result<JobEnvironment> GetJobEnvironment(Id job_id) override;
  core::Result<std::vector<JobEnvironment>> ListJobEnvironments(Id run_id) override;
  core::Result<std::vector<JobEnvironment>> ListWaitingJobEnvironments() override;
  core::Result<bool> UpdateJobEnvironment(const JobEnvironment& je,
                                          const std::string& from_state) override;
  core::Result<bool> QueueWaitingJob(Id job_id) override;
  core::Status SetRunWaiting(Id run_id) override;
  core::Status AddEnvironmentApproval(const EnvironmentApproval& approval) override;
  core::Result<std::vector<EnvironmentApproval>> ListEnvironmentApprovals(Id run_id) override;

  // Branch protection (sql_store_protection.cc).
  core::Result<std::vector<BranchProtection>> ListBranchProtection(Id project_id) override;
  core::Status PutBranchProtection(Id project_id, const BranchProtection& rule) override;
  core::Status DeleteBranchProtection(Id project_id, const std::string& pattern) override;
  core::Result<Run> LatestRunOfRef(Id project_id, const std::string& ref) override;

  core::Result<std::vector<Pattern>> ListPatterns() override;
  core::Result<Pattern> GetPattern(const std::string& name) override;
  core::Status Audit(const AuditEvent& event) override;
  core::Result<std::vector<AuditEvent>> ListAudit(Id project_id, int limit) override;

  // Reports (sql_store_reports.cc).
  core::Status PutReport(const StoredReport& report) override;
  core::Result<std::vector<StoredReport>> ListReports(Id run_id, const std::string& kind) override;
  core::Result<std::vector<Run>> ListRunsWithReports(Id project_id, const std::string& ref,
                                                     const std::string& kind, Id before,
                                                     int limit) override;
  core::Status RecordFindings(Id project_id, const std::string& branch, Id run_id,
                              const std::vector<SecurityFinding>& findings,
                              const std::vector<std::string>& tools, int64_t now) override;
  core::Result<std::vector<SecurityFinding>> ListFindings(Id project_id, const std::string& branch,
                                                          const std::string& state) override;
  // Outbound deliveries (sql_store_deliveries.cc).
  core::Result<OutboundDelivery> EnqueueDelivery(const OutboundDelivery& delivery) override;
  core::Result<std::vector<OutboundDelivery>> ClaimDeliveries(const std::string& claimer,
                                                              int64_t now, int64_t claim_until,
                                                              int limit) override;
  core::Status FinishDelivery(const OutboundDelivery& delivery,
                              const std::string& claimer) override;
  // Deployments (sql_store_deployments.cc).
  core::Result<Deployment> CreateDeployment(const Deployment& deployment) override;
  core::Result<Deployment> UpdateDeploymentStatus(Id job_row_id, const std::string& status,
                                                  const std::string& url, int64_t now) override;
  core::Result<std::vector<Deployment>> ListDeployments(Id project_id,
                                                        const std::string& environment, int limit,
                                                        Id before) override;
  core::Result<Deployment> GetDeployment(Id project_id, Id id) override;
  core::Result<std::vector<OutboundDelivery>> ListDeliveries(Id project_id,
                                                             const std::string& state,
                                                             int limit) override;
  core::Status RetryDelivery(Id project_id, Id delivery_id, int64_t now) override;
  core::Status PutDeliverySetting(const std::string& scope, Id owner_id,
                                  const std::vector<uint8_t>& value, int64_t now) override;
  core::Result<std::vector<uint8_t>> GetDeliverySetting(const std::string& scope,
                                                        Id owner_id) override;
  core::Status DeleteDeliverySetting(const std::string& scope, Id owner_id) override;

  /// The driver underneath (migrations, tests).
  Database& database() { return *db_; }

 private:
  /// Runs `body` in a read or write transaction.
  core::Status Read(const std::function<core::Status(Connection&)>& body) {
    return db_->Transact(TxMode::kRead, body);
  }
  core::Status Write(const std::function<core::Status(Connection&)>& body) {
    return db_->Transact(TxMode::kWrite, body);
  }
  bool postgres() const { return db_->dialect() == store::Dialect::kPostgres; }

  std::unique_ptr<Database> db_;
};

// Shared by the sql_store_*.cc files.
namespace sql {

/// Unix milliseconds now (for rows whose caller left a time at 0).
int64_t NowMs();
/// `t`, or now when it is 0.
inline int64_t OrNow(int64_t t) { return t != 0 ? t : NowMs(); }

/// The single row of `rows`, or NotFound naming `what`.
core::Result<Row> One(core::Result<Rows> rows, const std::string& what);
/// NotFound naming `what` when `affected` is 0.
core::Status Affected(const core::Result<int64_t>& affected, const std::string& what);

/// Column lists and row decoders of the main tables, in the same order.
extern const char* const kRunColumns;
Run RunFrom(const Row& row);
extern const char* const kJobColumns;
Job JobFrom(const Row& row);

/// Runs `query` and decodes every row with `from`.
template <typename T, typename From>
core::Status Collect(Connection& conn, std::string_view query, const Params& params, From from,
                     std::vector<T>* out) {
  core::Result<Rows> rows = conn.Query(query, params);
  if (!rows.ok()) return rows.status();
  out->reserve(out->size() + rows->size());
  for (const Row& row : *rows) out->push_back(from(row));
  return core::Status::Ok();
}

}  // namespace sql
}  // namespace gantry::store
