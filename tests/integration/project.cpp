// A temporary retort project for integration tests.
#include "integration/project.hpp"

#include "base/url.hpp"
#include "harness/postgres_server.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

namespace retort::test {

const char* backend_name(Backend backend) {
  return backend == Backend::sqlite ? "sqlite" : "postgres";
}

Project::Project(Backend backend, const std::string& hint) : m_backend(backend) {
  std::filesystem::create_directories(m_dir.path() / "migrations" / "versions");
  m_config.project_dir = m_dir.path();
  m_config.script_location = m_dir.path() / "migrations";
  if (backend == Backend::sqlite) {
    m_config.url = "sqlite:///" + (m_dir.path() / "app.db").string();
  } else {
    m_config.url = PostgresServer::instance().create_database(hint);
  }
  m_config.redacted_url = base::redact_url(m_config.url);
  m_config.url_source = "test";
}

std::string Project::add(const MigrationSpec& spec) {
  std::string text = fmt::format("-- retort:revision {}\n", spec.revision);
  if (!spec.revises.empty()) {
    text += "-- retort:revises";
    for (const std::string& parent : spec.revises) {
      text += " " + parent;
    }
    text += "\n";
  }
  text += fmt::format("-- retort:message {}\n",
                      spec.message.empty() ? "revision " + spec.revision : spec.message);
  for (const std::string& header : spec.extra_headers) {
    text += "-- retort:" + header + "\n";
  }
  text += "\n-- retort:upgrade\n" + spec.upgrade + "\n";
  if (!spec.downgrade.empty()) {
    text += "\n-- retort:downgrade\n" + spec.downgrade + "\n";
  }
  const std::string relative =
      fmt::format("migrations/versions/{}_{}.sql", spec.revision, "change");
  m_dir.write(relative, text);
  return relative;
}

driver::Connection& Project::db() {
  if (!m_db) {
    auto url = base::parse_database_url(m_config.url);
    m_db = driver::connect(url.value());
  }
  return *m_db;
}

std::vector<std::string> Project::version_rows() {
  const std::string table = m_config.version_table;
  std::vector<std::string> out;
  try {
    for (const auto& row : db().query("SELECT version_num FROM " + table).rows) {
      out.push_back(row[0].value_or("NULL"));
    }
  } catch (const driver::DatabaseError&) {
    return {"<no version table>"};
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> Project::tables() {
  const std::string sql =
      m_backend == Backend::sqlite
          ? "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
          : "SELECT table_name FROM information_schema.tables WHERE table_schema = "
            "current_schema() ORDER BY table_name";
  std::vector<std::string> out;
  for (const auto& row : db().query(sql).rows) {
    const std::string name = row[0].value_or("");
    if (name != m_config.version_table && name != "retort_log" && name != "retort_lease") {
      out.push_back(name);
    }
  }
  return out;
}

std::string Project::schema() {
  const std::string sql =
      m_backend == Backend::sqlite
          ? "SELECT type || ' ' || name || ': ' || coalesce(sql, '') FROM sqlite_master WHERE "
            "name NOT LIKE 'sqlite_%' ORDER BY type, name"
          : "SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || "
            "is_nullable FROM information_schema.columns WHERE table_schema = current_schema() "
            "UNION ALL SELECT 'index ' || indexname || ': ' || indexdef FROM pg_indexes WHERE "
            "schemaname = current_schema() ORDER BY 1";
  std::string out;
  for (const auto& row : db().query(sql).rows) {
    out += row[0].value_or("") + "\n";
  }
  return out;
}

std::vector<Project::LedgerRow> Project::ledger() {
  std::vector<LedgerRow> out;
  for (const auto& row :
       db().query("SELECT revision, direction, status, statements_done, statements_total, "
                  "coalesce(error, '') FROM retort_log ORDER BY id")
           .rows) {
    LedgerRow entry;
    entry.revision = row[0].value_or("");
    entry.direction = row[1].value_or("");
    entry.status = row[2].value_or("");
    entry.statements_done = std::atoi(row[3].value_or("0").c_str());
    entry.statements_total = std::atoi(row[4].value_or("0").c_str());
    entry.error = row[5].value_or("");
    out.push_back(std::move(entry));
  }
  return out;
}

void Project::write_config_file() const {
  m_dir.write("retort.toml", fmt::format("[retort]\n"
                                         "script_location = \"migrations\"\n"
                                         "url = \"{}\"\n"
                                         "version_table = \"{}\"\n"
                                         "transaction_per_migration = {}\n",
                                         m_config.url, m_config.version_table,
                                         m_config.transaction_per_migration ? "true" : "false"));
}

std::vector<std::string> Project::query_rows(const std::string& sql) {
  std::vector<std::string> out;
  for (const auto& row : db().query(sql).rows) {
    std::string line;
    for (std::size_t col_idx = 0; col_idx < row.size(); ++col_idx) {
      line += (col_idx == 0 ? "" : "|") + row[col_idx].value_or("NULL");
    }
    out.push_back(std::move(line));
  }
  return out;
}

}  // namespace retort::test
