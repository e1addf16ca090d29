#include "core/masker.h"

#include <algorithm>
#include <utility>

namespace gantry::core {
namespace {

constexpr std::string_view kMask = "***";

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// A half-open byte range [begin, end) to replace.
using Range = std::pair<size_t, size_t>;

// Every occurrence of every secret (overlapping occurrences included), merged into disjoint
// ranges; overlapping and adjacent occurrences become one range, as GitHub's SecretMasker
// does, so "ab" with secrets "a" and "b" becomes one "***".
std::vector<Range> FindRanges(std::string_view text, const std::vector<std::string>& secrets) {
  std::vector<Range> found;
  for (const std::string& secret : secrets) {
    if (secret.size() > text.size()) continue;
    for (size_t pos = text.find(secret); pos != std::string_view::npos;
         pos = text.find(secret, pos + 1)) {
      found.emplace_back(pos, pos + secret.size());
    }
  }
  if (found.size() < 2) return found;
  std::sort(found.begin(), found.end());
  std::vector<Range> merged;
  merged.push_back(found.front());
  for (size_t i = 1; i < found.size(); ++i) {
    if (found[i].first <= merged.back().second) {
      merged.back().second = std::max(merged.back().second, found[i].second);
    } else {
      merged.push_back(found[i]);
    }
  }
  return merged;
}

}  // namespace

void Masker::Add(std::string_view secret) {
  if (secret.empty()) return;
  std::vector<std::string_view> values{secret};
  // GitHub also registers each line of a multi-line secret (trimmed, empty ones skipped),
  // because a process prints it line by line.
  if (secret.find_first_of("\r\n") != std::string_view::npos) {
    size_t start = 0;
    while (start <= secret.size()) {
      size_t end = secret.find_first_of("\r\n", start);
      if (end == std::string_view::npos) end = secret.size();
      std::string_view line = Trim(secret.substr(start, end - start));
      if (!line.empty()) values.push_back(line);
      start = end + 1;
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (std::string_view value : values) {
    if (std::find(secrets_.begin(), secrets_.end(), value) != secrets_.end()) continue;
    auto pos = std::find_if(secrets_.begin(), secrets_.end(),
                            [&](const std::string& s) { return s.size() < value.size(); });
    secrets_.emplace(pos, value);
  }
}

std::string Masker::Mask(std::string_view text) const {
  std::vector<Range> ranges;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (secrets_.empty()) return std::string(text);
    ranges = FindRanges(text, secrets_);
  }
  if (ranges.empty()) return std::string(text);
  std::string out;
  out.reserve(text.size());
  size_t copied = 0;
  for (const Range& r : ranges) {
    out.append(text.substr(copied, r.first - copied));
    out.append(kMask);
    copied = r.second;
  }
  out.append(text.substr(copied));
  return out;
}

size_t Masker::longest() const {
  std::lock_guard<std::mutex> lock(mu_);
  return secrets_.empty() ? 0 : secrets_.front().size();
}

size_t Masker::SafePrefix(std::string_view text) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (secrets_.empty()) return text.size();
  size_t hold = secrets_.front().size() - 1;  // a secret may start in the last `hold` bytes
  if (text.size() <= hold) return 0;
  size_t cut = text.size() - hold;
  for (const Range& r : FindRanges(text, secrets_)) {
    if (r.first < cut && cut < r.second) return r.first;
  }
  return cut;
}

std::vector<std::string> LineMasker::Feed(std::string_view chunk) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t nl = chunk.find('\n'); nl != std::string_view::npos; nl = chunk.find('\n', start)) {
    if (pending_.empty()) {
      lines.push_back(masker_.Mask(chunk.substr(start, nl - start)));
    } else {
      pending_.append(chunk.substr(start, nl - start));
      lines.push_back(masker_.Mask(pending_));
      pending_.clear();
    }
    start = nl + 1;
  }
  pending_.append(chunk.substr(start));
  // An endless line (a progress bar redrawn with '\r', binary output) must not grow without
  // bound: emit the part that no secret can straddle.
  while (pending_.size() > kMaxLine) {
    size_t n = masker_.SafePrefix(std::string_view(pending_).substr(0, kMaxLine));
    if (n == 0) n = masker_.SafePrefix(pending_);
    if (n == 0) break;
    lines.push_back(masker_.Mask(std::string_view(pending_).substr(0, n)));
    pending_.erase(0, n);
  }
  return lines;
}

std::vector<std::string> LineMasker::Flush() {
  std::vector<std::string> lines;
  if (!pending_.empty()) {
    lines.push_back(masker_.Mask(pending_));
    pending_.clear();
  }
  return lines;
}

}  // namespace gantry::core
