// --metrics-file: a run's numbers in Prometheus' text exposition format, written whole to a
// temporary file and renamed over PATH, as node_exporter's textfile collector requires.
#pragma once

#include "retort/results.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace retort::ops::notify {

// What a metrics file holds. Counters (_total) go on from the values the file held before, so
// they only grow across the runs that write it; the rest describe the last run.
struct MetricValues {
  // Counters.
  std::int64_t steps_applied = 0;
  std::int64_t steps_failed = 0;
  std::int64_t lock_waits = 0;
  std::int64_t lock_retries = 0;
  std::int64_t backups = 0;
  std::int64_t backup_bytes = 0;
  std::int64_t runs = 0;
  std::int64_t runs_failed = 0;
  // The last run.
  double last_run_timestamp = 0;  // seconds since the epoch, at its end
  std::optional<bool> last_run_success;
  double last_run_duration = 0;
  std::int64_t last_backup_bytes = 0;
  // The last run's steps: revision and direction to seconds.
  std::vector<std::pair<std::pair<std::string, std::string>, double>> step_durations;
  // Replicas seen before the last run's steps: name to (the last lag, the largest), seconds.
  std::map<std::string, std::pair<double, double>> replica_lag;
  // The step running now (written during long steps): revision, seconds so far.
  std::optional<std::pair<std::string, double>> running;
  std::int64_t running_statements_done = 0;
  std::int64_t running_statements_total = 0;
};

// The text exposition format of `values`: HELP and TYPE before each family.
[[nodiscard]] std::string exposition(const MetricValues& values);

// The counters a metrics file written before holds (missing or unreadable: zero).
[[nodiscard]] MetricValues previous_counters(const std::filesystem::path& file);

// Writes `text` to PATH.tmp.PID beside it and renames it over PATH. Throws nothing: a metrics
// file that cannot be written is reported by the returned message (empty on success).
[[nodiscard]] std::string write_atomically(const std::filesystem::path& file,
                                           const std::string& text);

}  // namespace retort::ops::notify
