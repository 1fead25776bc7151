// The replica-lag gate: measure before each step, wait while a replica is too far behind.
#include "ops/replicas/lag_gate.hpp"

#include "base/text.hpp"
#include "ops/replicas/lag.hpp"
#include "runner/cancel.hpp"

#include <fmt/format.h>

#include <chrono>
#include <thread>

namespace retort::ops::replicas {

namespace {

using Clock = std::chrono::steady_clock;

// "replica-1 1.2s, replica-2 not observable (...)"; too_far: those over max_lag or unseen.
std::string describe(const std::vector<Lag>& lags, base::Millis max_lag, bool& too_far) {
  std::vector<std::string> parts;
  too_far = false;
  for (const Lag& lag : lags) {
    if (!lag.lag_ms) {
      too_far = true;
      parts.push_back(fmt::format("{} not observable ({})", lag.name, lag.problem));
      continue;
    }
    too_far = too_far || *lag.lag_ms > max_lag.count();
    parts.push_back(
        fmt::format("{} {}", lag.name, base::format_elapsed(base::Millis{*lag.lag_ms})));
  }
  return base::join(parts, ", ");
}

}  // namespace

LagGate::LagGate(std::unique_ptr<driver::Connection> primary, std::vector<std::string> urls,
                 base::Millis max_lag, base::Millis wait, RunObserver* observer)
    : m_primary(std::move(primary)),
      m_urls(std::move(urls)),
      m_max_lag(max_lag),
      m_wait(wait),
      m_observer(observer) {}

std::string LagGate::before_step(const graph::Step& step, const script::Migration& /*migration*/,
                                 const std::vector<script::Statement>& /*statements*/) {
  const Clock::time_point deadline = Clock::now() + m_wait;
  bool told = false;
  for (;;) {
    const std::vector<Lag> now = lags(*m_primary, m_urls);
    for (const Lag& lag : now) {
      if (m_observer != nullptr && lag.lag_ms) {
        m_observer->replica_lag(lag.name, *lag.lag_ms);
      }
    }
    bool too_far = false;
    const std::string text = describe(now, m_max_lag, too_far);
    if (!too_far) {
      if (m_observer != nullptr && !now.empty()) {
        m_observer->note(fmt::format("replica lag before {}: {}", step.revision, text));
      }
      return {};
    }
    if (Clock::now() >= deadline) {
      throw Error(ExitCode::failed,
                  fmt::format("stopped before revision {}: replica lag stayed above max_lag "
                              "({}) for {}: {}",
                              step.revision, base::format_duration(m_max_lag),
                              base::format_duration(m_wait), text))
          .state("the steps before it are applied; nothing of it ran")
          .next(
              "wait until the replicas catch up (or find why one cannot be reached), then run "
              "the same command again");
    }
    if (m_observer != nullptr && !told) {
      told = true;
      m_observer->note(fmt::format("waiting before {}: replica lag above max_lag ({}): {}",
                                   step.revision, base::format_duration(m_max_lag), text));
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));
    if (runner::cancel_requested()) {
      throw Error(ExitCode::failed,
                  fmt::format("cancelled before revision {} started, while waiting for the "
                              "replicas",
                              step.revision))
          .state("the steps before it are applied; nothing of it ran")
          .next("run the same command again to continue");
    }
  }
}

}  // namespace retort::ops::replicas
