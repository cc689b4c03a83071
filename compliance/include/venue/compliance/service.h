#pragma once
// The compliance service: a member of its own consumer group on venue.execution-reports that writes
// every record, in venue-seq order and hash-chained, to the audit trail in PostgreSQL, runs the
// surveillance rules over the rows as they are chained, stores and publishes the alerts.
//
//   Service s(cfg, registry);
//   s.run();            // until request_stop() or SIGTERM/SIGINT; returns after a clean stop
//
// How (compliance/README.md): one thread reads a batch of records, holds them in a reorder buffer keyed
// by venue-seq, and in ONE PostgreSQL transaction appends the contiguous run after the chain's head
// (COPY), the alerts those rows raised, the records that waited too long behind a gap (table pending),
// parked bad records and the new head. Only after that transaction commits are the Kafka offsets
// committed, each partition up to its first record still held only in memory. PostgreSQL unreachable:
// the partitions are paused (nothing more is read), the batch is kept, the transaction is tried again
// with back-off, /readyz answers 503; afterwards the head and the rules' state are read back from the
// database, so an in-doubt commit is neither lost nor written twice.
//
// Thread rules: run() on one thread; request_stop() and ready() from any thread.

#include <prometheus/registry.h>
#include <atomic>
#include <memory>

#include "venue/compliance/config.h"

namespace venue::compliance {

class Service {
 public:
  Service(Config config, std::shared_ptr<prometheus::Registry> registry);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  void run();
  void request_stop();
  bool ready() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace venue::compliance
