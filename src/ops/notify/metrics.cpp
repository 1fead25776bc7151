// The metrics file: exposition text, counters carried over from the previous file, the atomic
// write.
#include "ops/notify/metrics.hpp"

#include <fmt/format.h>

#include <fstream>
#include <sstream>
#include <system_error>
#include <unistd.h>

namespace retort::ops::notify {

namespace {

// A label value, escaped as the exposition format wants (backslash, quote, newline).
std::string label(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

struct Family {
  std::string& out;
  void head(std::string_view name, std::string_view type, std::string_view help) const {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  }
  void sample(std::string_view name, std::int64_t value) const {
    out += fmt::format("{} {}\n", name, value);
  }
  void sample(std::string_view name, double value) const {
    out += fmt::format("{} {:.3f}\n", name, value);
  }
};

constexpr std::string_view k_applied = "retort_steps_applied_total";
constexpr std::string_view k_failed = "retort_steps_failed_total";
constexpr std::string_view k_waits = "retort_lock_waits_total";
constexpr std::string_view k_retries = "retort_lock_retries_total";
constexpr std::string_view k_backups = "retort_backups_total";
constexpr std::string_view k_backup_bytes = "retort_backup_bytes_total";
constexpr std::string_view k_runs = "retort_runs_total";
constexpr std::string_view k_runs_failed = "retort_runs_failed_total";

}  // namespace

std::string exposition(const MetricValues& values) {
  std::string out;
  const Family family{out};
  const auto counter = [&](std::string_view name, std::string_view help, std::int64_t value) {
    family.head(name, "counter", help);
    family.sample(name, value);
  };
  counter(k_runs, "Runs of upgrade, downgrade and stamp that wrote this file.", values.runs);
  counter(k_runs_failed, "Runs that failed (any exit but 0 and 2).", values.runs_failed);
  counter(k_applied, "Steps applied (migrations run; a stamp runs none).", values.steps_applied);
  counter(k_failed, "Steps that failed and were rolled back or stopped.", values.steps_failed);
  counter(k_waits, "Times a run waited for another runner's run lock.", values.lock_waits);
  counter(k_retries, "Statements retried after lock_timeout.", values.lock_retries);
  counter(k_backups, "Backups taken before risky steps.", values.backups);
  counter(k_backup_bytes, "Bytes of the backups taken (files retort wrote).", values.backup_bytes);
  if (values.last_run_success) {
    family.head("retort_last_run_timestamp_seconds", "gauge",
                "When the last run ended, in seconds since the epoch.");
    family.sample("retort_last_run_timestamp_seconds", values.last_run_timestamp);
    family.head("retort_last_run_success", "gauge", "1 when the last run succeeded, else 0.");
    family.sample("retort_last_run_success", std::int64_t{*values.last_run_success ? 1 : 0});
    family.head("retort_last_run_duration_seconds", "gauge", "How long the last run took.");
    family.sample("retort_last_run_duration_seconds", values.last_run_duration);
    family.head("retort_last_backup_bytes", "gauge",
                "Size of the backup the last run took; 0 when it took none.");
    family.sample("retort_last_backup_bytes", values.last_backup_bytes);
  }
  if (!values.step_durations.empty()) {
    family.head("retort_step_duration_seconds", "gauge",
                "How long each step of the last run took.");
    for (const auto& [key, seconds] : values.step_durations) {
      out +=
          fmt::format("retort_step_duration_seconds{{revision=\"{}\",direction=\"{}\"}} {:.3f}\n",
                      label(key.first), label(key.second), seconds);
    }
  }
  if (!values.replica_lag.empty()) {
    family.head("retort_replica_lag_seconds", "gauge",
                "Each replica's lag as last measured before a step of the last run.");
    for (const auto& [replica, lag] : values.replica_lag) {
      out += fmt::format("retort_replica_lag_seconds{{replica=\"{}\"}} {:.3f}\n", label(replica),
                         lag.first);
    }
    family.head("retort_replica_lag_max_seconds", "gauge",
                "Each replica's largest lag measured before the steps of the last run.");
    for (const auto& [replica, lag] : values.replica_lag) {
      out += fmt::format("retort_replica_lag_max_seconds{{replica=\"{}\"}} {:.3f}\n",
                         label(replica), lag.second);
    }
  }
  if (values.running) {
    family.head("retort_step_running_seconds", "gauge",
                "How long the step running now has run; absent between runs.");
    out += fmt::format("retort_step_running_seconds{{revision=\"{}\"}} {:.3f}\n",
                       label(values.running->first), values.running->second);
    family.head("retort_step_statements_done", "gauge",
                "Statements of the running step done so far.");
    out += fmt::format("retort_step_statements_done{{revision=\"{}\"}} {}\n",
                       label(values.running->first), values.running_statements_done);
    family.head("retort_step_statements_total", "gauge", "Statements of the running step.");
    out += fmt::format("retort_step_statements_total{{revision=\"{}\"}} {}\n",
                       label(values.running->first), values.running_statements_total);
  }
  return out;
}

MetricValues previous_counters(const std::filesystem::path& file) {
  MetricValues out;
  std::ifstream in(file);
  std::string line;
  const std::vector<std::pair<std::string_view, std::int64_t*>> counters = {
      {k_applied, &out.steps_applied},
      {k_failed, &out.steps_failed},
      {k_waits, &out.lock_waits},
      {k_retries, &out.lock_retries},
      {k_backups, &out.backups},
      {k_backup_bytes, &out.backup_bytes},
      {k_runs, &out.runs},
      {k_runs_failed, &out.runs_failed},
  };
  while (std::getline(in, line)) {
    for (const auto& [name, value] : counters) {
      if (line.size() > name.size() + 1 && line.starts_with(name) && line[name.size()] == ' ') {
        try {
          *value = std::stoll(line.substr(name.size() + 1));
        } catch (const std::exception&) {
          *value = 0;
        }
      }
    }
  }
  return out;
}

std::string write_atomically(const std::filesystem::path& file, const std::string& text) {
  std::filesystem::path temporary = file;
  temporary += fmt::format(".tmp.{}", ::getpid());
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      std::error_code ignored;
      std::filesystem::remove(temporary, ignored);
      return fmt::format(
          "could not write the metrics file {}: check that its directory exists "
          "and is writable (the run itself is not affected)",
          file.string());
    }
  }
  std::error_code error;
  std::filesystem::rename(temporary, file, error);
  if (error) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    return fmt::format("could not rename {} to {}: {}", temporary.string(), file.string(),
                       error.message());
  }
  return {};
}

}  // namespace retort::ops::notify
