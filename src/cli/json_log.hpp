// --log-format json: what a run reports, as one JSON object per line on stderr (timestamp,
// level, event, revision, fields) for log collectors, instead of the progress bar and the
// plain lines. stdout keeps the result (and the --json document).
#pragma once

#include "retort/error.hpp"
#include "retort/events.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace retort::cli {

// One log line: {"timestamp":"2026-12-05T03:00:00.123Z","level":"info","event":"step_started",
// "revision":"b2","fields":{...}} and a newline, written to stderr at once.
void log_line(const std::string& level, const std::string& event, const std::string& revision,
              const nlohmann::json& fields);

// The error a command ended with, as a log line (level error, event "error").
void log_error(const Error& error);

class JsonLog : public RunObserver {
 public:
  // verbosity: -1 (--quiet) keeps only warnings and errors; 1 (-v) adds each statement done.
  explicit JsonLog(int verbosity) : m_verbosity(verbosity) {}

  void run_started(const RunEvent& run) override;
  void step_started(const StepEvent& step) override;
  void statement_done(const StepEvent& step, int done, int total) override;
  void step_finished(const StepEvent& step, std::int64_t duration_ms, bool ok) override;
  void retrying(const StepEvent& step, int attempt) override;
  void lock_waiting(const std::string& holder) override;
  void note(const std::string& text) override;

  // The notes, for the --json document.
  [[nodiscard]] const std::vector<std::string>& notes() const noexcept { return m_notes; }

 private:
  int m_verbosity;
  std::vector<std::string> m_notes;
};

}  // namespace retort::cli
