// --log-format json: see json_log.hpp.
#include "cli/json_log.hpp"

#include "cli/render.hpp"
#include "retort/format.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>

namespace retort::cli {

namespace {

nlohmann::json step_fields(const StepEvent& step) {
  nlohmann::json fields = {{"index", step.index},
                           {"count", step.count},
                           {"direction", to_string(step.direction)},
                           {"message", step.message}};
  if (step.estimate_ms) {
    fields["estimate_ms"] = *step.estimate_ms;
  }
  return fields;
}

}  // namespace

void log_line(const std::string& level, const std::string& event, const std::string& revision,
              const nlohmann::json& fields) {
  nlohmann::ordered_json line;
  line["timestamp"] = format_utc(std::chrono::system_clock::now());
  line["level"] = level;
  line["event"] = event;
  line["revision"] =
      revision.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(revision);
  line["fields"] = fields.is_null() ? nlohmann::json::object() : fields;
  const std::string text =
      line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::fputs(text.c_str(), stderr);
  std::fflush(stderr);
}

void log_error(const Error& error) {
  nlohmann::json fields = {{"message", error.what()},
                           {"exit_code", static_cast<int>(error.code())}};
  if (!error.database_state.empty()) {
    fields["state"] = error.database_state;
  }
  if (!error.next_command.empty()) {
    fields["next"] = error.next_command;
  }
  fields["text"] = format_error(error);
  log_line("error", "error", "", fields);
}

void JsonLog::run_started(const RunEvent& run) {
  if (m_verbosity >= 0) {
    log_line("info", "run_started", "",
             {{"direction", to_string(run.direction)},
              {"revisions", run.revisions},
              {"heads_before", run.heads_before}});
  }
}

void JsonLog::step_started(const StepEvent& step) {
  if (m_verbosity >= 0) {
    log_line("info", "step_started", step.revision, step_fields(step));
  }
}

void JsonLog::statement_done(const StepEvent& step, int done, int total) {
  if (m_verbosity >= 1) {
    log_line("debug", "statement_done", step.revision, {{"done", done}, {"total", total}});
  }
}

void JsonLog::step_finished(const StepEvent& step, std::int64_t duration_ms, bool ok) {
  if (ok && m_verbosity < 0) {
    return;
  }
  nlohmann::json fields = step_fields(step);
  fields["duration_ms"] = duration_ms;
  fields["status"] = ok ? "ok" : "failed";
  log_line(ok ? "info" : "error", "step_finished", step.revision, fields);
}

void JsonLog::retrying(const StepEvent& step, int attempt) {
  log_line("warn", "lock_retry", step.revision, {{"attempt", attempt}});
}

void JsonLog::lock_waiting(const std::string& holder) {
  log_line("warn", "lock_wait", "", {{"holder", holder}});
}

void JsonLog::note(const std::string& text) {
  m_notes.push_back(text);
  if (m_verbosity >= 0) {
    log_line("info", "note", "", {{"message", text}});
  }
}

}  // namespace retort::cli
