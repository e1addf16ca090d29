#include "actions/cache_archive.h"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <unordered_set>
#include <utility>

#include "backend/archive_lib.h"
#include "core/glob.h"

namespace gantry::actions {
namespace {

using core::Result;
using core::Status;

// libarchive's functions: WriteCacheArchive and ExtractCacheArchive load it before any use.
const backend::LibArchive& Ar() { return backend::LibArchive::Get(); }

struct ArchiveCloser {
  void operator()(archive* a) const {
    if (a != nullptr) Ar().free(a);  // also closes
  }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveCloser>;
struct EntryFree {
  void operator()(archive_entry* e) const { Ar().entry_free(e); }
};
using EntryPtr = std::unique_ptr<archive_entry, EntryFree>;

struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

std::string Errno() { return std::strerror(errno); }

using core::HasGlobMagic;

std::vector<std::string> Components(std::string_view path) { return core::SplitPathSegments(path); }

// "." and ".." folded without touching the file system (an absolute path stays absolute).
std::vector<std::string> NormalComponents(std::string_view path) {
  std::vector<std::string> out;
  for (auto& c : Components(path)) {
    if (c == ".") continue;
    if (c == "..") {
      if (!out.empty()) out.pop_back();
      continue;
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::string JoinComponents(const std::vector<std::string>& comps, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += "/" + comps[i];
  return out.empty() ? "/" : out;
}

std::string Join(const std::string& dir, std::string_view name) {
  return dir == "/" ? "/" + std::string(name) : dir + "/" + std::string(name);
}

// Matches path components against pattern components; `**` spans any number of components.
bool MatchComponents(const std::vector<std::string>& pat, size_t pi,
                     const std::vector<std::string>& path, size_t qi) {
  while (pi < pat.size()) {
    if (pat[pi] == "**") {
      for (size_t k = qi; k <= path.size(); ++k) {
        if (MatchComponents(pat, pi + 1, path, k)) return true;
      }
      return false;
    }
    if (qi >= path.size() || fnmatch(pat[pi].c_str(), path[qi].c_str(), 0) != 0) return false;
    ++pi;
    ++qi;
  }
  return qi == path.size();
}

std::vector<std::string> SortedNames(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return names;
  while (dirent* e = readdir(d)) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    names.emplace_back(e->d_name);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

class Writer {
 public:
  Writer(const CachePaths& paths, archive* a, std::function<void(std::string_view)> warn)
      : paths_(paths), a_(a), warn_(std::move(warn)), entry_(Ar().entry_new()) {
    for (const auto& e : paths_.excludes) excludes_.push_back(Components(e));
  }

  Status Run() {
    for (size_t r = 0; r < paths_.includes.size(); ++r) {
      auto comps = Components(paths_.includes[r]);
      size_t start = Components(paths_.roots[r]).size();
      GANTRY_RETURN_IF_ERROR(Expand(r, paths_.roots[r], comps, start));
    }
    return Status::Ok();
  }
  uint64_t members() const { return members_; }

 private:
  Status Expand(size_t root, const std::string& dir, const std::vector<std::string>& comps,
                size_t i) {
    if (i == comps.size()) return AddTree(root, dir);
    const std::string& comp = comps[i];
    if (comp == "**") {
      if (i + 1 == comps.size()) return AddTree(root, dir);
      GANTRY_RETURN_IF_ERROR(Expand(root, dir, comps, i + 1));
      for (const auto& name : SortedNames(dir)) {
        std::string sub = Join(dir, name);
        struct stat st {};
        if (lstat(sub.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && !Excluded(sub)) {
          GANTRY_RETURN_IF_ERROR(Expand(root, sub, comps, i));
        }
      }
      return Status::Ok();
    }
    if (!HasGlobMagic(comp)) return Expand(root, Join(dir, comp), comps, i + 1);
    for (const auto& name : SortedNames(dir)) {
      if (fnmatch(comp.c_str(), name.c_str(), 0) != 0) continue;
      std::string sub = Join(dir, name);
      if (i + 1 < comps.size()) {
        struct stat st {};
        if (lstat(sub.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) continue;
      }
      GANTRY_RETURN_IF_ERROR(Expand(root, sub, comps, i + 1));
    }
    return Status::Ok();
  }

  bool Excluded(const std::string& path) const {
    if (excludes_.empty()) return false;
    auto comps = Components(path);
    std::vector<std::string> prefix;
    for (auto& c : comps) {
      prefix.push_back(std::move(c));
      for (const auto& ex : excludes_) {
        if (MatchComponents(ex, 0, prefix, 0)) return true;
      }
    }
    return false;
  }

  Status AddTree(size_t root, const std::string& path) {
    struct stat st {};
    if (lstat(path.c_str(), &st) != 0) return Status::Ok();  // a pattern that matches nothing
    if (Excluded(path) || !seen_.insert(path).second) return Status::Ok();
    const std::string& base = paths_.roots[root];
    if (path == base) {  // `dir/**`: the root is no member of its own, its contents are
      if (!S_ISDIR(st.st_mode)) return Status::Ok();
      for (const auto& name : SortedNames(path)) {
        GANTRY_RETURN_IF_ERROR(AddTree(root, Join(path, name)));
      }
      return Status::Ok();
    }
    std::string member =
        std::to_string(root) + "/" + path.substr(base == "/" ? 1 : base.size() + 1);

    archive_entry* e = entry_.get();
    Ar().entry_clear(e);
    Ar().entry_set_pathname(e, member.c_str());
    Ar().entry_set_mode(e, st.st_mode);
    Ar().entry_set_mtime(e, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    if (S_ISREG(st.st_mode)) {
      Fd in(open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
      if (in.fd < 0) {
        warn_("cannot read " + path + ": " + Errno() + "; not cached");
        return Status::Ok();
      }
      Ar().entry_set_size(e, st.st_size);
      GANTRY_RETURN_IF_ERROR(Header(path));
      int64_t left = st.st_size;
      while (left > 0) {
        ssize_t n = read(in.fd, buffer_.data(), std::min<int64_t>(left, buffer_.size()));
        if (n <= 0) break;  // a file that shrank meanwhile: libarchive pads it with zeros
        if (Ar().write_data(a_, buffer_.data(), n) != n) return Fail(path);
        left -= n;
      }
    } else if (S_ISLNK(st.st_mode)) {
      std::string target(st.st_size > 0 ? st.st_size + 1 : 4096, '\0');
      ssize_t n = readlink(path.c_str(), target.data(), target.size());
      if (n < 0) {
        warn_("cannot read the symlink " + path + ": " + Errno() + "; not cached");
        return Status::Ok();
      }
      target.resize(n);
      Ar().entry_set_symlink(e, target.c_str());
      GANTRY_RETURN_IF_ERROR(Header(path));
    } else if (S_ISDIR(st.st_mode)) {
      GANTRY_RETURN_IF_ERROR(Header(path));
      for (const auto& name : SortedNames(path)) {
        GANTRY_RETURN_IF_ERROR(AddTree(root, Join(path, name)));
      }
    } else {
      warn_(path + " is not a file, directory or symlink; not cached");
    }
    return Status::Ok();
  }

  Status Header(const std::string& path) {
    if (Ar().write_header(a_, entry_.get()) != ARCHIVE_OK) return Fail(path);
    ++members_;
    return Status::Ok();
  }

  Status Fail(const std::string& path) const {
    return Status::Internal("cannot archive " + path + ": " + Ar().error_string(a_));
  }

  const CachePaths& paths_;
  archive* a_;
  std::function<void(std::string_view)> warn_;
  EntryPtr entry_;
  std::vector<std::vector<std::string>> excludes_;
  std::unordered_set<std::string> seen_;
  std::vector<char> buffer_ = std::vector<char>(1 << 16);
  uint64_t members_ = 0;
};

mode_t ProcessUmask() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Umask:", 0) == 0)
      return static_cast<mode_t>(std::stoul(line.substr(6), nullptr, 8));
  }
  return 022;
}

// mkdir -p; directories it creates get the default mode, like tar's intermediate directories.
bool MakeDirs(const std::string& dir) {
  if (mkdir(dir.c_str(), 0777) == 0 || errno == EEXIST) return true;
  if (errno != ENOENT) return false;
  size_t slash = dir.rfind('/');
  if (slash == std::string::npos || slash == 0) return false;
  if (!MakeDirs(dir.substr(0, slash))) return false;
  return mkdir(dir.c_str(), 0777) == 0 || errno == EEXIST;
}

std::string Parent(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == 0 ? "/" : path.substr(0, slash);
}

class Extractor {
 public:
  Extractor(archive* a, const std::vector<std::string>& roots)
      : a_(a), roots_(roots), umask_(ProcessUmask()) {}

  Result<uint64_t> Run() {
    archive_entry* e = nullptr;
    uint64_t members = 0;
    while (true) {
      int rc = Ar().read_next_header(a_, &e);
      if (rc == ARCHIVE_EOF) break;
      if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
        return Status::Internal(std::string("cannot read the cache archive: ") +
                                Ar().error_string(a_));
      }
      GANTRY_RETURN_IF_ERROR(Member(e));
      ++members;
    }
    for (const auto& link : links_) GANTRY_RETURN_IF_ERROR(MakeSymlink(link));
    for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) {
      chmod(it->path.c_str(), it->mode);
      utimensat(AT_FDCWD, it->path.c_str(), it->times, 0);
    }
    return members;
  }

 private:
  struct Deferred {
    std::string path;
    mode_t mode = 0;
    std::string target;
    timespec times[2]{};
  };

  Status Unsafe(std::string_view name, std::string_view why) const {
    return Status::InvalidArgument("cache archive member '" + std::string(name) + "' " +
                                   std::string(why) + "; not restored");
  }

  // Checks the member's name and returns where it goes.
  Result<std::string> Destination(const char* raw) {
    if (raw == nullptr) return Unsafe("?", "has a name that cannot be decoded");
    std::string name = raw;
    if (name.size() > 1 && name.back() == '/') name.pop_back();
    size_t slash = name.find('/');
    if (slash == 0 || slash == std::string::npos || slash > 6 ||
        name.find_first_not_of("0123456789") != slash) {
      return Unsafe(name, "does not start with a root index");
    }
    size_t root = std::stoul(name.substr(0, slash));
    if (root >= roots_.size()) return Unsafe(name, "names a path the step's `path` does not");
    std::string_view rel = std::string_view(name).substr(slash + 1);
    if (rel.empty() || rel.front() == '/') return Unsafe(name, "has an absolute path");
    size_t i = 0;
    while (i <= rel.size()) {
      size_t j = rel.find('/', i);
      if (j == std::string_view::npos) j = rel.size();
      std::string_view comp = rel.substr(i, j - i);
      if (comp.empty() || comp == "." || comp == "..") {
        return Unsafe(name, "would be written outside its directory");
      }
      // Archive symlinks are made last; nothing may be written through one of them.
      if (j < rel.size() && !link_names_.empty() &&
          link_names_.count(name.substr(0, slash + 1 + j))) {
        return Unsafe(name, "would be written through a symlink");
      }
      i = j + 1;
    }
    current_ = name;
    return Join(roots_[root], rel);
  }

  Status Member(archive_entry* e) {
    auto dest = Destination(Ar().entry_pathname(e));
    if (!dest.ok()) return dest.status();
    const std::string& path = *dest;
    if (Ar().entry_hardlink(e) != nullptr) return Unsafe(current_, "is a hard link");
    Deferred d;
    d.path = path;
    d.mode = Ar().entry_perm(e);
    d.times[0].tv_nsec = UTIME_OMIT;
    d.times[1].tv_sec = Ar().entry_mtime(e);
    d.times[1].tv_nsec = Ar().entry_mtime_nsec(e);
    switch (Ar().entry_filetype(e)) {
      case AE_IFREG:
        return WriteFile(d);
      case AE_IFDIR:
        if (mkdir(path.c_str(), d.mode | S_IRWXU) != 0) {
          struct stat st {};
          if (errno == ENOENT ? !MakeDirs(path)
                              : errno != EEXIST || lstat(path.c_str(), &st) != 0 ||
                                    (!S_ISDIR(st.st_mode) && !ReplaceWithDir(path))) {
            return Status::Internal("cannot create the directory " + path + ": " + Errno());
          }
        }
        dirs_.push_back(std::move(d));
        return Status::Ok();
      case AE_IFLNK:
        d.target = Ar().entry_symlink(e) == nullptr ? "" : Ar().entry_symlink(e);
        link_names_.insert(current_);
        links_.push_back(std::move(d));
        return Status::Ok();
      default:
        return Unsafe(current_, "is not a file, directory or symlink");
    }
  }

  static bool ReplaceWithDir(const std::string& path) {
    return unlink(path.c_str()) == 0 && mkdir(path.c_str(), 0777) == 0;
  }

  int Create(const std::string& path, mode_t mode) {
    const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
    int fd = open(path.c_str(), flags, mode);
    if (fd >= 0) return fd;
    if (errno == EEXIST) {  // replace it, never write through it (it may be a symlink)
      if (unlink(path.c_str()) != 0) return -1;
    } else if (errno == ENOENT) {
      if (!MakeDirs(Parent(path))) return -1;
    } else {
      return -1;
    }
    return open(path.c_str(), flags, mode);
  }

  Status WriteFile(const Deferred& d) {
    Fd out(Create(d.path, d.mode));
    if (out.fd < 0) return Status::Internal("cannot create " + d.path + ": " + Errno());
    const void* buf = nullptr;
    size_t size = 0;
    la_int64_t offset = 0;
    int64_t at = 0;
    while (true) {
      int rc = Ar().read_data_block(a_, &buf, &size, &offset);
      if (rc == ARCHIVE_EOF) break;
      if (rc != ARCHIVE_OK) {
        return Status::Internal("cannot read " + current_ +
                                " from the cache archive: " + Ar().error_string(a_));
      }
      if (offset != at && lseek(out.fd, offset, SEEK_SET) < 0) return WriteError(d.path);
      const char* p = static_cast<const char*>(buf);
      for (size_t left = size; left > 0;) {
        ssize_t n = write(out.fd, p, left);
        if (n < 0) return WriteError(d.path);
        p += n;
        left -= n;
      }
      at = offset + static_cast<int64_t>(size);
    }
    if ((d.mode & ~umask_) != d.mode) fchmod(out.fd, d.mode);
    futimens(out.fd, d.times);
    return Status::Ok();
  }

  static Status WriteError(const std::string& path) {
    return Status::Internal("cannot write " + path + ": " + Errno());
  }

  Status MakeSymlink(const Deferred& d) {
    if (symlink(d.target.c_str(), d.path.c_str()) != 0) {
      struct stat st {};
      bool retry = errno == ENOENT ? MakeDirs(Parent(d.path))
                                   : errno == EEXIST && lstat(d.path.c_str(), &st) == 0 &&
                                         !S_ISDIR(st.st_mode) && unlink(d.path.c_str()) == 0;
      if (!retry || symlink(d.target.c_str(), d.path.c_str()) != 0) {
        return Status::Internal("cannot create the symlink " + d.path + ": " + Errno());
      }
    }
    utimensat(AT_FDCWD, d.path.c_str(), d.times, AT_SYMLINK_NOFOLLOW);
    return Status::Ok();
  }

  archive* a_;
  const std::vector<std::string>& roots_;
  mode_t umask_;
  std::string current_;
  std::vector<Deferred> dirs_, links_;
  std::unordered_set<std::string> link_names_;
};

}  // namespace

Result<CachePaths> ResolveCachePaths(const std::vector<std::string>& patterns,
                                     const std::string& workspace, const std::string& home) {
  CachePaths out;
  for (const auto& raw : patterns) {
    bool exclude = !raw.empty() && raw.front() == '!';
    std::string p = exclude ? raw.substr(1) : raw;
    if (p == "~" || p.rfind("~/", 0) == 0) p = home + p.substr(1);
    if (p.empty() || p.front() != '/') p = workspace + "/" + p;
    auto comps = NormalComponents(p);
    std::string abs = JoinComponents(comps, comps.size());
    if (exclude) {
      out.excludes.push_back(abs);
      continue;
    }
    if (comps.empty()) {
      return Status::InvalidArgument("cache path '" + raw + "' names the file system root");
    }
    size_t literal = 0;
    while (literal < comps.size() && !HasGlobMagic(comps[literal])) ++literal;
    out.roots.push_back(JoinComponents(comps, std::min(literal, comps.size() - 1)));
    out.includes.push_back(abs);
  }
  if (out.includes.empty()) {
    return Status::InvalidArgument(
        "Path Validation Error: At least one directory or file path is required");
  }
  return out;
}

Result<ArchiveStats> WriteCacheArchive(const CachePaths& paths, int fd,
                                       const std::function<void(std::string_view)>& warn) {
  GANTRY_RETURN_IF_ERROR(backend::LibArchive::Load());
  ArchivePtr a(Ar().write_new());
  Ar().write_set_format_pax(a.get());  // pax keeps nanosecond mtimes and long names
  Ar().write_set_bytes_per_block(a.get(), 1 << 16);
  Ar().write_set_bytes_in_last_block(a.get(), 1);
  if (Ar().write_open_fd(a.get(), fd) != ARCHIVE_OK) {
    return Status::Internal(std::string("cannot write the cache archive: ") +
                            Ar().error_string(a.get()));
  }
  Writer writer(paths, a.get(), warn);
  GANTRY_RETURN_IF_ERROR(writer.Run());
  if (Ar().write_close(a.get()) != ARCHIVE_OK) {
    return Status::Internal(std::string("cannot write the cache archive: ") +
                            Ar().error_string(a.get()));
  }
  ArchiveStats stats;
  stats.members = writer.members();
  off_t end = lseek(fd, 0, SEEK_CUR);
  stats.bytes = end > 0 ? static_cast<uint64_t>(end) : 0;
  return stats;
}

Result<uint64_t> ExtractCacheArchive(int fd, const std::vector<std::string>& roots) {
  GANTRY_RETURN_IF_ERROR(backend::LibArchive::Load());
  ArchivePtr a(Ar().read_new());
  Ar().read_support_format_tar(a.get());
  if (Ar().read_open_fd(a.get(), fd, 1 << 20) != ARCHIVE_OK) {
    return Status::Internal(std::string("cannot read the cache archive: ") +
                            Ar().error_string(a.get()));
  }
  return Extractor(a.get(), roots).Run();
}

}  // namespace gantry::actions
