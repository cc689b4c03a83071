// The compliance service's chaining (service_impl.h): the held records and those read back from the
// table pending made rows of the next batch, in venue-seq order, each hashed onto the one before;
// PossResend repeats and trade busts linked; a failed batch's records put back.
#include "service_impl.h"
#include "venue/compliance/staging.h"

namespace venue::compliance {

using detail::Held;
using detail::steady_ns;

// Loads the pending rows between the chain's tip and the first record held (all of them when none is
// held), up to 20,000, when the record the chain needs next is not held. Records are staged at any
// time, also after others were read back, so the stretch is looked up each time the chain waits (an
// index range scan; empty when the record is really missing).
void Service::Impl::load_pending(pqxx::transaction_base& tx) {
  if (pending_rows == 0) return;
  auto below = static_cast<std::uint64_t>(INT64_MAX);
  if (!buffer.empty()) {
    if (buffer.begin()->first == tip.venue_seq + 1) return;
    below = buffer.begin()->first;
  }
  const auto rows = tx.exec_params(
      "select venue_seq, kafka_partition, kafka_offset, kafka_timestamp_ms, headers::text, payload "
      "from compliance.pending where venue_seq > $1 and venue_seq < $2 order by venue_seq limit 20000",
      static_cast<std::int64_t>(tip.venue_seq), static_cast<std::int64_t>(below));
  for (const auto& r : rows) {
    Held h;
    h.partition = r[1].as<std::int32_t>();
    h.offset = r[2].as<std::int64_t>();
    h.timestamp_ms = r[3].as<std::int64_t>();
    const auto stored = nlohmann::json::parse(r[4].as<std::string>());
    for (const auto& [k, v] : stored.items()) h.headers.emplace_back(k, v.get<std::string>());
    const pqxx::binarystring payload(r[5]);
    h.payload = payload.str();
    h.topic = cfg.topic;
    h.durable = true;
    h.arrived_ns = steady_ns();
    buffer.emplace(r[0].as<std::uint64_t>(), std::move(h));
  }
}

// A fill's keys among the batch's fills: its ExecID, and "\x01<OrderID>\x01<TrdMatchID>".
std::string Service::Impl::fill_key(std::string_view order_id, std::string_view trd_match_id) {
  std::string k = "\x01";
  k += order_id;
  k += '\x01';
  k += trd_match_id;
  return k;
}

// A trade bust (ExecType H) points at the fill it cancels: ExecRefID(19) when the venue sent one,
// else the fill of the same OrderID and TrdMatchID (spec/compliance.md, "Trade busts"). A bust of a
// fill not in the trail is stored as sent, bust_of_venue_seq NULL, logged and counted.
void Service::Impl::link_bust(pqxx::transaction_base& tx, const fs::ReportRecord& r, AuditRow& row,
                              const std::unordered_map<std::string, std::uint64_t>& batch_fills) {
  // This batch's fills, then the batch before it (maybe not committed yet), then the trail.
  const auto in_batches = [&](const std::string& key) -> std::optional<std::uint64_t> {
    if (auto f = batch_fills.find(key); f != batch_fills.end()) return f->second;
    if (auto f = last_fills.find(key); f != last_fills.end()) return f->second;
    return std::nullopt;
  };
  const std::string ref(r.fix.text(kExecRefIdTag));
  const std::string order_id(r.fix.text(fs::tags::kOrderID));
  const std::string match(r.fix.text(fs::tags::kTrdMatchID));
  std::optional<std::uint64_t> fill;
  if (!ref.empty()) {
    if (auto f = in_batches(ref)) {
      fill = f;
    } else {
      const auto q = tx.exec_params(
          "select venue_seq from compliance.audit where exec_id = $1 and exec_type = 'F' and repeat_of_venue_seq is "
          "null order by venue_seq limit 1",
          ref);
      if (!q.empty()) fill = q[0][0].as<std::uint64_t>();
    }
  } else if (!order_id.empty() && !match.empty()) {
    if (auto f = in_batches(fill_key(order_id, match))) {
      fill = f;
    } else {
      const auto q = tx.exec_params(
          "select venue_seq from compliance.audit where order_id = $1 and trd_match_id = $2 and exec_type = 'F' "
          "and repeat_of_venue_seq is null order by venue_seq limit 1",
          order_id, match);
      if (!q.empty()) fill = q[0][0].as<std::uint64_t>();
    }
  }
  busts->Increment();
  if (fill) {
    row.set(kBustOf, std::to_string(*fill));
    VENUE_LOG_KV(warning, "trade bust stored",
                 {{"venue_seq", r.venue_seq},
                  {"exec_id", std::string(r.fix.text(fs::tags::kExecID))},
                  {"busted_venue_seq", *fill},
                  {"exec_ref_id", ref},
                  {"traceparent", r.traceparent}});
  } else {
    busts_unmatched->Increment();
    VENUE_LOG_KV(error, "trade bust of a fill not in the audit trail (stored, bust_of_venue_seq NULL)",
                 {{"venue_seq", r.venue_seq},
                  {"exec_id", std::string(r.fix.text(fs::tags::kExecID))},
                  {"exec_ref_id", ref},
                  {"order_id", order_id},
                  {"trd_match_id", match},
                  {"traceparent", r.traceparent}});
  }
}

void Service::Impl::drain(pqxx::transaction_base& tx, Batch& b, Head& h) {
  std::unordered_map<std::string, std::uint64_t> batch_exec_ids;
  std::unordered_map<std::string, std::uint64_t> batch_fills;
  const auto max_rows = static_cast<std::size_t>(cfg.max_batch) * 2;
  b.rows.reserve(std::min(max_rows, buffer.size()));
  b.drained.reserve(std::min(max_rows, buffer.size()));
  b.copy.reserve(std::min(max_rows, buffer.size()) * 700);
  batch_exec_ids.reserve(std::min(max_rows, buffer.size()));
  batch_fills.reserve(std::min(max_rows, buffer.size()));
  while (!buffer.empty() && b.rows.size() < max_rows) {
    auto it = buffer.begin();
    const std::uint64_t seq = it->first;
    if (seq <= h.venue_seq) {
      b.drained.emplace_back(seq, std::move(it->second));
      buffer.erase(it);
      duplicates->Increment();
      continue;
    }
    if (seq != h.venue_seq + 1 && !acknowledged(h.venue_seq + 1, seq - 1)) break;
    Held rec = std::move(it->second);
    buffer.erase(it);
    std::string why;
    AuditRow row;
    if (auto r = fs::read_report_record(rec.payload, rec.headers, &why)) {
      r->topic = rec.topic;
      r->partition = rec.partition;
      r->offset = rec.offset;
      r->timestamp_ms = rec.timestamp_ms;
      std::string field_error;
      row = row_from_record(*r, &field_error);
      if (!field_error.empty()) {
        b.parked.push_back({rec, seq, "field out of range: " + field_error});
      } else {
        const auto exec_id = r->fix.text(fs::tags::kExecID);
        if (r->poss_resend() && !exec_id.empty()) {
          std::optional<std::uint64_t> first;
          if (auto f = batch_exec_ids.find(std::string(exec_id)); f != batch_exec_ids.end()) {
            first = f->second;
          } else if (auto l = last_exec_ids.find(std::string(exec_id)); l != last_exec_ids.end()) {
            first = l->second;
          } else {
            const auto q =
                tx.exec_params("select venue_seq from compliance.audit where exec_id = $1 order by venue_seq limit 1",
                               std::string(exec_id));
            if (!q.empty()) first = q[0][0].as<std::uint64_t>();
          }
          if (first) {
            row.set(kRepeatOf, std::to_string(*first));
            repeats->Increment();
            VENUE_LOG_KV(info, "PossResend report stored as a repeat",
                         {{"venue_seq", seq},
                          {"exec_id", std::string(exec_id)},
                          {"repeat_of", *first},
                          {"traceparent", r->traceparent}});
          }
        }
        // The first row of this ExecID (a repeat points at the original, not at an earlier repeat).
        if (!exec_id.empty()) {
          const auto& first_seq = row.v[kRepeatOf];
          batch_exec_ids.emplace(std::string(exec_id), first_seq ? std::stoull(*first_seq) : seq);
        }
        if (r->exec_type == 'H' && !row.v[kRepeatOf]) link_bust(tx, *r, row, batch_fills);
        if (r->exec_type == 'F' && !row.v[kRepeatOf]) {
          batch_fills.emplace(std::string(exec_id), seq);
          batch_fills.emplace(fill_key(r->fix.text(fs::tags::kOrderID), r->fix.text(fs::tags::kTrdMatchID)), seq);
        }
        if (!row.v[kRepeatOf]) {
          if (auto e = event_from_record(*r)) rules->on_event(*e, b.alerts);
        }
      }
    } else {
      row = row_from_bad_record(seq, rec.headers, rec.payload, rec.partition, rec.offset, rec.timestamp_ms, why);
      b.parked.push_back({rec, seq, why});
    }
    row.set(kSkippedBefore, std::to_string(seq - h.venue_seq - 1));
    if (seq != h.venue_seq + 1) {
      VENUE_LOG_KV(warning, "chain passes over acknowledged lost venue-seqs",
                   {{"from", h.venue_seq + 1}, {"to", seq - 1}});
    }
    row.prev_hash = h.row_hash;
    row.row_hash = chain_hash(row.prev_hash, row);
    h.row_hash = row.row_hash;
    h.venue_seq = seq;
    ++h.rows;
    if (rec.timestamp_ms >= 0) b.latencies_ms.push_back(rec.timestamp_ms);
    if (!partitions_known.contains(*row.v[kTradingDay])) b.days.insert(*row.v[kTradingDay]);
    append_copy_line(row, b.copy);
    b.rows.push_back(std::move(row));
    b.drained.emplace_back(seq, std::move(rec));
  }
  // What waits behind a gap too long, or the excess over max_buffered, goes to the table pending.
  take_to_stage(buffer, cfg.max_buffered, steady_ns() - cfg.stage_after_ms * 1'000'000, b.staged);
  last_exec_ids = std::move(batch_exec_ids);
  last_fills = std::move(batch_fills);
}

// Puts a failed batch's records back (the transaction did not commit, or its outcome is unknown: the
// reload reads the head back and skips what did commit). Their offsets were never released.
void Service::Impl::roll_back(Batch& b) {
  for (auto* list : {&b.drained, &b.staged}) {
    for (auto& [seq, rec] : *list) buffer.emplace(seq, std::move(rec));
  }
  for (auto& p : b.parked) {
    if (p.held) to_park.push_back(std::move(p));
  }
}

}  // namespace venue::compliance
