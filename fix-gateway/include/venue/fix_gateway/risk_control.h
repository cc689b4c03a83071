#pragma once
// RiskControlConsumer: the venue's end of venue.risk-control (spec/kafka-topics.md). It reads the risk
// service's block and release commands (and releases `risk release` publishes for operators), has the
// gateway apply each one through the same kill switch as the operator API (Gateway::apply_block,
// blocks.h: saved, new orders refused, live orders cancelled), answers every command on
// venue.risk-control-acks, and commits the command's offset only after its answer is acknowledged by
// Kafka. A crash between applying and committing makes the command come again: its id is known, so it
// is answered `duplicate` and nothing is done twice.
//
// A record that is not a command is logged and counted; it is answered `refused` with the reason when it
// has an id. The venue keeps trading whatever Kafka does: this thread waits, the gateway thread never
// does.
//
// Metrics: venue_risk_control_commands_total{action,result}, venue_risk_control_malformed_total,
// venue_risk_control_apply_seconds (a command's issued_at to its answer).
//
// Thread rules: start()/stop() from the owner; everything else on the consumer's own thread.

#include <prometheus/registry.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "venue/common/kafka.h"
#include "venue/fix_gateway/blocks.h"
#include "venue/fix_gateway/gateway.h"

namespace venue::fix_gateway {

struct RiskControlSettings {
  std::string brokers;
  kafka::Properties properties;  // security and tuning, as for the report producer
  std::string topic = "venue.risk-control";
  std::string acks_topic = "venue.risk-control-acks";
  std::string group_id = "venue-risk-control";
  std::string client_id = "venue-risk-control";
};

// The answer to one command, as venue.risk-control-acks carries it (JSON text).
std::string risk_control_ack(const std::string& command_id, const BlockCommand* command, const BlockOutcome& outcome);

class RiskControlConsumer {
 public:
  using Apply = std::function<BlockOutcome(const BlockCommand&)>;
  RiskControlConsumer(RiskControlSettings settings, prometheus::Registry& registry, Apply apply);
  ~RiskControlConsumer();
  RiskControlConsumer(const RiskControlConsumer&) = delete;
  RiskControlConsumer& operator=(const RiskControlConsumer&) = delete;

  void start();
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace venue::fix_gateway
