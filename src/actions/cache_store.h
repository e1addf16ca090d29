#pragma once

// The on-disk store behind actions/cache: immutable tar entries under <dir>/entries, named by
// a hash of (scope, version, key), and <dir>/index.json with each entry's key, version, size,
// creation and last access. The index is changed under an flock on <dir>/lock and replaced
// atomically; an entry is written to "<id>.tar.part" (flocked while written) and renamed into
// place, so a crash leaves at most a leftover the next save removes. Safe for several threads
// and processes at once.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace gantry::actions {

/// One saved entry.
struct CacheEntry {
  std::string key, version, scope;
  std::string file;      // absolute path of the tar
  uint64_t size = 0;     // bytes
  int64_t created = 0;   // ns since the epoch
  int64_t accessed = 0;  // ns since the epoch (last restore or lookup)
  uint64_t seq = 0;      // creation order (ties of `created`)
};

/// An open file descriptor that closes itself.
class CacheFd {
 public:
  CacheFd() = default;
  explicit CacheFd(int fd) : fd_(fd) {}
  CacheFd(CacheFd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  CacheFd& operator=(CacheFd&& o) noexcept;
  CacheFd(const CacheFd&) = delete;
  CacheFd& operator=(const CacheFd&) = delete;
  ~CacheFd();
  int get() const { return fd_; }

 private:
  int fd_ = -1;
};

/// A found entry, its tar opened (readable even if evicted meanwhile).
struct CacheMatch {
  CacheEntry entry;
  CacheFd fd;
};

/// The right to write one entry; created by CacheStore::Reserve.
struct CacheReservation {
  std::string id;  // sha256 of scope, version and key
  std::string key, version, scope;
  std::string part;  // "<dir>/entries/<id>.tar.part": write the tar here through `fd`
  CacheFd fd;        // holds the flock that marks the reservation
};

class CacheStore {
 public:
  CacheStore(std::string dir, uint64_t max_bytes);

  /// GitHub's matching: for each of `keys` in order (the primary key first), an entry with
  /// exactly that key, else the newest whose key starts with it; only entries of `scope` and
  /// `version`. Marks the match as accessed. nullopt when nothing matches.
  core::Result<std::optional<CacheMatch>> Lookup(const std::string& scope,
                                                 const std::string& version,
                                                 const std::vector<std::string>& keys);

  /// Reserves (scope, version, key) for writing. AlreadyExists "Unable to reserve cache with
  /// key <key>, another job may be creating this cache." when the entry exists or another
  /// writer holds it.
  core::Result<CacheReservation> Reserve(const std::string& scope, const std::string& version,
                                         const std::string& key);

  /// Publishes a written reservation: renames it into place, records it in the index, and
  /// evicts least recently accessed entries until the store fits max_bytes. Also removes
  /// leftovers of crashed writers. InvalidArgument when the entry alone exceeds max_bytes.
  core::Status Commit(CacheReservation reservation);

  /// Drops a reservation without publishing it.
  void Abandon(CacheReservation reservation);

  /// Every indexed entry (for tests and tools), oldest first.
  core::Result<std::vector<CacheEntry>> Entries();

  const std::string& dir() const { return dir_; }

 private:
  class Locked;
  std::string dir_;
  uint64_t max_bytes_;
};

}  // namespace gantry::actions
