// Between the steps of a run: no step starts while a replica lags more than max_lag. The gate
// waits, saying so, up to [retort.replicas] wait, then stops the run cleanly between steps.
#pragma once

#include "base/duration.hpp"
#include "driver/driver.hpp"
#include "retort/events.hpp"
#include "runner/runner.hpp"

#include <string>
#include <vector>

namespace retort::ops::replicas {

class LagGate : public runner::StepGate {
 public:
  // primary: a connection of the gate's own (not the run's: that one may be inside a step).
  LagGate(std::unique_ptr<driver::Connection> primary, std::vector<std::string> urls,
          base::Millis max_lag, base::Millis wait, RunObserver* observer);

  std::string before_step(const graph::Step& step, const script::Migration& migration,
                          const std::vector<script::Statement>& statements) override;

 private:
  std::unique_ptr<driver::Connection> m_primary;
  std::vector<std::string> m_urls;
  base::Millis m_max_lag;
  base::Millis m_wait;
  RunObserver* m_observer;
};

}  // namespace retort::ops::replicas
