#include "actions/cache_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unordered_set>
#include <utility>

#include "core/sha256.h"

namespace gantry::actions {

using core::Result;
using core::Status;

CacheFd& CacheFd::operator=(CacheFd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) close(fd_);
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

CacheFd::~CacheFd() {
  if (fd_ >= 0) close(fd_);
}

namespace {

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string EntryId(const std::string& scope, const std::string& version, const std::string& key) {
  core::Sha256 h;
  h.Update(scope);
  h.Update(std::string_view("\n", 1));
  h.Update(version);
  h.Update(std::string_view("\n", 1));
  h.Update(key);
  return core::Sha256::Hex(h.Finish());
}

bool SameFile(int fd, const std::string& path) {
  struct stat a {
  }, b{};
  return fstat(fd, &a) == 0 && stat(path.c_str(), &b) == 0 && a.st_dev == b.st_dev &&
         a.st_ino == b.st_ino;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

struct IndexedEntry {
  std::string id;
  CacheEntry entry;
};

}  // namespace

// The index, loaded under the store's flock; Save() replaces it atomically.
class CacheStore::Locked {
 public:
  static Result<Locked> Open(const std::string& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir + "/entries", ec);
    if (ec)
      return Status::Unavailable("cannot create the cache directory " + dir + ": " + ec.message());
    CacheFd lock(open((dir + "/lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    if (lock.get() < 0 || flock(lock.get(), LOCK_EX) != 0) {
      return Status::Unavailable("cannot lock the cache directory " + dir + ": " +
                                 std::strerror(errno));
    }
    Locked l(dir, std::move(lock));
    l.Load();
    return l;
  }

  std::string File(const std::string& id) const { return dir_ + "/entries/" + id + ".tar"; }

  Status Save() {
    nlohmann::json j;
    j["seq"] = seq_;
    j["entries"] = nlohmann::json::array();
    for (const auto& [id, e] : entries_) {
      j["entries"].push_back({{"id", id},
                              {"key", e.key},
                              {"version", e.version},
                              {"scope", e.scope},
                              {"size", e.size},
                              {"created", e.created},
                              {"accessed", e.accessed},
                              {"seq", e.seq}});
    }
    std::string tmp = dir_ + "/index.json.tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << j.dump();
      if (!out.flush()) return Status::Unavailable("cannot write the cache index " + tmp);
    }
    if (rename(tmp.c_str(), (dir_ + "/index.json").c_str()) != 0) {
      return Status::Unavailable("cannot replace the cache index in " + dir_ + ": " +
                                 std::strerror(errno));
    }
    return Status::Ok();
  }

  std::vector<IndexedEntry> entries_;
  uint64_t seq_ = 0;

 private:
  Locked(std::string dir, CacheFd lock) : dir_(std::move(dir)), lock_(std::move(lock)) {}

  // A missing or unreadable index is an empty one: the cache is only an optimisation, and
  // the next save's clean-up removes the entries it no longer knows.
  void Load() {
    std::ifstream in(dir_ + "/index.json");
    if (!in) return;
    try {
      nlohmann::json j = nlohmann::json::parse(in);
      seq_ = j.value("seq", uint64_t{0});
      for (const auto& x : j.at("entries")) {
        IndexedEntry ie;
        ie.id = x.at("id").get<std::string>();
        ie.entry.key = x.at("key").get<std::string>();
        ie.entry.version = x.at("version").get<std::string>();
        ie.entry.scope = x.at("scope").get<std::string>();
        ie.entry.size = x.at("size").get<uint64_t>();
        ie.entry.created = x.at("created").get<int64_t>();
        ie.entry.accessed = x.at("accessed").get<int64_t>();
        ie.entry.seq = x.at("seq").get<uint64_t>();
        ie.entry.file = File(ie.id);
        entries_.push_back(std::move(ie));
      }
    } catch (const nlohmann::json::exception&) {
      entries_.clear();
    }
  }

  std::string dir_;
  CacheFd lock_;
};

CacheStore::CacheStore(std::string dir, uint64_t max_bytes)
    : dir_(std::move(dir)), max_bytes_(max_bytes) {}

Result<std::optional<CacheMatch>> CacheStore::Lookup(const std::string& scope,
                                                     const std::string& version,
                                                     const std::vector<std::string>& keys) {
  auto locked = Locked::Open(dir_);
  if (!locked.ok()) return locked.status();
  auto& entries = locked->entries_;
  for (const auto& key : keys) {
    IndexedEntry* best = nullptr;
    for (auto& ie : entries) {
      const CacheEntry& e = ie.entry;
      if (e.scope != scope || e.version != version) continue;
      if (e.key == key) {
        best = &ie;
        break;
      }
      if (e.key.rfind(key, 0) == 0 &&
          (best == nullptr ||
           std::pair(e.created, e.seq) > std::pair(best->entry.created, best->entry.seq))) {
        best = &ie;
      }
    }
    if (best == nullptr) continue;
    CacheFd fd(open(best->entry.file.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) continue;  // removed behind the index's back: a miss
    best->entry.accessed = NowNs();
    CacheMatch match{best->entry, std::move(fd)};
    GANTRY_RETURN_IF_ERROR(locked->Save());
    return std::optional<CacheMatch>(std::move(match));
  }
  return std::optional<CacheMatch>();
}

Result<CacheReservation> CacheStore::Reserve(const std::string& scope, const std::string& version,
                                             const std::string& key) {
  CacheReservation r;
  r.id = EntryId(scope, version, key);
  r.key = key;
  r.version = version;
  r.scope = scope;
  r.part = dir_ + "/entries/" + r.id + ".tar.part";
  Status busy = Status::AlreadyExists("Unable to reserve cache with key " + key +
                                      ", another job may be creating this cache.");
  {
    auto locked = Locked::Open(dir_);  // creates the directories
    if (!locked.ok()) return locked.status();
    for (const auto& ie : locked->entries_) {
      if (ie.id == r.id) return busy;
    }
  }
  r.fd = CacheFd(open(r.part.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (r.fd.get() < 0) {
    return Status::Unavailable("cannot create " + r.part + ": " + std::strerror(errno));
  }
  // The flock is the reservation; a part file nobody holds is a crashed writer's, ours now.
  // The inode check catches a part renamed or removed between our open and our flock.
  if (flock(r.fd.get(), LOCK_EX | LOCK_NB) != 0 || !SameFile(r.fd.get(), r.part)) return busy;
  auto locked = Locked::Open(dir_);
  if (!locked.ok()) return locked.status();
  for (const auto& ie : locked->entries_) {
    if (ie.id == r.id) {  // committed between the first check and our flock
      unlink(r.part.c_str());
      return busy;
    }
  }
  if (ftruncate(r.fd.get(), 0) != 0) {
    return Status::Unavailable("cannot truncate " + r.part + ": " + std::strerror(errno));
  }
  return r;
}

void CacheStore::Abandon(CacheReservation reservation) {
  if (reservation.fd.get() >= 0 && SameFile(reservation.fd.get(), reservation.part)) {
    unlink(reservation.part.c_str());
  }
}

Status CacheStore::Commit(CacheReservation r) {
  struct stat st {};
  if (fsync(r.fd.get()) != 0 || fstat(r.fd.get(), &st) != 0) {
    Status s = Status::Unavailable("cannot write " + r.part + ": " + std::strerror(errno));
    Abandon(std::move(r));
    return s;
  }
  const auto size = static_cast<uint64_t>(st.st_size);
  if (size > max_bytes_) {
    std::ostringstream msg;
    msg << "Cache size of ~" << (size + (1 << 19)) / (1 << 20) << " MB (" << size
        << " B) is over the " << max_bytes_ << " B limit, not saving cache.";
    Abandon(std::move(r));
    return Status::InvalidArgument(msg.str());
  }
  auto locked = Locked::Open(dir_);
  if (!locked.ok()) {
    Abandon(std::move(r));
    return locked.status();
  }
  std::string file = locked->File(r.id);
  if (rename(r.part.c_str(), file.c_str()) != 0) {
    Status s = Status::Unavailable("cannot publish " + file + ": " + std::strerror(errno));
    Abandon(std::move(r));
    return s;
  }
  auto& entries = locked->entries_;
  std::erase_if(entries, [&](const IndexedEntry& ie) { return ie.id == r.id; });
  IndexedEntry added;
  added.id = r.id;
  added.entry = CacheEntry{r.key, r.version, r.scope, file, size, NowNs(), 0, ++locked->seq_};
  added.entry.accessed = added.entry.created;
  entries.push_back(added);

  // Leftovers of crashed writers and entries the index lost; we hold the index lock, so
  // nothing is between rename and index update right now.
  std::unordered_set<std::string> known;
  for (const auto& ie : entries) known.insert(ie.id + ".tar");
  std::string edir = dir_ + "/entries";
  if (DIR* d = opendir(edir.c_str())) {
    while (dirent* de = readdir(d)) {
      std::string name = de->d_name;
      std::string path = edir + "/" + name;
      if (EndsWith(name, ".tar.part")) {
        CacheFd fd(open(path.c_str(), O_RDWR | O_CLOEXEC));
        if (fd.get() >= 0 && flock(fd.get(), LOCK_EX | LOCK_NB) == 0 && SameFile(fd.get(), path)) {
          unlink(path.c_str());
        }
      } else if (EndsWith(name, ".tar") && !known.count(name)) {
        unlink(path.c_str());
      }
    }
    closedir(d);
  }
  std::erase_if(entries,
                [&](const IndexedEntry& ie) { return access(ie.entry.file.c_str(), F_OK) != 0; });

  // Least recently accessed first; the new entry goes last.
  uint64_t total = 0;
  for (const auto& ie : entries) total += ie.entry.size;
  if (total > max_bytes_) {
    std::sort(entries.begin(), entries.end(), [&](const IndexedEntry& a, const IndexedEntry& b) {
      if (a.id == r.id || b.id == r.id) return b.id == r.id && a.id != r.id;
      return std::pair(a.entry.accessed, a.entry.seq) < std::pair(b.entry.accessed, b.entry.seq);
    });
    size_t evict = 0;
    while (total > max_bytes_ && evict + 1 < entries.size()) {
      unlink(entries[evict].entry.file.c_str());
      total -= entries[evict].entry.size;
      ++evict;
    }
    entries.erase(entries.begin(), entries.begin() + static_cast<std::ptrdiff_t>(evict));
  }
  return locked->Save();
}

Result<std::vector<CacheEntry>> CacheStore::Entries() {
  auto locked = Locked::Open(dir_);
  if (!locked.ok()) return locked.status();
  std::vector<CacheEntry> out;
  for (const auto& ie : locked->entries_) out.push_back(ie.entry);
  std::sort(out.begin(), out.end(),
            [](const CacheEntry& a, const CacheEntry& b) { return a.seq < b.seq; });
  return out;
}

}  // namespace gantry::actions
