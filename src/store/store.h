#pragma once

// The server's source of truth: users, tokens, projects, secrets, runs, jobs, steps, logs,
// artifacts, caches, executors, patterns and audit events. One interface, two databases
// (SQLite by default, PostgreSQL by configuration); the SQL lives below this header only.
// Every method is one transaction: when it returns OK the change is committed. All methods
// are thread-safe. Times are Unix milliseconds (UTC).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"

namespace gantry::store {

using Id = int64_t;

struct User {
  Id id = 0;
  std::string username;
  std::string email;
  std::string password_hash;  // Argon2id string (crypto_pwhash_str)
  bool is_admin = false;
  int64_t created_at = 0;
};

/// A login session or a personal access token; only the SHA-256 of the secret is stored.
struct Token {
  Id id = 0;
  Id user_id = 0;
  std::string kind;  // "session" or "pat"
  std::string name;
  std::string hash;        // hex SHA-256 of the token text
  std::string scopes;      // comma-separated ("repo,workflow"); "" = all of the user's rights
  int64_t expires_at = 0;  // 0 = never
  int64_t created_at = 0;
  int64_t last_used_at = 0;
};

struct Project {
  Id id = 0;
  std::string owner;  // "alice"
  std::string name;   // "shop" (full name owner/name)
  std::string repository;
  std::string default_branch;
  std::vector<uint8_t> webhook_secret;  // encrypted (secretbox) by the server
  int poll_interval_seconds = 0;        // 0 = no polling
  std::string last_polled_sha;  // JSON object {"refs/heads/main":"sha",...} of the last poll
  int64_t created_at = 0;
};

/// "owner", "maintainer", "developer", "viewer".
struct Member {
  Id project_id = 0;
  Id user_id = 0;
  std::string username;
  std::string role;
};

struct Secret {
  std::string name;
  std::vector<uint8_t> ciphertext;  // secretbox(nonce || box)
  int64_t updated_at = 0;
};

struct Variable {
  std::string name;
  std::string value;
  int64_t updated_at = 0;
};

/// GitHub's words: status queued | in_progress | waiting | completed; conclusion "" (not yet),
/// success | failure | cancelled | skipped | timed_out.
struct Run {
  Id id = 0;
  Id project_id = 0;
  int64_t number = 0;  // run_number: per project and workflow file, from 1
  int attempt = 1;
  std::string workflow_file;  // ".github/workflows/ci.yml"
  std::string workflow_name;
  std::string event;  // push, pull_request, workflow_dispatch, schedule
  std::string ref;    // refs/heads/main
  std::string sha;
  std::string actor;
  std::string title;  // display title (head commit message, PR title, "Manually run by x")
  std::string status = "queued";
  std::string conclusion;
  std::string event_payload;  // JSON
  std::string inputs;         // JSON object of dispatch inputs
  std::string error;          // a run-level error (workflow did not load ...)
  bool cancel_requested = false;
  int64_t created_at = 0;
  int64_t started_at = 0;
  int64_t completed_at = 0;
  /// When it last entered its `concurrency:` group (EnterRunGroup): larger is newer.
  int64_t group_order = 0;
};

/// One job instance of one attempt.
struct Job {
  Id id = 0;
  Id run_id = 0;
  int attempt = 1;
  std::string job_id;  // the id under jobs: (for a reusable workflow call, the caller's id)
  int instance = 0;    // matrix combination index
  std::string name;    // display name "test (linux, 20)"
  std::string status = "queued";
  std::string conclusion;
  std::string matrix;    // JSON object
  std::string strategy;  // JSON strategy context
  std::string needs;     // JSON needs context at start
  std::string outputs;   // JSON object, once completed
  std::string labels;    // JSON array of runs-on labels
  std::string error;
  std::string summary;  // markdown, masked
  bool continued_on_error = false;
  std::string executor;  // name of the executor that leased it
  std::string lease_id;
  int64_t lease_expires_at = 0;
  int64_t completion_seq = 0;  // order in which the run's jobs completed (replays the run state)
  int64_t created_at = 0;
  int64_t started_at = 0;
  int64_t completed_at = 0;
  /// What an executor needs to run it (docs/executor-protocol.md SPEC) without its secrets:
  /// written when the job is queued, so any server replica can lease it.
  std::string spec;
  bool cancel_requested = false;  // fail-fast or a cancel: heartbeats answer "cancel"
  int requeues = 0;               // times it was queued again after its executor was lost
  /// Its evaluated job-level `concurrency:` group ("" = none): not leased while another job of
  /// the group in the project is in progress.
  std::string concurrency_group;
};

/// An active run's cancel request and how many jobs of its current attempt are completed.
struct RunProgress {
  Id run_id = 0;
  bool cancel_requested = false;
  int64_t completed_jobs = 0;
};

struct Step {
  Id job_id = 0;
  int index = 0;
  std::string stage;  // "", "pre", "post"
  std::string name;
  std::string status = "queued";
  std::string conclusion;
  std::string outcome;
  std::string error;
  bool background = false;
  int64_t started_at = 0;
  int64_t completed_at = 0;
};

/// A batch of log text of one job (already masked). `seq` is the executor's per-job sequence
/// number: appending a chunk whose seq is already stored does nothing (retries are harmless).
struct LogChunk {
  Id job_id = 0;
  int64_t seq = 0;
  int step = -1;
  std::string data;    // lines, each ending in '\n'
  int64_t offset = 0;  // byte offset of this chunk in the job's log (set by the store)
};

struct Annotation {
  Id job_id = 0;
  int step = -1;
  int64_t seq = 0;  // the executor's per-job number (0: none); a repeated one is ignored
  std::string level;
  std::string message;
  std::string title;
  std::string file;
  int line = 0, end_line = 0, column = 0, end_column = 0;
};

struct Artifact {
  Id id = 0;
  Id run_id = 0;
  Id job_id = 0;
  std::string name;
  std::string path;  // file below the data directory
  int64_t size = 0;
  std::string sha256;
  int64_t created_at = 0;
};

struct CacheEntry {
  Id project_id = 0;
  std::string key;
  std::string version;
  std::string path;
  int64_t size = 0;
  int64_t created_at = 0;
};

struct Executor {
  Id id = 0;
  std::string name;
  std::string token_hash;
  std::string labels;  // JSON array
  std::string version;
  std::string state = "online";  // online | offline | disabled
  int capacity = 1;
  int64_t last_seen = 0;
  int64_t created_at = 0;
};

/// A token an admin hands to `gantry executor register` (stored as its hash).
struct RegistrationToken {
  Id id = 0;
  std::string token_hash;
  Id created_by = 0;
  int uses_left = 1;
  int64_t expires_at = 0;  // ms
  int64_t created_at = 0;
};

struct Pattern {
  std::string name;
  std::string description;
  std::string workflow;  // YAML
};

struct AuditEvent {
  Id id = 0;
  Id user_id = 0;  // 0 = the system
  Id project_id = 0;
  std::string action;  // "project.create", "secret.put", "run.cancel", ...
  std::string target;
  std::string details;  // JSON
  int64_t created_at = 0;
};

// ---- Environments (sql_store_environments.cc) ------------------------------------------------

/// A deployment environment of a project (`environment:` of a job) and its protection rules.
struct Environment {
  std::string name;
  std::vector<std::string> reviewers;  // usernames; any one of them (or an admin) decides
  int64_t wait_timer = 0;              // seconds a job waits after approval (or from its start)
  std::vector<std::string> branches;   // ref patterns allowed to deploy ([] = any)
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

/// A job instance that named an environment: state "waiting" (for reviewers or its wait
/// timer), "approved" (released to the queue), "rejected".
struct JobEnvironment {
  Id job_id = 0;
  Id run_id = 0;
  std::string environment;
  std::string url;
  std::string state = "waiting";
  bool needs_review = false;  // reviewers have not decided yet
  int64_t not_before = 0;     // when its wait timer ends (ms; 0 = not running)
  int64_t requested_at = 0;
};

/// One reviewer's decision on a run's environment.
struct EnvironmentApproval {
  Id id = 0;
  Id run_id = 0;
  std::string environment;
  Id user_id = 0;
  std::string username;
  bool approve = false;
  std::string comment;
  int64_t created_at = 0;
};

// ---- end of environments ----------------------------------------------------------------------

// ---- Branch protection (sql_store_protection.cc) ----

/// A branch protection rule of a project: pull requests into a branch `pattern` matches (a
/// GitHub-style glob, server/branch_pattern.h) need `required_checks` to pass.
struct BranchProtection {
  std::string pattern;
  std::vector<std::string> required_checks;  // check names (server/check_names.h)
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

// ---- End of branch protection ----

// ---- Outbound deliveries (commit statuses, PR comments, e-mail, webhooks) -------------------
// A durable outbox: rows are inserted where runs change state and sent by a delivery worker
// (server/deliveries.h) of any replica, which claims them first.

/// One message to send. kind: commit_status | pr_comment | email | webhook | slack; state:
/// pending | delivered | failed. `target` names where it goes (a URL, an address, "o/r@sha ctx").
struct OutboundDelivery {
  Id id = 0;
  Id project_id = 0;
  std::string kind;
  std::string target;
  std::string payload;  // JSON the sender reads; secrets in it are sealed by the server
  int attempts = 0;
  int64_t next_attempt_at = 0;
  std::string state = "pending";
  std::string last_error;
  int64_t created_at = 0;
  int64_t delivered_at = 0;
};
// ---- end of outbound deliveries -------------------------------------------------------------

// ---- Deployments (issue 15; sql_store_deployments.cc, migrations/*/008) ---------------------

/// A job with `environment:` deploying a commit to a named environment. status: queued |
/// in_progress | success | failure | cancelled | inactive.
struct Deployment {
  Id id = 0;
  Id project_id = 0;
  std::string environment;
  std::string sha;
  std::string ref;
  std::string workflow_file;
  Id run_id = 0;
  Id job_row_id = 0;   // the jobs row of the deploying job instance
  std::string job_id;  // its id under jobs:
  int attempt = 1;
  std::string actor;
  std::string status = "queued";
  std::string url;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};
// ---- end of deployments ------------------------------------------------------------------------

/// Filters of ListRuns and CountRuns; empty fields match everything. `before` is a cursor:
/// runs with a smaller id (newest first); `after` the other way: the `limit` runs with a
/// larger id nearest to it (still returned newest first); `offset` skips that many matches
/// (page numbers).
struct RunFilter {
  Id project_id = 0;
  std::string status;  // a status or a conclusion
  std::string branch;  // matches ref refs/heads/<branch>
  std::string event;
  std::string workflow_file;
  std::string actor;
  std::string sha;           // head commit
  int64_t created_from = 0;  // created_at >= this (Unix ms); 0 = no bound
  int64_t created_to = 0;    // created_at < this (Unix ms); 0 = no bound
  Id before = 0;
  Id after = 0;  // used only when `before` is 0
  int limit = 30;
  int64_t offset = 0;
};

/// A workflow file runs of a project were made from, with the newest run's workflow name.
struct RunWorkflow {
  std::string file;  // ".github/workflows/ci.yml"
  std::string name;
};

/// A job a lease may hand out: queued, with its run's project, newest attempt.
struct LeaseRequest {
  std::string executor;
  std::string lease_id;
  int64_t now = 0;
  int64_t expires_at = 0;
};

// ---- Reports (issue 14): coverage, tests, security findings ---------------------------------

/// One report a step of a job handed over (reports/report.h), as the server stored it.
struct StoredReport {
  Id id = 0;
  Id run_id = 0;
  Id job_id = 0;
  int attempt = 1;
  std::string job_key;   // "<job id under jobs:>#<matrix instance>": the same job across attempts
  std::string job_name;  // display name
  int step = 0;
  std::string kind;                             // "coverage" | "tests" | "security"
  int64_t lines_total = 0, lines_covered = 0;   // coverage
  int64_t passed = 0, failed = 0, skipped = 0;  // tests
  std::string data;                             // the wire JSON, masked
  int64_t created_at = 0;
};

/// A security finding of a project's branch, deduplicated by fingerprint.
struct SecurityFinding {
  Id id = 0;
  Id project_id = 0;
  std::string branch;
  std::string fingerprint;
  std::string tool, rule_id, severity, message, file;
  int line = 0;
  std::string state = "open";  // open | fixed
  Id first_seen_run_id = 0;
  Id last_seen_run_id = 0;
  Id fixed_run_id = 0;  // 0 while open
  int64_t updated_at = 0;
};

// ---- end of reports ---------------------------------------------------------------------------

class Store {
 public:
  virtual ~Store() = default;

  /// "sqlite" or "postgres".
  virtual std::string Dialect() const = 0;
  /// The schema version applied (highest migration number).
  virtual core::Result<int> SchemaVersion() = 0;
  /// A trivial query: the database answers (for /ready).
  virtual core::Status Ping() = 0;

  // Users and tokens. AlreadyExists for a taken username.
  virtual core::Result<User> CreateUser(const User& user) = 0;  // first user becomes admin
  virtual core::Result<User> GetUser(Id id) = 0;
  virtual core::Result<User> GetUserByName(const std::string& username) = 0;
  virtual core::Result<int64_t> CountUsers() = 0;
  virtual core::Result<Token> CreateToken(const Token& token) = 0;
  /// NotFound when no token has this hash or it expired at `now`; updates last_used_at.
  virtual core::Result<Token> FindToken(const std::string& hash, int64_t now) = 0;
  virtual core::Result<std::vector<Token>> ListTokens(Id user_id, const std::string& kind) = 0;
  virtual core::Status DeleteToken(Id user_id, Id token_id) = 0;
  virtual core::Status DeleteTokenByHash(const std::string& hash) = 0;

  // Projects, members, secrets, variables.
  /// AlreadyExists for a taken owner/name. The creator becomes a member with role "owner".
  virtual core::Result<Project> CreateProject(const Project& project, Id creator) = 0;
  virtual core::Result<Project> GetProject(Id id) = 0;
  virtual core::Result<Project> GetProjectByName(const std::string& owner,
                                                 const std::string& name) = 0;
  /// Projects `user_id` is a member of (every project for an admin when `all` is set).
  virtual core::Result<std::vector<Project>> ListProjects(Id user_id, bool all) = 0;
  virtual core::Status UpdateProjectPoll(Id project_id, const std::string& last_polled) = 0;
  /// Writes the settings of project `project.id`: repository, default_branch,
  /// poll_interval_seconds, webhook_secret and last_polled_sha. NotFound when it is gone.
  virtual core::Status UpdateProject(const Project& project) = 0;
  virtual core::Status DeleteProject(Id project_id) = 0;
  /// "" when the user is not a member.
  virtual core::Result<std::string> MemberRole(Id project_id, Id user_id) = 0;
  virtual core::Status PutMember(Id project_id, Id user_id, const std::string& role) = 0;
  virtual core::Status DeleteMember(Id project_id, Id user_id) = 0;
  virtual core::Result<std::vector<Member>> ListMembers(Id project_id) = 0;
  virtual core::Status PutSecret(Id project_id, const Secret& secret) = 0;
  virtual core::Status DeleteSecret(Id project_id, const std::string& name) = 0;
  /// With ciphertexts (the server decrypts them for the jobs that reference them).
  virtual core::Result<std::vector<Secret>> ListSecrets(Id project_id) = 0;
  virtual core::Status PutVariable(Id project_id, const Variable& variable) = 0;
  virtual core::Status DeleteVariable(Id project_id, const std::string& name) = 0;
  virtual core::Result<std::vector<Variable>> ListVariables(Id project_id) = 0;

  /// Records a webhook delivery id; AlreadyExists when this project saw it before.
  virtual core::Status RecordDelivery(Id project_id, const std::string& delivery_id,
                                      int64_t now) = 0;

  // Runs, jobs, steps.
  /// Inserts a run with the next run_number for (project, workflow_file).
  virtual core::Result<Run> CreateRun(const Run& run) = 0;
  virtual core::Result<Run> GetRun(Id id) = 0;
  virtual core::Result<std::vector<Run>> ListRuns(const RunFilter& filter) = 0;
  /// How many runs match `filter` (its before, after, limit and offset ignored).
  virtual core::Result<int64_t> CountRuns(const RunFilter& filter) = 0;
  /// The distinct workflow files of a project's runs, sorted by file.
  virtual core::Result<std::vector<RunWorkflow>> ListRunWorkflows(Id project_id) = 0;
  /// Runs whose status is not completed (for the scheduler at start-up).
  virtual core::Result<std::vector<Run>> ListActiveRuns() = 0;
  /// Sets status, conclusion, error, started_at/completed_at (0 = unchanged) of the run.
  virtual core::Status UpdateRun(const Run& run) = 0;
  virtual core::Status RequestCancel(Id run_id) = 0;
  /// Starts a new attempt: attempt+1, status queued, conclusion "", cancel_requested false.
  virtual core::Result<Run> NewAttempt(Id run_id) = 0;

  /// Inserts a job instance of (run, attempt); when one with the same (run, attempt, job_id,
  /// instance) exists it is returned unchanged (idempotent replays).
  virtual core::Result<Job> UpsertJob(const Job& job) = 0;
  virtual core::Result<Job> GetJob(Id id) = 0;
  /// Jobs of one attempt (0 = the run's newest), in insertion order.
  virtual core::Result<std::vector<Job>> ListJobs(Id run_id, int attempt) = 0;
  /// Writes every field of the job (status, conclusion, outputs, lease, times ...).
  virtual core::Status UpdateJob(const Job& job) = 0;
  /// Completes a job: status completed, conclusion, outputs, error, summary, completed_at, and
  /// completion_seq = the run's next; clears the lease. started_at and executor are written
  /// when given (non-zero, non-empty: a rerun carrying a result over), else kept.
  /// FailedPrecondition-like InvalidArgument when the job is already completed (the caller treats
  /// that as a duplicate).
  virtual core::Result<Job> CompleteJob(const Job& job) = 0;
  /// Atomically hands out the oldest queued job (of a run that is not completed) whose id is
  /// in `candidates` (the caller's label match), setting status in_progress, executor,
  /// lease_id, lease_expires_at, started_at. nullopt when none is free.
  virtual core::Result<std::optional<Job>> LeaseJob(const std::vector<Id>& candidates,
                                                    const LeaseRequest& request) = 0;
  /// Queued jobs, oldest first (the scheduler matches labels).
  virtual core::Result<std::vector<Job>> ListQueuedJobs(int limit) = 0;
  /// Extends a lease; NotFound when `lease_id` no longer holds the job.
  virtual core::Status RenewLease(Id job_id, const std::string& lease_id, int64_t expires_at) = 0;
  /// In-progress jobs whose lease expired before `now`.
  virtual core::Result<std::vector<Job>> ListExpiredLeases(int64_t now) = 0;
  /// Marks a job for cancellation; the next heartbeat of its executor answers "cancel".
  virtual core::Status RequestJobCancel(Id job_id) = 0;
  /// Puts an in-progress job held by `lease_id` until `lease_expires_at` back in the queue
  /// (NotFound when that lease no longer holds it, or was renewed meanwhile). With
  /// `executor_lost`, its requeue count grows and its log's and annotations' sequence numbers
  /// move out of the way of the next executor's: it starts over on another executor.
  virtual core::Status RequeueJob(Id job_id, const std::string& lease_id, int64_t lease_expires_at,
                                  bool executor_lost) = 0;
  /// Where each active run `owner` drives stands: how its owner hears of the completions
  /// and cancels other replicas committed.
  virtual core::Result<std::vector<RunProgress>> ListRunProgress(const std::string& owner) = 0;

  // Run ownership among server replicas (docs/scale-out.md).
  /// Makes `owner` the run's owner until `expires_at`.
  virtual core::Status SetRunOwner(Id run_id, const std::string& owner, int64_t expires_at) = 0;
  /// Extends every active run of `owner` to `expires_at`; returns how many.
  virtual core::Result<int64_t> RenewRunOwnership(const std::string& owner, int64_t expires_at) = 0;
  /// Takes over the active runs whose owner's claim ended before `now`, those without an owner
  /// created over a minute before `now`, and, with `include_own`, those `owner` already has
  /// (a restarted replica); returns them.
  virtual core::Result<std::vector<Run>> ClaimRuns(const std::string& owner, int64_t now,
                                                   int64_t expires_at, bool include_own) = 0;
  // `concurrency:` groups of runs (engine/concurrency.h).
  /// Puts the run in `group` of its project: status queued → pending, and its group_order after
  /// every other run's of the project. Returns the group's other runs that are not completed,
  /// in the order they entered.
  virtual core::Result<std::vector<Run>> EnterRunGroup(Id run_id, const std::string& group) = 0;
  /// pending → queued when no other run of the group is queued or in progress, none newer (a
  /// larger group_order) is pending (and not cancelled), and the run is not cancelled; false
  /// otherwise. Safe with several replicas (serialized on the project's row).
  virtual core::Result<bool> AdmitRun(Id run_id) = 0;
  /// Jobs of the project's runs (newest attempts) in job-level `group` that are queued or in
  /// progress, oldest first.
  virtual core::Result<std::vector<Job>> ListGroupJobs(Id project_id, const std::string& group) = 0;
  /// queued → in_progress when its first job is leased (no-op otherwise).
  virtual core::Status StartRun(Id run_id, int64_t now) = 0;
  virtual core::Status PutStep(const Step& step) = 0;  // upsert by (job_id, stage, index)
  virtual core::Result<std::vector<Step>> ListSteps(Id job_id) = 0;

  // Logs, annotations.
  /// Appends chunks (ignoring seqs already stored); returns the job's log size in bytes.
  virtual core::Result<int64_t> AppendLogs(Id job_id, const std::vector<LogChunk>& chunks) = 0;
  /// Chunks whose data ends after byte `offset`, in order, at most `limit_bytes` (at least one).
  virtual core::Result<std::vector<LogChunk>> ReadLogs(Id job_id, int64_t offset,
                                                       int64_t limit_bytes) = 0;
  virtual core::Status AddAnnotations(Id job_id, const std::vector<Annotation>& annotations) = 0;
  virtual core::Result<std::vector<Annotation>> ListAnnotations(Id job_id) = 0;

  // Artifacts and caches.
  /// Upsert by (run_id, name).
  virtual core::Result<Artifact> CreateArtifact(const Artifact& artifact) = 0;
  virtual core::Result<std::vector<Artifact>> ListArtifacts(Id run_id) = 0;
  virtual core::Result<Artifact> GetArtifact(Id id) = 0;
  virtual core::Status PutCache(const CacheEntry& entry) = 0;
  /// Exact key first, then the newest entry whose key starts with one of `restore_keys`.
  virtual core::Result<CacheEntry> FindCache(Id project_id, const std::string& key,
                                             const std::vector<std::string>& restore_keys,
                                             const std::string& version) = 0;

  // Executors.
  virtual core::Result<Executor> CreateExecutor(const Executor& executor) = 0;
  virtual core::Result<Executor> FindExecutorByTokenHash(const std::string& hash) = 0;
  virtual core::Result<std::vector<Executor>> ListExecutors() = 0;
  virtual core::Status UpdateExecutor(const Executor& executor) = 0;
  /// NotFound when there is no executor `id`.
  virtual core::Status DeleteExecutor(Id id) = 0;
  virtual core::Result<RegistrationToken> CreateRegistrationToken(
      const RegistrationToken& token) = 0;
  /// Takes one use of the token whose hash is `hash`, atomically. NotFound when there is no
  /// such token, PermissionDenied when it expired before `now` or has no use left.
  virtual core::Status UseRegistrationToken(const std::string& hash, int64_t now) = 0;

  // ---- Environments (sql_store_environments.cc) ----------------------------------------------
  /// A project's environments, sorted by name.
  virtual core::Result<std::vector<Environment>> ListEnvironments(Id project_id) = 0;
  /// NotFound naming the environment. Names compare case-insensitively, as on GitHub.
  virtual core::Result<Environment> GetEnvironment(Id project_id, const std::string& name) = 0;
  /// Creates or replaces the rules of `env.name` (created_at kept; times 0 = now).
  virtual core::Status PutEnvironment(Id project_id, const Environment& env) = 0;
  /// The environment `name`, created without rules when it does not exist (first use).
  virtual core::Result<Environment> EnsureEnvironment(Id project_id, const std::string& name) = 0;
  /// Deletes the environment with its secrets and variables; NotFound naming it.
  virtual core::Status DeleteEnvironment(Id project_id, const std::string& name) = 0;
  virtual core::Status PutEnvironmentSecret(Id project_id, const std::string& env,
                                            const Secret& secret) = 0;
  virtual core::Status DeleteEnvironmentSecret(Id project_id, const std::string& env,
                                               const std::string& name) = 0;
  virtual core::Result<std::vector<Secret>> ListEnvironmentSecrets(Id project_id,
                                                                   const std::string& env) = 0;
  virtual core::Status PutEnvironmentVariable(Id project_id, const std::string& env,
                                              const Variable& variable) = 0;
  virtual core::Status DeleteEnvironmentVariable(Id project_id, const std::string& env,
                                                 const std::string& name) = 0;
  virtual core::Result<std::vector<Variable>> ListEnvironmentVariables(Id project_id,
                                                                       const std::string& env) = 0;
  /// Records the environment of a job (an existing record is kept: idempotent replays).
  virtual core::Status PutJobEnvironment(const JobEnvironment& je) = 0;
  /// NotFound when the job named no environment.
  virtual core::Result<JobEnvironment> GetJobEnvironment(Id job_id) = 0;
  /// The run's job environments (all attempts), by job id.
  virtual core::Result<std::vector<JobEnvironment>> ListJobEnvironments(Id run_id) = 0;
  /// Every job environment in state "waiting" whose job is still waiting (all runs).
  virtual core::Result<std::vector<JobEnvironment>> ListWaitingJobEnvironments() = 0;
  /// Writes state, needs_review and not_before of `je.job_id` when its state is still
  /// `from_state`; false when it was not (another replica decided first).
  virtual core::Result<bool> UpdateJobEnvironment(const JobEnvironment& je,
                                                  const std::string& from_state) = 0;
  /// A waiting job becomes queued (and its run, with no other waiting job, queued or
  /// in_progress again); false when it was no longer waiting.
  virtual core::Result<bool> QueueWaitingJob(Id job_id) = 0;
  /// A queued or in_progress run becomes "waiting".
  virtual core::Status SetRunWaiting(Id run_id) = 0;
  virtual core::Status AddEnvironmentApproval(const EnvironmentApproval& approval) = 0;
  /// A run's decisions, oldest first.
  virtual core::Result<std::vector<EnvironmentApproval>> ListEnvironmentApprovals(Id run_id) = 0;
  // ---- end of environments --------------------------------------------------------------------

  // ---- Branch protection (sql_store_protection.cc) ----
  /// A project's rules, sorted by pattern.
  virtual core::Result<std::vector<BranchProtection>> ListBranchProtection(Id project_id) = 0;
  /// Creates or replaces the rule of `rule.pattern` (created_at kept on replace; times 0 =
  /// now).
  virtual core::Status PutBranchProtection(Id project_id, const BranchProtection& rule) = 0;
  /// NotFound naming the pattern when the project has no such rule.
  virtual core::Status DeleteBranchProtection(Id project_id, const std::string& pattern) = 0;
  /// The newest run (highest id) of the project on `ref` (e.g. "refs/pull/7/head"), or
  /// NotFound.
  virtual core::Result<Run> LatestRunOfRef(Id project_id, const std::string& ref) = 0;
  // ---- End of branch protection ----

  // Patterns and audit.
  virtual core::Result<std::vector<Pattern>> ListPatterns() = 0;
  virtual core::Result<Pattern> GetPattern(const std::string& name) = 0;
  virtual core::Status Audit(const AuditEvent& event) = 0;
  virtual core::Result<std::vector<AuditEvent>> ListAudit(Id project_id, int limit) = 0;

  // ---- Reports (issue 14) ----------------------------------------------------------------------
  /// Stores a report; one per (job_id, step, kind): a report sent again replaces the first.
  virtual core::Status PutReport(const StoredReport& report) = 0;
  /// The reports of a run, every attempt, of `kind` ("" = all kinds), in id order.
  virtual core::Result<std::vector<StoredReport>> ListReports(Id run_id,
                                                              const std::string& kind) = 0;
  /// Completed runs of a project on `ref` that have a report of `kind`, newest first, with an id
  /// below `before` (0 = no bound), at most `limit`.
  virtual core::Result<std::vector<Run>> ListRunsWithReports(Id project_id, const std::string& ref,
                                                             const std::string& kind, Id before,
                                                             int limit) = 0;
  /// Records what run `run_id` reported on `branch`: each of `findings` (by fingerprint) is open
  /// with last_seen_run_id = run_id (first_seen_run_id = run_id when new); then the open findings
  /// of the branch last seen by an older run become fixed in run_id, those of `tools` only unless
  /// `tools` is empty (every tool). A finding already seen by a newer run is left as it is.
  virtual core::Status RecordFindings(Id project_id, const std::string& branch, Id run_id,
                                      const std::vector<SecurityFinding>& findings,
                                      const std::vector<std::string>& tools, int64_t now) = 0;
  /// Findings of a branch in `state` ("open", "fixed"; "" = all), by severity then id.
  virtual core::Result<std::vector<SecurityFinding>> ListFindings(Id project_id,
                                                                  const std::string& branch,
                                                                  const std::string& state) = 0;
  // ---- end of reports ------------------------------------------------------------------------

  // ---- Outbound deliveries (server/deliveries.h) ----------------------------------------------
  /// Inserts a pending delivery (attempts 0, due at `next_attempt_at`, now when 0).
  virtual core::Result<OutboundDelivery> EnqueueDelivery(const OutboundDelivery& delivery) = 0;
  /// Claims up to `limit` pending deliveries due at `now` that no live claim holds, for
  /// `claimer` until `claim_until`, oldest first. A delivery waits while an older pending one
  /// with the same kind and target exists (statuses and comments arrive in order). Safe with
  /// several replicas: each row is claimed by one UPDATE … WHERE.
  virtual core::Result<std::vector<OutboundDelivery>> ClaimDeliveries(const std::string& claimer,
                                                                      int64_t now,
                                                                      int64_t claim_until,
                                                                      int limit) = 0;
  /// Records an attempt of a delivery `claimer` holds: its new state (pending again with
  /// `next_attempt_at`, delivered or failed), error and attempt count; releases the claim.
  /// NotFound when the claim was lost.
  virtual core::Status FinishDelivery(const OutboundDelivery& delivery,
                                      const std::string& claimer) = 0;
  /// A project's deliveries, newest first; `state` "" = all.
  virtual core::Result<std::vector<OutboundDelivery>> ListDeliveries(Id project_id,
                                                                     const std::string& state,
                                                                     int limit) = 0;
  /// Makes a delivery of the project pending again, due at `now`, with its attempts reset.
  /// NotFound when the project has no such delivery.
  virtual core::Status RetryDelivery(Id project_id, Id delivery_id, int64_t now) = 0;
  /// Delivery settings by scope ("forge", "notifications", "user_notifications",
  /// "pr_comment:o/r#N") of an owner (a project or a user id); bytes as given (sealed by the caller
  /// when secret). Get: NotFound when unset.
  virtual core::Status PutDeliverySetting(const std::string& scope, Id owner_id,
                                          const std::vector<uint8_t>& value, int64_t now) = 0;
  virtual core::Result<std::vector<uint8_t>> GetDeliverySetting(const std::string& scope,
                                                                Id owner_id) = 0;
  virtual core::Status DeleteDeliverySetting(const std::string& scope, Id owner_id) = 0;
  // ---- end of outbound deliveries -------------------------------------------------------------

  // ---- Deployments (issue 15; sql_store_deployments.cc) ----------------------------------------
  /// Records the deployment of a job row; when one exists for `job_row_id` it is returned
  /// unchanged (the scheduler's hooks may replay).
  virtual core::Result<Deployment> CreateDeployment(const Deployment& deployment) = 0;
  /// Sets the status (and url when not empty) of the deployment of job row `job_row_id` at
  /// `now`; a success makes the environment's older successful deployments inactive. NotFound
  /// when that job row has no deployment.
  virtual core::Result<Deployment> UpdateDeploymentStatus(Id job_row_id, const std::string& status,
                                                          const std::string& url, int64_t now) = 0;
  /// A project's deployments, newest first; `environment` "" = every environment; `before` > 0
  /// = only ids below it.
  virtual core::Result<std::vector<Deployment>> ListDeployments(Id project_id,
                                                                const std::string& environment,
                                                                int limit, Id before = 0) = 0;
  /// One deployment of a project; NotFound otherwise.
  virtual core::Result<Deployment> GetDeployment(Id project_id, Id id) = 0;
  // ---- end of deployments ----------------------------------------------------------------------
};

/// Opens the database named by `url`: "sqlite:///path/to/gantry.db" or a bare path (SQLite,
/// WAL), or "postgres://user:pass@host:port/db" / "postgresql://…" (libpq, a small pool).
/// Applies the migrations in `migrations_dir` (or the ones compiled into the binary when empty)
/// unless `migrate` is false. FailedPrecondition-like InvalidArgument when the database's schema
/// is newer than this binary knows ("the database is at schema version 7; this gantry knows
/// up to 3: upgrade gantry").
core::Result<std::unique_ptr<Store>> OpenStore(const std::string& url, bool migrate = true);

/// As above, with the migrations read from `migrations_dir` (a folder laid out like the source
/// tree's migrations/: <dialect>/NNN_name.sql and seed_base.sql); "" = the compiled-in ones.
core::Result<std::unique_ptr<Store>> OpenStore(const std::string& url, bool migrate,
                                               const std::string& migrations_dir);

/// Applies pending migrations; returns the version before and after.
core::Result<std::pair<int, int>> Migrate(const std::string& url);
/// As above, with the migrations of `migrations_dir` ("" = the compiled-in ones).
core::Result<std::pair<int, int>> Migrate(const std::string& url,
                                          const std::string& migrations_dir);

}  // namespace gantry::store
