// libpq, loaded at run time (dlopen of libpq.so.5) the first time a PostgreSQL store connects,
// instead of linked: the roles that never use PostgreSQL (sidecars, gateways, transit gateways,
// SQLite control planes) then map neither libpq nor its Kerberos, LDAP and GnuTLS dependencies,
// 3.4 MB of resident memory per process. Thread-safe; loaded once, never unloaded.
#pragma once

#include <libpq-fe.h>

#include "base/status.h"

namespace causeway::store {

struct LibPq {
  decltype(&::PQconninfoParse) PQconninfoParse;
  decltype(&::PQconninfoFree) PQconninfoFree;
  decltype(&::PQfreemem) PQfreemem;
  decltype(&::PQconnectdbParams) PQconnectdbParams;
  decltype(&::PQstatus) PQstatus;
  decltype(&::PQerrorMessage) PQerrorMessage;
  decltype(&::PQfinish) PQfinish;
  decltype(&::PQsetNoticeProcessor) PQsetNoticeProcessor;
  decltype(&::PQexec) PQexec;
  decltype(&::PQexecParams) PQexecParams;
  decltype(&::PQresultStatus) PQresultStatus;
  decltype(&::PQresultErrorField) PQresultErrorField;
  decltype(&::PQresultErrorMessage) PQresultErrorMessage;
  decltype(&::PQclear) PQclear;
  decltype(&::PQntuples) PQntuples;
  decltype(&::PQgetisnull) PQgetisnull;
  decltype(&::PQgetvalue) PQgetvalue;
  decltype(&::PQgetlength) PQgetlength;
  decltype(&::PQcmdStatus) PQcmdStatus;
  decltype(&::PQtransactionStatus) PQtransactionStatus;
  decltype(&::PQnotifies) PQnotifies;
  decltype(&::PQsocket) PQsocket;
  decltype(&::PQconsumeInput) PQconsumeInput;
};

// Loads libpq (once); the error says which library or symbol is missing.
Result<const LibPq*> loadLibPq();
// The loaded library; only after loadLibPq() succeeded.
const LibPq& pq();

}  // namespace causeway::store
