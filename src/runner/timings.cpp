// retort_timings: imported step durations, created by the first import.
#include "runner/timings.hpp"

#include "base/identifier.hpp"
#include "runner/version_table.hpp"

#include <fmt/format.h>

#include <array>
#include <cstdlib>

namespace retort::runner {

namespace {

constexpr std::string_view k_timings_table = "retort_timings";

}  // namespace

TimingsTable::TimingsTable(driver::Connection& connection, const std::string& schema)
    : m_connection(connection),
      m_qualified(base::quote_qualified(schema, k_timings_table, connection.dialect())) {}

int TimingsTable::import(const std::vector<StepTiming>& timings) {
  if (!table_exists(m_connection, std::string(k_timings_table), m_qualified)) {
    m_connection.execute(
        fmt::format("CREATE TABLE IF NOT EXISTS {} (\n"
                    "    revision VARCHAR(64) NOT NULL,\n"
                    "    direction VARCHAR(16) NOT NULL,\n"
                    "    checksum TEXT NOT NULL,\n"
                    "    duration_ms BIGINT NOT NULL,\n"
                    "    source TEXT,\n"
                    "    measured_at TEXT,\n"
                    "    PRIMARY KEY (revision, direction, checksum)\n"
                    ")",
                    m_qualified));
  }
  m_checked = false;
  m_connection.begin();
  try {
    for (const StepTiming& timing : timings) {
      const std::array<driver::Value, 3> key{
          timing.revision, std::string(to_string(timing.direction)), timing.checksum};
      (void)m_connection.query(fmt::format("DELETE FROM {} WHERE revision = $1 AND direction = "
                                           "$2 AND checksum = $3 RETURNING 1",
                                           m_qualified),
                               key);
      const std::array<driver::Value, 6> row{
          timing.revision, std::string(to_string(timing.direction)),
          timing.checksum, std::to_string(timing.duration_ms),
          timing.source,   timing.measured_at};
      (void)m_connection.query(
          fmt::format("INSERT INTO {} (revision, direction, checksum, duration_ms, source, "
                      "measured_at) VALUES ($1, $2, $3, CAST($4 AS BIGINT), $5, $6) RETURNING 1",
                      m_qualified),
          row);
    }
    m_connection.commit();
  } catch (...) {
    if (m_connection.in_transaction()) {
      m_connection.rollback();
    }
    throw;
  }
  return static_cast<int>(timings.size());
}

std::optional<StepTiming> TimingsTable::find(const std::string& revision, Direction direction,
                                             const std::string& checksum) {
  if (!m_checked) {
    m_exists = table_exists(m_connection, std::string(k_timings_table), m_qualified);
    m_checked = true;
  }
  if (!m_exists) {
    return std::nullopt;
  }
  const std::array<driver::Value, 3> key{revision, std::string(to_string(direction)), checksum};
  const driver::Rows rows = m_connection.query(
      fmt::format("SELECT CAST(duration_ms AS TEXT), coalesce(source, ''), coalesce(measured_at, "
                  "'') FROM {} WHERE revision = $1 AND direction = $2 AND checksum = $3",
                  m_qualified),
      key);
  if (rows.empty()) {
    return std::nullopt;
  }
  StepTiming timing;
  timing.revision = revision;
  timing.direction = direction;
  timing.checksum = checksum;
  timing.duration_ms = std::strtoll(rows.rows[0][0].value_or("0").c_str(), nullptr, 10);
  timing.source = rows.rows[0][1].value_or("");
  timing.measured_at = rows.rows[0][2].value_or("");
  return timing;
}

}  // namespace retort::runner
