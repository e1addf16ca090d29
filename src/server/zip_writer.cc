#include "server/zip_writer.h"

#include <zlib.h>

#include <ctime>

namespace gantry::server {
namespace {

void Put16(std::string& out, uint32_t v) {
  out.push_back(static_cast<char>(v & 0xff));
  out.push_back(static_cast<char>((v >> 8) & 0xff));
}

void Put32(std::string& out, uint32_t v) {
  Put16(out, v & 0xffff);
  Put16(out, v >> 16);
}

}  // namespace

void ZipWriter::Add(std::string_view name, std::string_view content, int64_t mtime_ms) {
  Entry e;
  e.name = std::string(name);
  e.crc = static_cast<uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(content.data()), static_cast<uInt>(content.size())));
  e.size = static_cast<uint32_t>(content.size());
  e.offset = static_cast<uint32_t>(out_.size());
  std::time_t t = static_cast<std::time_t>(mtime_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  int year = tm.tm_year + 1900 < 1980 ? 1980 : tm.tm_year + 1900;
  e.time = static_cast<uint16_t>((tm.tm_hour << 11) | (tm.tm_min << 5) | (tm.tm_sec / 2));
  e.date = static_cast<uint16_t>(((year - 1980) << 9) | ((tm.tm_mon + 1) << 5) | tm.tm_mday);
  Put32(out_, 0x04034b50);  // local file header
  Put16(out_, 20);          // version needed
  Put16(out_, 0x0800);      // UTF-8 names
  Put16(out_, 0);           // stored
  Put16(out_, e.time);
  Put16(out_, e.date);
  Put32(out_, e.crc);
  Put32(out_, e.size);
  Put32(out_, e.size);
  Put16(out_, static_cast<uint32_t>(e.name.size()));
  Put16(out_, 0);
  out_ += e.name;
  out_.append(content);
  entries_.push_back(std::move(e));
}

std::string ZipWriter::Finish() {
  auto cd_start = static_cast<uint32_t>(out_.size());
  for (const Entry& e : entries_) {
    Put32(out_, 0x02014b50);  // central directory header
    Put16(out_, 0x0314);      // made by: Unix, 2.0
    Put16(out_, 20);
    Put16(out_, 0x0800);
    Put16(out_, 0);
    Put16(out_, e.time);
    Put16(out_, e.date);
    Put32(out_, e.crc);
    Put32(out_, e.size);
    Put32(out_, e.size);
    Put16(out_, static_cast<uint32_t>(e.name.size()));
    Put16(out_, 0);  // extra
    Put16(out_, 0);  // comment
    Put16(out_, 0);  // disk
    Put16(out_, 0);  // internal attributes
    Put32(out_, (e.name.empty() || e.name.back() != '/' ? 0100644U : 040755U) << 16);
    Put32(out_, e.offset);
    out_ += e.name;
  }
  auto cd_size = static_cast<uint32_t>(out_.size() - cd_start);
  Put32(out_, 0x06054b50);  // end of central directory
  Put16(out_, 0);
  Put16(out_, 0);
  Put16(out_, static_cast<uint32_t>(entries_.size()));
  Put16(out_, static_cast<uint32_t>(entries_.size()));
  Put32(out_, cd_size);
  Put32(out_, cd_start);
  Put16(out_, 0);
  return std::move(out_);
}

}  // namespace gantry::server
