// Between the steps of a run: a revision marked `-- retort:maintenance_window true` starts only
// inside one of [retort.windows] allowed, and only when its estimate ends before the window
// closes; --ignore-window (with --reason, which the ledger keeps) lets it start anyway.
#pragma once

#include "base/window.hpp"
#include "driver/driver.hpp"
#include "ops/preflight/preflight.hpp"
#include "retort/config.hpp"
#include "retort/events.hpp"
#include "runner/runner.hpp"
#include "script/script_directory.hpp"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace retort::ops::windows {

// Whether the windows hold for this run.
enum class Windows {
  enforced,
  ignored,  // --ignore-window: the run says so before each marked step
};

class WindowGate : public runner::StepGate {
 public:
  // windows: as load_config checked them. estimates: of the marked steps, by revision (see
  // preflight::estimate_step). now: the clock (base::window_clock_now by default, which reads
  // RETORT_NOW for tests). observer may be null.
  WindowGate(const WindowSettings& settings, Windows policy, RunObserver* observer,
             std::map<std::string, preflight::StepEstimate> estimates = {},
             std::function<base::SysSeconds()> now = base::window_clock_now);

  // Throws Error(ExitCode::failed) before a marked step outside every window, or whose
  // estimate runs past its window's end: nothing of the step has run. Returns empty.
  std::string before_step(const graph::Step& step, const script::Migration& migration,
                          const std::vector<script::Statement>& statements) override;
  // The same check inside the run's one transaction: no wait, no connection.
  std::string inside_transaction(const graph::Step& step, const script::Migration& migration,
                                 const std::vector<script::Statement>& statements) override;

 private:
  // in_transaction: inside the run's one transaction, which the refusal rolls back.
  void check(const graph::Step& step, const script::Migration& migration, bool in_transaction);

  std::vector<base::Window> m_windows;
  Windows m_policy;
  RunObserver* m_observer;
  std::map<std::string, preflight::StepEstimate> m_estimates;
  std::function<base::SysSeconds()> m_now;
  int m_steps_seen = 0;  // steps of the run checked so far, marked or not
};

// The gate for a run, or nullptr when no step of the plan is marked for a window. Reads the
// marked steps' estimates from the database (connection: the run's, outside a transaction).
[[nodiscard]] std::unique_ptr<WindowGate> gate_for(const Config& config,
                                                   driver::Connection& connection,
                                                   const script::ScriptDirectory& scripts,
                                                   const graph::Plan& plan, Windows policy,
                                                   RunObserver* observer);

}  // namespace retort::ops::windows
