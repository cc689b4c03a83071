#pragma once
// KafkaPublisher: puts every report of the report log on the Kafka topic (venue.execution-reports;
// spec/kafka-topics.md), in order, with an idempotent producer (acks=all).
//
//   key      the venue order id (decimal): every report of an order goes to one partition, in order
//   value    the FIX message as sent to the broker
//   headers  venue-seq, shard, engine-seq, msg-type, exec-type, session, firm, account, traceparent
//
// It runs on its own thread, reading the report log from its cursor. The cursor (the last venue seq
// such that it and everything before it is acknowledged by Kafka) is persisted to publish.cursor, so
// after a restart publishing resumes where Kafka's acknowledgements stopped; reports published but not
// yet in the cursor are published again (same venue-seq: consumers de-duplicate). While Kafka is down or
// slow the venue keeps trading: at most max_in_flight reports are held in memory, the rest wait on disk
// in the report log, and the backlog is a gauge.
//
// Thread rules: start/stop from the owner; everything else on the publisher's thread.
//
// Its place in the venue's recovery protocol (what is written before what, synced when, replayed how):
// spec/recovery.md.

#include <prometheus/registry.h>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "venue/common/kafka.h"

namespace venue::fix_gateway {

// The W3C trace context of a report (spec/kafka-topics.md, "Trace context"): "00-<trace-id>-<span-id>-01",
// derived from stable identities so that every report of one order, a report published again and one
// sent again after a crash share the trace: trace-id from the OrderID (from the venue-seq for a report
// about no order), span-id the venue-seq. Pure.
std::string report_traceparent(std::uint64_t order_id, std::uint64_t venue_seq);

struct PublisherSettings {
  std::string brokers;
  std::string topic = "venue.execution-reports";
  std::string client_id = "venue";
  kafka::Properties properties;
  std::filesystem::path report_dir;  // the report log's folder; publish.cursor lives there too
  std::size_t max_in_flight = 100'000;
  // When set, nothing beyond this venue seq is published (ReportLog::readable(): on disk when the
  // power-loss policy is on). Must outlive the publisher.
  const std::atomic<std::uint64_t>* readable_through = nullptr;
};

class KafkaPublisher {
 public:
  KafkaPublisher(PublisherSettings settings, prometheus::Registry& registry);
  ~KafkaPublisher();
  KafkaPublisher(const KafkaPublisher&) = delete;
  KafkaPublisher& operator=(const KafkaPublisher&) = delete;

  void start();
  // Publishes what it can within `drain_ms`, persists the cursor, stops the thread.
  void stop(int drain_ms = 5000);

  std::uint64_t acknowledged() const { return acked_.load(std::memory_order_acquire); }
  bool healthy() const { return !failed_.load(); }

  // The persisted cursor of a report folder (0 when none).
  static std::uint64_t read_cursor(const std::filesystem::path& report_dir);

 private:
  struct Impl;
  void run();
  std::unique_ptr<Impl> impl_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> drain_ms_{0};
  std::atomic<std::uint64_t> acked_{0};
  std::atomic<bool> failed_{false};
};

}  // namespace venue::fix_gateway
