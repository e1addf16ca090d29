// SqlStore: the outbox of outbound deliveries and their settings (migrations/*/006).

#include "store/sql_store.h"

namespace gantry::store {
namespace {

constexpr const char* kDeliveryColumns =
    "id, project_id, kind, target, payload, attempts, next_attempt_at, state, last_error, "
    "created_at, delivered_at";

OutboundDelivery DeliveryFrom(const Row& r) {
  OutboundDelivery d;
  d.id = r.Int(0);
  d.project_id = r.Int(1);
  d.kind = r.Text(2);
  d.target = r.Text(3);
  d.payload = r.Text(4);
  d.attempts = static_cast<int>(r.Int(5));
  d.next_attempt_at = r.Int(6);
  d.state = r.Text(7);
  d.last_error = r.Text(8);
  d.created_at = r.Int(9);
  d.delivered_at = r.Int(10);
  return d;
}

}  // namespace

core::Result<OutboundDelivery> SqlStore::EnqueueDelivery(const OutboundDelivery& delivery) {
  OutboundDelivery out = delivery;
  out.created_at = sql::OrNow(delivery.created_at);
  if (out.next_attempt_at == 0) out.next_attempt_at = out.created_at;
  out.state = "pending";
  out.attempts = 0;
  GANTRY_RETURN_IF_ERROR(Write([&](Connection& conn) {
    core::Result<Row> id = sql::One(
        conn.Query(
            "INSERT INTO outbound_deliveries (project_id, kind, target, payload, next_attempt_at, "
            "created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            {out.project_id, out.kind, out.target, out.payload, out.next_attempt_at,
             out.created_at}),
        "delivery");
    if (!id.ok()) return id.status();
    out.id = id->Int(0);
    return core::Status::Ok();
  }));
  return out;
}

core::Result<std::vector<OutboundDelivery>> SqlStore::ClaimDeliveries(const std::string& claimer,
                                                                      int64_t now,
                                                                      int64_t claim_until,
                                                                      int limit) {
  std::vector<OutboundDelivery> out;
  // Every replica asks often; a read answers the usual "nothing due" without taking SQLite's
  // write lock.
  bool any = false;
  GANTRY_RETURN_IF_ERROR(Read([&](Connection& conn) {
    core::Result<Rows> rows = conn.Query(
        "SELECT 1 FROM outbound_deliveries WHERE state = 'pending' AND next_attempt_at <= $1 AND "
        "claim_expires_at <= $1 LIMIT 1",
        {now});
    if (!rows.ok()) return rows.status();
    any = !rows->empty();
    return core::Status::Ok();
  }));
  if (!any) return out;
  GANTRY_RETURN_IF_ERROR(Write([&](Connection& conn) {
    out.clear();
    // Candidates first; each is then claimed by an UPDATE that re-checks the claim, so two
    // replicas racing for a row cannot both win (PostgreSQL also skips rows another
    // transaction has locked).
    std::string query =
        std::string("SELECT ") + kDeliveryColumns +
        " FROM outbound_deliveries d WHERE state = 'pending' AND next_attempt_at <= $1 "
        "AND claim_expires_at <= $1 AND NOT EXISTS (SELECT 1 FROM outbound_deliveries o "
        "WHERE o.kind = d.kind AND o.target = d.target AND o.state = 'pending' "
        "AND o.id < d.id) ORDER BY id LIMIT $2";
    if (postgres()) query += " FOR UPDATE SKIP LOCKED";
    std::vector<OutboundDelivery> candidates;
    GANTRY_RETURN_IF_ERROR(sql::Collect(conn, query, {now, limit}, DeliveryFrom, &candidates));
    for (OutboundDelivery& d : candidates) {
      core::Result<int64_t> n = conn.Exec(
          "UPDATE outbound_deliveries SET claimed_by = $1, claim_expires_at = $2 WHERE id = $3 AND "
          "state = 'pending' AND claim_expires_at <= $4",
          {claimer, claim_until, d.id, now});
      if (!n.ok()) return n.status();
      if (*n == 1) out.push_back(std::move(d));
    }
    return core::Status::Ok();
  }));
  return out;
}

core::Status SqlStore::FinishDelivery(const OutboundDelivery& delivery,
                                      const std::string& claimer) {
  return Write([&](Connection& conn) {
    return sql::Affected(
        conn.Exec("UPDATE outbound_deliveries SET state = $1, attempts = $2, next_attempt_at = $3, "
                  "last_error = $4, delivered_at = $5, claimed_by = '', claim_expires_at = 0 "
                  "WHERE id = $6 AND claimed_by = $7",
                  {delivery.state, delivery.attempts, delivery.next_attempt_at, delivery.last_error,
                   delivery.delivered_at, delivery.id, claimer}),
        "claimed delivery " + std::to_string(delivery.id));
  });
}

core::Result<std::vector<OutboundDelivery>> SqlStore::ListDeliveries(Id project_id,
                                                                     const std::string& state,
                                                                     int limit) {
  std::vector<OutboundDelivery> out;
  GANTRY_RETURN_IF_ERROR(Read([&](Connection& conn) {
    return sql::Collect(
        conn,
        std::string("SELECT ") + kDeliveryColumns +
            " FROM outbound_deliveries WHERE project_id = $1 AND ($2 = '' OR state = $2) "
            "ORDER BY id DESC LIMIT $3",
        {project_id, state, limit}, DeliveryFrom, &out);
  }));
  return out;
}

core::Status SqlStore::RetryDelivery(Id project_id, Id delivery_id, int64_t now) {
  return Write([&](Connection& conn) {
    return sql::Affected(
        conn.Exec(
            "UPDATE outbound_deliveries SET state = 'pending', attempts = 0, next_attempt_at = $1, "
            "claimed_by = '', claim_expires_at = 0 WHERE id = $2 AND project_id = $3",
            {now, delivery_id, project_id}),
        "delivery " + std::to_string(delivery_id));
  });
}

core::Status SqlStore::PutDeliverySetting(const std::string& scope, Id owner_id,
                                          const std::vector<uint8_t>& value, int64_t now) {
  return Write([&](Connection& conn) {
    core::Result<int64_t> n = conn.Exec(
        "INSERT INTO delivery_settings (scope, owner_id, value, updated_at) VALUES ($1, $2, $3, "
        "$4) ON CONFLICT (scope, owner_id) DO UPDATE SET value = excluded.value, "
        "updated_at = excluded.updated_at",
        {scope, owner_id, value, sql::OrNow(now)});
    return n.ok() ? core::Status::Ok() : n.status();
  });
}

core::Result<std::vector<uint8_t>> SqlStore::GetDeliverySetting(const std::string& scope,
                                                                Id owner_id) {
  std::vector<uint8_t> out;
  GANTRY_RETURN_IF_ERROR(Read([&](Connection& conn) {
    core::Result<Row> row = sql::One(
        conn.Query("SELECT value FROM delivery_settings WHERE scope = $1 AND owner_id = $2",
                   {scope, owner_id}),
        scope + " settings");
    if (!row.ok()) return row.status();
    out = row->Blob(0);
    return core::Status::Ok();
  }));
  return out;
}

core::Status SqlStore::DeleteDeliverySetting(const std::string& scope, Id owner_id) {
  return Write([&](Connection& conn) {
    return sql::Affected(
        conn.Exec("DELETE FROM delivery_settings WHERE scope = $1 AND owner_id = $2",
                  {scope, owner_id}),
        scope + " settings");
  });
}

}  // namespace gantry::store
