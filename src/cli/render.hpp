// Rendering of command results: text for people, one JSON document for scripts (--json).
#pragma once

#include "retort/retort.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace retort::cli {

// The version `retort --version` prints and SARIF output names.
inline constexpr const char* k_retort_version = retort::k_version;

struct Style {
  bool color = false;  // ANSI colour: a terminal and no NO_COLOR
  int verbosity = 0;   // -q: -1, -v: 1

  [[nodiscard]] std::string bold(const std::string& text) const;
  [[nodiscard]] std::string red(const std::string& text) const;
  [[nodiscard]] std::string green(const std::string& text) const;
  [[nodiscard]] std::string yellow(const std::string& text) const;
  [[nodiscard]] std::string dim(const std::string& text) const;
};

// A duration for people: "850ms", "12.4s", "3m05s", "1h02m" (retort::format_elapsed).
[[nodiscard]] std::string elapsed_text(std::int64_t ms);

// Text lines.
[[nodiscard]] std::string revision_line(const RevisionInfo& info, const Style& style);
[[nodiscard]] std::string revision_verbose(const RevisionInfo& info, const Style& style);
[[nodiscard]] std::string run_summary(const RunResult& result, const std::string& verb,
                                      const Style& style);
[[nodiscard]] std::string current_text(const CurrentResult& result, const Style& style);
// The steps, then one line per check: "pass pending: ...", with "  fix: ..." under a warn or fail.
[[nodiscard]] std::string preflight_text(const PreflightResult& result, const Style& style);
[[nodiscard]] nlohmann::json to_json(const PreflightResult& result);
// One block per finding: "error partial-migration: ...", then "  fix: ...".
[[nodiscard]] std::string doctor_text(const DoctorResult& result, const Style& style);
// "Backup of URL at REVISION: PATH", then its size and how it was checked.
[[nodiscard]] std::string backup_text(const BackupResult& result, const Style& style);
[[nodiscard]] std::string restore_text(const RestoreResult& result, const Style& style);

// JSON documents.
[[nodiscard]] nlohmann::json to_json(const LedgerEntry& entry);
// The document `timings export` writes and `timings import` reads:
// {"retort_timings": 1, "timings": [{revision, direction, checksum, duration_ms, source,
// measured_at}, ...]}.
[[nodiscard]] nlohmann::json to_json(const std::vector<StepTiming>& timings);
// Throws retort::Error (input) naming what is wrong with the document.
[[nodiscard]] std::vector<StepTiming> timings_from_json(const nlohmann::json& document,
                                                        const std::string& file);
[[nodiscard]] nlohmann::json to_json(const RevisionInfo& info);
[[nodiscard]] nlohmann::json to_json(const std::vector<RevisionInfo>& infos);
// A run: its steps (each naming the backup taken before it, or null) and the notes the run
// wrote on stderr as it went (retries, lock waits, backups).
[[nodiscard]] nlohmann::json to_json(const RunResult& result,
                                     const std::vector<std::string>& notes);
// --sql --json: the plan (steps with status "planned") and the script itself.
[[nodiscard]] nlohmann::json offline_json(const RunResult& result, const std::string& script);
[[nodiscard]] nlohmann::json to_json(const CurrentResult& result);
[[nodiscard]] nlohmann::json to_json(const CheckResult& result);
[[nodiscard]] nlohmann::json to_json(const DiffResult& result);
[[nodiscard]] nlohmann::json to_json(const DoctorResult& result);
[[nodiscard]] nlohmann::json to_json(const BackupResult& result);
[[nodiscard]] nlohmann::json to_json(const RestoreResult& result);
[[nodiscard]] nlohmann::json to_json(const InitResult& result);
[[nodiscard]] nlohmann::json to_json(const std::vector<BranchPoint>& points);
[[nodiscard]] nlohmann::json to_json(const Error& error);

// Prints a JSON document on stdout, one per command.
void print_json(const nlohmann::json& document);

}  // namespace retort::cli
