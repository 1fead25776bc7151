// retort_timings: step durations measured elsewhere (staging, on prod-shaped data) and imported
// here, so that preflight can estimate a run before it is made. Matched by revision, direction
// and checksum: an edited file has no estimate until it is timed again.
#pragma once

#include "driver/driver.hpp"
#include "retort/results.hpp"

#include <optional>
#include <string>
#include <vector>

namespace retort::runner {

class TimingsTable {
 public:
  // schema: the version table's schema (the table lives next to it); empty for the default.
  TimingsTable(driver::Connection& connection, const std::string& schema);

  // Replaces the rows of the same revision, direction and checksum. Creates the table when it
  // is missing. Returns how many rows were written.
  int import(const std::vector<StepTiming>& timings);
  // The imported duration of one step, if any.
  [[nodiscard]] std::optional<StepTiming> find(const std::string& revision, Direction direction,
                                               const std::string& checksum);

 private:
  driver::Connection& m_connection;
  std::string m_qualified;
  bool m_exists = false;
  bool m_checked = false;
};

}  // namespace retort::runner
