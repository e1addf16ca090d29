#pragma once

// libpq, opened with dlopen on first use (core/dynamic_library.h): the gantry binary does not
// link it, so a server on SQLite and every other command never load it.

#include <libpq-fe.h>

#include "core/status.h"

namespace gantry::store::postgres {

/// The libpq functions the driver calls.
struct LibPq {
  decltype(&PQconnectdb) connectdb = nullptr;
  decltype(&PQstatus) status = nullptr;
  decltype(&PQerrorMessage) error_message = nullptr;
  decltype(&PQfinish) finish = nullptr;
  decltype(&PQexec) exec = nullptr;
  decltype(&PQexecParams) exec_params = nullptr;
  decltype(&PQresultStatus) result_status = nullptr;
  decltype(&PQresultErrorMessage) result_error_message = nullptr;
  decltype(&PQresultErrorField) result_error_field = nullptr;
  decltype(&PQntuples) ntuples = nullptr;
  decltype(&PQnfields) nfields = nullptr;
  decltype(&PQftype) ftype = nullptr;
  decltype(&PQgetvalue) getvalue = nullptr;
  decltype(&PQgetlength) getlength = nullptr;
  decltype(&PQgetisnull) getisnull = nullptr;
  decltype(&PQcmdTuples) cmd_tuples = nullptr;
  decltype(&PQclear) clear = nullptr;
  decltype(&PQsetNoticeProcessor) set_notice_processor = nullptr;
  decltype(&PQtransactionStatus) transaction_status = nullptr;
};

/// libpq, loaded once per process (thread-safe). Unavailable, saying what to install, when it
/// cannot be loaded.
core::Result<const LibPq*> LoadLibPq();

}  // namespace gantry::store::postgres
