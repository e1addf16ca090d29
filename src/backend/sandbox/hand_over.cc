#include "backend/sandbox/hand_over.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string_view>

namespace gantry::backend::sandbox {
namespace {

constexpr int kOpenDir = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

struct Owners {
  uid_t from;
  uid_t uid;
  gid_t gid;
  dev_t dev;
};

// Hands over everything below the open directory `fd` (which it closes). Entries are opened
// relative to their parent with O_NOFOLLOW, so a step that swaps a directory for a symbolic
// link while this runs cannot redirect the walk outside the tree.
void HandOverBelow(int fd, const Owners& o) {
  DIR* dir = fdopendir(fd);
  if (dir == nullptr) {
    close(fd);
    return;
  }
  while (dirent* e = readdir(dir)) {
    std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st {};
    if (fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || st.st_dev != o.dev) continue;
    if (!S_ISDIR(st.st_mode)) {
      if (st.st_uid == o.from && st.st_nlink == 1) {
        (void)fchownat(fd, e->d_name, o.uid, o.gid, AT_SYMLINK_NOFOLLOW);
      }
      continue;
    }
    int sub = openat(fd, e->d_name, kOpenDir);
    if (sub < 0) continue;
    if (fstat(sub, &st) != 0 || st.st_dev != o.dev) {
      close(sub);
      continue;
    }
    if (st.st_uid == o.from) (void)fchown(sub, o.uid, o.gid);
    HandOverBelow(sub, o);
  }
  closedir(dir);
}

}  // namespace

core::Status HandOver(const std::string& dir, uid_t from, uid_t uid, gid_t gid) {
  int fd = open(dir.c_str(), kOpenDir);
  struct stat st {};
  if (fd < 0 || fstat(fd, &st) != 0) {
    int error = errno;
    if (fd >= 0) close(fd);
    return core::Status::Internal("cannot open " + dir + " to give it to uid " +
                                  std::to_string(uid) + ": " + std::strerror(error));
  }
  if (st.st_uid == from && fchown(fd, uid, gid) != 0) {
    int error = errno;
    close(fd);
    return core::Status::Internal("cannot give " + dir + " to uid " + std::to_string(uid) + ": " +
                                  std::strerror(error));
  }
  HandOverBelow(fd, Owners{from, uid, gid, st.st_dev});
  return core::Status::Ok();
}

core::Status CheckReachable(const std::string& path, uid_t uid, gid_t gid) {
  for (size_t slash = path.find('/', 1); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    std::string parent = path.substr(0, slash);
    struct stat st {};
    if (stat(parent.c_str(), &st) != 0) continue;
    bool searchable = (st.st_mode & S_IXOTH) != 0 ||
                      (st.st_uid == uid && (st.st_mode & S_IXUSR) != 0) ||
                      (st.st_gid == gid && (st.st_mode & S_IXGRP) != 0);
    if (!searchable) {
      char mode[8];
      std::snprintf(mode, sizeof mode, "%04o", st.st_mode & 07777U);
      return core::Status::InvalidArgument(path + " is out of reach of the sandbox uid " +
                                           std::to_string(uid) + ": " + parent + " (mode " + mode +
                                           ") does not let it in");
    }
  }
  return core::Status::Ok();
}

}  // namespace gantry::backend::sandbox
