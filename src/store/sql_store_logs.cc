// SqlStore: logs and annotations.

#include "store/sql_store.h"

namespace gantry::store {
namespace {

// Rows fetched per ReadLogs query; the caller asks again from the new offset for more.
constexpr int64_t kMaxChunksPerRead = 1000;

}  // namespace

core::Result<int64_t> SqlStore::AppendLogs(Id job_id, const std::vector<LogChunk>& chunks) {
  int64_t size = 0;
  GANTRY_RETURN_IF_ERROR(Write([&](Connection& conn) {
    core::Result<Rows> last = conn.Query(
        "SELECT byte_offset + size FROM log_chunks WHERE job_id = $1 "
        "ORDER BY byte_offset DESC LIMIT 1",
        {job_id});
    if (!last.ok()) return last.status();
    size = last->empty() ? 0 : last->front().Int(0);
    for (const LogChunk& chunk : chunks) {
      // A retried chunk (same seq) is ignored; a new one goes at the end of the log, in the
      // order the chunks arrive.
      core::Result<int64_t> inserted = conn.Exec(
          "INSERT INTO log_chunks (job_id, seq, step, byte_offset, size, data) "
          "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (job_id, seq) DO NOTHING",
          {job_id, chunk.seq, chunk.step, size, static_cast<int64_t>(chunk.data.size()),
           Bytes{chunk.data}});
      if (!inserted.ok()) return inserted.status();
      if (*inserted != 0) size += static_cast<int64_t>(chunk.data.size());
    }
    return core::Status::Ok();
  }));
  return size;
}

core::Result<std::vector<LogChunk>> SqlStore::ReadLogs(Id job_id, int64_t offset,
                                                       int64_t limit_bytes) {
  std::vector<LogChunk> out;
  GANTRY_RETURN_IF_ERROR(Read([&](Connection& conn) {
    // Starts at the chunk holding `offset` (the last one starting at or before it), so both
    // conditions use the (job_id, byte_offset) index.
    core::Result<Rows> rows = conn.Query(
        "SELECT seq, step, data, byte_offset FROM log_chunks WHERE job_id = $1 AND "
        "byte_offset >= (SELECT COALESCE(MAX(byte_offset), 0) FROM log_chunks "
        "WHERE job_id = $1 AND byte_offset <= $2) AND byte_offset + size > $2 "
        "ORDER BY byte_offset LIMIT $3",
        {job_id, offset, kMaxChunksPerRead});
    if (!rows.ok()) return rows.status();
    int64_t total = 0;
    for (const Row& r : *rows) {
      LogChunk chunk;
      chunk.job_id = job_id;
      chunk.seq = r.Int(0);
      chunk.step = static_cast<int>(r.Int(1));
      chunk.data = r.Text(2);
      chunk.offset = r.Int(3);
      total += static_cast<int64_t>(chunk.data.size());
      if (!out.empty() && total > limit_bytes) break;
      out.push_back(std::move(chunk));
    }
    return core::Status::Ok();
  }));
  return out;
}

core::Status SqlStore::AddAnnotations(Id job_id, const std::vector<Annotation>& annotations) {
  return Write([&](Connection& conn) {
    for (const Annotation& a : annotations) {
      GANTRY_RETURN_IF_ERROR(
          conn.Exec("INSERT INTO annotations (job_id, step, level, message, title, file, line, "
                    "end_line, col, end_col, seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
                    "$10, $11) ON CONFLICT DO NOTHING",
                    {job_id, a.step, a.level, a.message, a.title, a.file, a.line, a.end_line,
                     a.column, a.end_column, a.seq == 0 ? Value(nullptr) : Value(a.seq)})
              .status());
    }
    return core::Status::Ok();
  });
}

core::Result<std::vector<Annotation>> SqlStore::ListAnnotations(Id job_id) {
  std::vector<Annotation> out;
  GANTRY_RETURN_IF_ERROR(Read([&](Connection& conn) {
    return sql::Collect(
        conn,
        "SELECT job_id, step, level, message, title, file, line, end_line, col, end_col "
        "FROM annotations WHERE job_id = $1 ORDER BY id",
        {job_id},
        [](const Row& r) {
          Annotation a;
          a.job_id = r.Int(0);
          a.step = static_cast<int>(r.Int(1));
          a.level = r.Text(2);
          a.message = r.Text(3);
          a.title = r.Text(4);
          a.file = r.Text(5);
          a.line = static_cast<int>(r.Int(6));
          a.end_line = static_cast<int>(r.Int(7));
          a.column = static_cast<int>(r.Int(8));
          a.end_column = static_cast<int>(r.Int(9));
          return a;
        },
        &out);
  }));
  return out;
}

}  // namespace gantry::store
