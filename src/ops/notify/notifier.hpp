// What a run tells beyond the terminal: [retort.hooks] at its events, and --metrics-file at its
// end and during long steps. A RunObserver that passes every event on to the one it wraps (the
// CLI's progress), so the command layer wires it in one place around a run.
#pragma once

#include "base/duration.hpp"
#include "ops/notify/hooks.hpp"
#include "ops/notify/metrics.hpp"
#include "retort/config.hpp"
#include "retort/error.hpp"
#include "retort/events.hpp"
#include "retort/results.hpp"

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>

namespace retort::ops::notify {

class Notifier : public RunObserver {
 public:
  // config: its hooks and redacted URL. target: what the run was asked for. metrics_file: empty
  // for none. inner: the observer every event is passed on to; may be null. interval: how often
  // the metrics file is written while a step runs.
  Notifier(const Config& config, std::string target, Direction direction,
           std::filesystem::path metrics_file, RunObserver* inner,
           base::Millis interval = std::chrono::seconds(10));
  ~Notifier() override;
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  // Runs before_run; throws Error(ExitCode::failed) when it fails and before_run_required.
  void run_started(const RunEvent& run) override;
  void step_started(const StepEvent& step) override;
  void statement_done(const StepEvent& step, int done, int total) override;
  void step_finished(const StepEvent& step, std::int64_t duration_ms, bool ok) override;
  void retrying(const StepEvent& step, int attempt) override;
  void lock_waiting(const std::string& holder) override;
  void replica_lag(const std::string& replica, std::int64_t lag_ms) override;
  void backup_taken(const std::string& path, std::int64_t bytes) override;
  void note(const std::string& text) override;

  // The run ended: after_run (when it had steps) and the metrics file.
  void finished(const RunResult& result);
  // The run failed with `error`: on_failure, after_run (when it had started) and the metrics.
  void failed(const Error& error);

 private:
  // Runs one hook when configured; a failure becomes a note. Returns whether it succeeded.
  bool fire(const std::string& hook, const std::string& command, Event event);
  [[nodiscard]] Event event(const std::string& name) const;
  void finish_metrics(bool ok);
  // Writes the metrics file from m_values; the caller holds m_mutex.
  void write_locked();

  HookSettings m_hooks;
  std::string m_database;
  std::string m_target;
  Direction m_direction;
  std::filesystem::path m_metrics_file;
  RunObserver* m_inner;
  bool m_started = false;
  std::vector<std::string> m_revisions;
  std::chrono::steady_clock::time_point m_run_start;

  // Shared with the thread that writes the metrics file during long steps.
  std::mutex m_mutex;
  std::condition_variable m_wake;
  bool m_stop = false;
  MetricValues m_values;
  std::chrono::steady_clock::time_point m_step_start;
  std::string m_metrics_problem;  // the last write's problem, reported once
  std::thread m_ticker;
};

}  // namespace retort::ops::notify
