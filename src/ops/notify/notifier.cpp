// The Notifier: hooks and the metrics file around one run. See notifier.hpp.
#include "ops/notify/notifier.hpp"

#include "base/window.hpp"
#include "retort/version.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <unistd.h>

namespace retort::ops::notify {

namespace {

std::string host_name() {
  std::array<char, 256> name{};
  return ::gethostname(name.data(), name.size() - 1) == 0 ? std::string(name.data())
                                                          : std::string();
}

std::string direction_name(Direction direction) { return std::string(to_string(direction)); }

double seconds(std::int64_t milliseconds) { return static_cast<double>(milliseconds) / 1000.0; }

}  // namespace

Notifier::Notifier(const Config& config, std::string target, Direction direction,
                   std::filesystem::path metrics_file, RunObserver* inner, base::Millis interval)
    : m_hooks(config.hooks),
      m_database(config.redacted_url),
      m_target(std::move(target)),
      m_direction(direction),
      m_metrics_file(std::move(metrics_file)),
      m_inner(inner),
      m_run_start(std::chrono::steady_clock::now()) {
  if (m_metrics_file.empty()) {
    return;
  }
  m_values = previous_counters(m_metrics_file);
  m_ticker = std::thread([this, interval] {
    std::unique_lock lock(m_mutex);
    while (!m_stop) {
      m_wake.wait_for(lock, interval);
      if (!m_stop && m_values.running) {
        m_values.running->second =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - m_step_start).count();
        // On this thread the observer is not called: a problem is reported at the run's end.
        (void)write_atomically(m_metrics_file, exposition(m_values));
      }
    }
  });
}

Notifier::~Notifier() {
  if (m_ticker.joinable()) {
    {
      const std::scoped_lock lock(m_mutex);
      m_stop = true;
    }
    m_wake.notify_all();
    m_ticker.join();
  }
}

Event Notifier::event(const std::string& name) const {
  Event out{name, {}};
  out.fields.push_back({"time", base::format_utc(std::chrono::system_clock::now())});
  out.fields.push_back({"database", m_database});
  out.fields.push_back({"target", m_target});
  out.fields.push_back({"direction", direction_name(m_direction)});
  out.fields.push_back({"host", host_name()});
  out.fields.push_back({"retort_version", std::string(k_version)});
  return out;
}

bool Notifier::fire(const std::string& hook, const std::string& command, Event event) {
  if (command.empty()) {
    return true;
  }
  const HookOutcome outcome = run_hook(command, event, m_hooks.timeout);
  if (!outcome.ok) {
    note(fmt::format("hook {} failed: {}", hook, outcome.problem));
  }
  return outcome.ok;
}

void Notifier::run_started(const RunEvent& run) {
  m_started = true;
  m_revisions = run.revisions;
  m_direction = run.direction;
  Event started = event("before_run");
  started.fields.push_back({"revisions", run.revisions});
  started.fields.push_back({"heads_before", run.heads_before});
  if (!fire("before_run", m_hooks.before_run, std::move(started)) && m_hooks.before_run_required) {
    throw Error(ExitCode::failed,
                "the before_run hook failed, and [retort.hooks] "
                "before_run_required = true stops the run")
        .explain("before_run = \"" + m_hooks.before_run + "\"")
        .state("nothing was run; the database is as it was")
        .next(
            "make the hook succeed (run it by hand with the event on stdin), or set "
            "before_run_required = false; then run the same command again");
  }
  if (m_inner != nullptr) {
    m_inner->run_started(run);
  }
}

void Notifier::step_started(const StepEvent& step) {
  {
    const std::scoped_lock lock(m_mutex);
    m_step_start = std::chrono::steady_clock::now();
    m_values.running = std::pair<std::string, double>(step.revision, 0.0);
    m_values.running_statements_done = 0;
    m_values.running_statements_total = 0;
  }
  if (m_inner != nullptr) {
    m_inner->step_started(step);
  }
}

void Notifier::statement_done(const StepEvent& step, int done, int total) {
  {
    const std::scoped_lock lock(m_mutex);
    m_values.running_statements_done = done;
    m_values.running_statements_total = total;
  }
  if (m_inner != nullptr) {
    m_inner->statement_done(step, done, total);
  }
}

void Notifier::step_finished(const StepEvent& step, std::int64_t duration_ms, bool ok) {
  {
    const std::scoped_lock lock(m_mutex);
    m_values.running.reset();
    (ok ? m_values.steps_applied : m_values.steps_failed) += 1;
    m_values.step_durations.push_back(
        {{step.revision, direction_name(step.direction)}, seconds(duration_ms)});
  }
  if (m_inner != nullptr) {
    m_inner->step_finished(step, duration_ms, ok);
  }
  Event finished = event("after_step");
  finished.fields.push_back({"revision", step.revision});
  finished.fields.push_back({"message", step.message});
  finished.fields.push_back({"index", std::int64_t{step.index}});
  finished.fields.push_back({"count", std::int64_t{step.count}});
  finished.fields.push_back({"status", std::string(ok ? "ok" : "failed")});
  finished.fields.push_back({"duration_ms", duration_ms});
  (void)fire("after_step", m_hooks.after_step, std::move(finished));
}

void Notifier::retrying(const StepEvent& step, int attempt) {
  {
    const std::scoped_lock lock(m_mutex);
    ++m_values.lock_retries;
  }
  if (m_inner != nullptr) {
    m_inner->retrying(step, attempt);
  }
}

void Notifier::lock_waiting(const std::string& holder) {
  {
    const std::scoped_lock lock(m_mutex);
    ++m_values.lock_waits;
  }
  if (m_inner != nullptr) {
    m_inner->lock_waiting(holder);
  }
  Event waiting = event("on_lock_wait");
  waiting.fields.push_back({"holder", holder});
  (void)fire("on_lock_wait", m_hooks.on_lock_wait, std::move(waiting));
}

void Notifier::replica_lag(const std::string& replica, std::int64_t lag_ms) {
  {
    const std::scoped_lock lock(m_mutex);
    auto& seen = m_values.replica_lag[replica];
    seen.first = seconds(lag_ms);
    seen.second = std::max(seen.second, seconds(lag_ms));
  }
  if (m_inner != nullptr) {
    m_inner->replica_lag(replica, lag_ms);
  }
}

void Notifier::backup_taken(const std::string& path, std::int64_t bytes) {
  {
    const std::scoped_lock lock(m_mutex);
    ++m_values.backups;
    m_values.backup_bytes += bytes;
    m_values.last_backup_bytes = bytes;
  }
  if (m_inner != nullptr) {
    m_inner->backup_taken(path, bytes);
  }
}

void Notifier::note(const std::string& text) {
  if (m_inner != nullptr) {
    m_inner->note(text);
  }
}

void Notifier::finished(const RunResult& result) {
  finish_metrics(true);
  if (!m_started) {
    return;
  }
  Event ended = event("after_run");
  ended.fields.push_back({"status", std::string("ok")});
  std::vector<std::string> applied;
  for (const StepResult& step : result.steps) {
    applied.push_back(step.revision);
  }
  ended.fields.push_back({"revisions", applied});
  ended.fields.push_back({"heads_before", result.heads_before});
  ended.fields.push_back({"heads_after", result.heads_after});
  ended.fields.push_back({"duration_ms", result.duration_ms});
  (void)fire("after_run", m_hooks.after_run, std::move(ended));
}

void Notifier::failed(const Error& error) {
  finish_metrics(false);
  const auto with_error = [&](Event out) {
    out.fields.push_back({"status", std::string("failed")});
    out.fields.push_back({"revisions", m_revisions});
    out.fields.push_back({"exit_code", std::int64_t{static_cast<int>(error.code())}});
    out.fields.push_back({"error", std::string(error.what())});
    out.fields.push_back({"state", error.database_state});
    out.fields.push_back({"next", error.next_command});
    return out;
  };
  (void)fire("on_failure", m_hooks.on_failure, with_error(event("on_failure")));
  if (m_started) {
    (void)fire("after_run", m_hooks.after_run, with_error(event("after_run")));
  }
}

void Notifier::finish_metrics(bool ok) {
  if (m_metrics_file.empty()) {
    return;
  }
  const std::scoped_lock lock(m_mutex);
  m_values.running.reset();
  ++m_values.runs;
  m_values.runs_failed += ok ? 0 : 1;
  m_values.last_run_success = ok;
  m_values.last_run_timestamp =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  m_values.last_run_duration =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - m_run_start).count();
  write_locked();
}

void Notifier::write_locked() {
  const std::string problem = write_atomically(m_metrics_file, exposition(m_values));
  if (!problem.empty() && problem != m_metrics_problem && m_inner != nullptr) {
    m_inner->note(problem);
  }
  m_metrics_problem = problem;
}

}  // namespace retort::ops::notify
