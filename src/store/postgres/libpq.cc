#include "store/postgres/libpq.h"

#include "core/dynamic_library.h"

namespace gantry::store::postgres {
namespace {

core::Status Bind(const core::DynamicLibrary& lib, LibPq& api) {
  for (const core::Status& st : {
           lib.Bind("PQconnectdb", api.connectdb),
           lib.Bind("PQstatus", api.status),
           lib.Bind("PQerrorMessage", api.error_message),
           lib.Bind("PQfinish", api.finish),
           lib.Bind("PQexec", api.exec),
           lib.Bind("PQexecParams", api.exec_params),
           lib.Bind("PQresultStatus", api.result_status),
           lib.Bind("PQresultErrorMessage", api.result_error_message),
           lib.Bind("PQresultErrorField", api.result_error_field),
           lib.Bind("PQntuples", api.ntuples),
           lib.Bind("PQnfields", api.nfields),
           lib.Bind("PQftype", api.ftype),
           lib.Bind("PQgetvalue", api.getvalue),
           lib.Bind("PQgetlength", api.getlength),
           lib.Bind("PQgetisnull", api.getisnull),
           lib.Bind("PQcmdTuples", api.cmd_tuples),
           lib.Bind("PQclear", api.clear),
           lib.Bind("PQsetNoticeProcessor", api.set_notice_processor),
           lib.Bind("PQtransactionStatus", api.transaction_status),
       }) {
    GANTRY_RETURN_IF_ERROR(st);
  }
  return core::Status::Ok();
}

struct Loaded {
  core::Status status;
  LibPq api;
};

const Loaded& Load() {
  static const Loaded loaded = [] {
    Loaded l;
    core::Result<core::DynamicLibrary> lib =
        core::DynamicLibrary::Open(GANTRY_LIBPQ_SONAME, "libpq5");
    if (!lib.ok()) {
      l.status = core::Status::Unavailable("a postgres:// database needs libpq: " +
                                           lib.status().message());
      return l;
    }
    l.status = Bind(*lib, l.api);
    return l;
  }();
  return loaded;
}

}  // namespace

core::Result<const LibPq*> LoadLibPq() {
  const Loaded& l = Load();
  if (!l.status.ok()) return l.status;
  return &l.api;
}

}  // namespace gantry::store::postgres
