// The PostgreSQL cluster of a test binary: initdb (or a copy of a kept initdb) as the
// `postgres` OS user when run as root, started through postgres_launcher.hpp, whose launcher
// process tears it down however the test binary ends.
#include "harness/postgres_server.hpp"

#include "harness/postgres_launcher.hpp"
#include "harness/process.hpp"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace retort::test {
namespace {

bool has_initdb(const std::filesystem::path& dir) {
  return !dir.empty() && ::access((dir / "initdb").c_str(), X_OK) == 0;
}

std::filesystem::path find_bin_dir() {
  if (const char* dir = std::getenv("RETORT_PG_BINDIR"); dir != nullptr && *dir) {
    return dir;
  }
  const std::filesystem::path debian = "/usr/lib/postgresql/15/bin";
  if (has_initdb(debian)) {
    return debian;
  }
  try {
    SpawnOptions options;
    options.timeout = std::chrono::seconds(10);
    ProcessResult result = run({"pg_config", "--bindir"}, options);
    while (!result.out.empty() && (result.out.back() == '\n' || result.out.back() == '\r')) {
      result.out.pop_back();
    }
    if (result.exit_code == 0 && has_initdb(result.out)) {
      return result.out;
    }
  } catch (const std::exception&) {
    // No pg_config on PATH: the caller reports that no server programs were found.
  }
  return {};
}

std::string sanitize_hint(std::string_view hint) {
  std::string name;
  for (const char c : hint) {
    if (name.size() >= 40) {
      break;
    }
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (alnum) {
      name += c;
    } else if (c >= 'A' && c <= 'Z') {
      name += static_cast<char>(c - 'A' + 'a');
    } else if (!name.empty() && name.back() != '_') {
      name += '_';
    }
  }
  while (!name.empty() && name.back() == '_') {
    name.pop_back();
  }
  if (name.empty() || (name.front() >= '0' && name.front() <= '9')) {
    name = "db_" + name;
  }
  return name;
}

// initdb costs a second per test process (ctest runs each test in its own), so its output is
// kept once, pristine, next to the clusters and copied for later ones. The name changes with
// the server programs, and with k_template_format when the harness's initdb options change.
constexpr int k_template_format = 1;

std::filesystem::path template_path(const std::filesystem::path& temp_root,
                                    const std::filesystem::path& bin_dir) {
  struct stat info {};
  const std::string postgres = (bin_dir / "postgres").string();
  ::stat(postgres.c_str(), &info);
  const std::string key = postgres + "|" + std::to_string(info.st_mtim.tv_sec) + "|" +
                          std::to_string(info.st_size) + "|" + std::to_string(k_template_format);
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016zx", std::hash<std::string>{}(key));
  return temp_root / ("retort-pg-template-" + std::to_string(::geteuid()) + "-" + hex);
}

// Copies the template into data_dir; false when there is none (or none to trust: another OS
// user could have planted one in a shared /tmp).
bool copy_template(const std::filesystem::path& template_dir, uid_t server_uid,
                   const std::filesystem::path& data_dir) {
  struct stat info {};
  if (::lstat(template_dir.c_str(), &info) != 0 || !S_ISDIR(info.st_mode) ||
      info.st_uid != server_uid || (info.st_mode & 077) != 0 ||
      !std::filesystem::exists(template_dir / "PG_VERSION")) {
    return false;
  }
  SpawnOptions options;
  options.timeout = std::chrono::seconds(120);
  // cp -a as root keeps the postgres owner; otherwise everything is the current user's anyway.
  const ProcessResult copy =
      run({"cp", "-a", "--", template_dir.string(), data_dir.string()}, options);
  if (copy.exit_code == 0) {
    return true;
  }
  std::error_code ignored;
  std::filesystem::remove_all(data_dir, ignored);
  return false;
}

// Publishes a fresh initdb output as the template: copied aside, then renamed into place, so
// a concurrent test binary sees either no template or a whole one. Best effort.
void save_template(const std::filesystem::path& data_dir,
                   const std::filesystem::path& template_dir) {
  std::string staging = template_dir.string() + ".XXXXXX";
  if (::mkdtemp(staging.data()) == nullptr) {
    return;
  }
  const std::filesystem::path staged = std::filesystem::path(staging) / "data";
  SpawnOptions options;
  options.timeout = std::chrono::seconds(120);
  const ProcessResult copy = run({"cp", "-a", "--", data_dir.string(), staged.string()}, options);
  if (copy.exit_code == 0) {
    // Fails harmlessly when another test binary published one first.
    std::rename(staged.c_str(), template_dir.c_str());
  }
  std::error_code ignored;
  std::filesystem::remove_all(staging, ignored);
}

// A libpq connection closed at scope exit.
struct PgConnCloser {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
using PgConn = std::unique_ptr<PGconn, PgConnCloser>;

// Runs one command; returns the error text, empty on success.
std::string exec_admin(const std::string& url, const std::string& sql) {
  PgConn conn(PQconnectdb(url.c_str()));
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    return std::string("cannot connect: ") + PQerrorMessage(conn.get());
  }
  PGresult* result = PQexec(conn.get(), sql.c_str());
  std::string error;
  if (PQresultStatus(result) != PGRES_COMMAND_OK && PQresultStatus(result) != PGRES_TUPLES_OK) {
    error = PQresultErrorMessage(result);
  }
  PQclear(result);
  return error;
}

}  // namespace

struct PostgresServer::State {
  std::mutex mutex;
  bool running = false;
  std::string failure;  // why the server could not be started; reported by every instance()
  pid_t owner_pid = 0;  // the process that started it; a fork of the test binary never stops it
  std::filesystem::path bin_dir;
  std::filesystem::path base_dir;
  std::filesystem::path template_dir;
  bool from_template = false;  // the cluster is a copy of template_dir, not a fresh initdb
  std::string os_user;
  int port = 0;
  PostgresLauncher launcher;
  unsigned database_counter = 0;

  void start();
  void shutdown();
  [[nodiscard]] std::string admin_url(std::string_view database) const {
    return "postgresql://" + os_user + "@127.0.0.1:" + std::to_string(port) + "/" +
           std::string(database);
  }
  [[nodiscard]] std::string log_tail() const {
    return last_lines(read_file(base_dir / "server.log"), 30);
  }
};

void PostgresServer::State::start() {
  owner_pid = ::getpid();
  bin_dir = find_bin_dir();
  if (bin_dir.empty()) {
    throw std::runtime_error(
        "no PostgreSQL server programs found: install postgresql-15, or set RETORT_PG_BINDIR to "
        "the directory holding initdb and postgres");
  }

  const ServerAccount account = server_account("the server");
  os_user = account.name;
  base_dir = make_server_dir("retort-pg-", account);
  const std::filesystem::path data_dir = base_dir / "data";

  template_dir = template_path(temp_root(), bin_dir);
  const uid_t server_uid = account.change_user ? account.uid : ::geteuid();
  from_template = copy_template(template_dir, server_uid, data_dir);
  if (!from_template) {
    SpawnOptions initdb_options;
    initdb_options.cwd = base_dir;
    initdb_options.run_as_user = account.run_as;
    initdb_options.timeout = std::chrono::seconds(120);
    initdb_options.unset_env = {"PGDATA", "PGHOST", "PGPORT", "PGUSER"};
    const ProcessResult initdb =
        run({(bin_dir / "initdb").string(), "-D", data_dir.string(), "-U", os_user, "--auth=trust",
             "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions"},
            initdb_options);
    if (initdb.exit_code != 0) {
      throw std::runtime_error("initdb failed (exit " + std::to_string(initdb.exit_code) + "):\n" +
                               last_lines(initdb.out + initdb.err, 30));
    }
    save_template(data_dir, template_dir);
  }

  {
    // Durability is irrelevant for a throwaway cluster, and costs most of the test time.
    std::ofstream conf(data_dir / "postgresql.conf", std::ios::app);
    conf << "\n# retort test harness\n"
         << "listen_addresses = '127.0.0.1'\n"
         << "unix_socket_directories = '" << base_dir.string() << "'\n"
         << "max_connections = 200\n"
         << "shared_buffers = 32MB\n"
         << "fsync = off\n"
         << "synchronous_commit = off\n"
         << "full_page_writes = off\n";
    std::ofstream hba(data_dir / "pg_hba.conf", std::ios::trunc);
    // First match wins: the password role before the trust lines.
    hba << "# retort test harness: the password role must authenticate, everyone else is "
           "trusted.\n"
        << "local all " << PostgresServer::k_password_user << " scram-sha-256\n"
        << "host  all " << PostgresServer::k_password_user << " 127.0.0.1/32 scram-sha-256\n"
        << "host  all " << PostgresServer::k_password_user << " ::1/128 scram-sha-256\n"
        << "local all all trust\n"
        << "host  all all 127.0.0.1/32 trust\n"
        << "host  all all ::1/128 trust\n"
        // Streaming replicas of this cluster (harness/replica.hpp): `all` does not match
        // replication connections.
        << "host  replication all 127.0.0.1/32 trust\n";
    if (!conf || !hba) {
      throw std::runtime_error("cannot write the configuration in " + data_dir.string());
    }
  }

  LaunchOptions options;
  options.program = bin_dir / "postgres";
  options.log_path = base_dir / "server.log";
  options.base_dir = base_dir;
  const char* keep = std::getenv("RETORT_KEEP_TEMP");
  options.keep_dir = keep != nullptr && *keep;
  options.account = account;
  options.login_user = os_user;
  options.arguments = [&](int chosen_port) {
    return std::vector<std::string>{"-D", data_dir.string(), "-p", std::to_string(chosen_port)};
  };
  launcher.start(options);
  port = launcher.port();
  running = true;

  const std::string role_error = exec_admin(
      admin_url("postgres"), "CREATE ROLE " + std::string(k_password_user) +
                                 " LOGIN SUPERUSER PASSWORD '" + std::string(k_password) + "'");
  if (!role_error.empty()) {
    throw std::runtime_error("cannot create the role " + std::string(k_password_user) + ": " +
                             role_error);
  }
  if (options.keep_dir) {
    std::cerr << "RETORT_KEEP_TEMP: PostgreSQL cluster kept in " << base_dir.string() << '\n';
  }
}

void PostgresServer::State::shutdown() {
  launcher.stop();
  running = false;
  const char* keep = std::getenv("RETORT_KEEP_TEMP");
  if (!base_dir.empty() && (keep == nullptr || *keep == '\0')) {
    std::error_code ignored;
    std::filesystem::remove_all(base_dir, ignored);
  }
}

namespace {

PostgresServer* g_server = nullptr;

void stop_at_exit() {
  if (g_server != nullptr) {
    g_server->stop();
  }
}

class PostgresEnvironment : public testing::Environment {
 public:
  void TearDown() override { stop_at_exit(); }
};

// Registered at static initialisation, as GoogleTest documents: linked into a test binary
// exactly when the binary uses PostgresServer, since this file defines instance().
[[maybe_unused]] const testing::Environment* const k_environment =
    testing::AddGlobalTestEnvironment(new PostgresEnvironment);

}  // namespace

PostgresServer::PostgresServer() : m_state(new State) {}

PostgresServer& PostgresServer::instance() {
  static std::mutex instance_mutex;
  std::lock_guard lock(instance_mutex);
  if (g_server == nullptr) {
    // Never destroyed: tests on other threads may still hold the reference at exit.
    g_server = new PostgresServer;
    std::atexit(stop_at_exit);
  }
  State& st = *g_server->m_state;
  if (!st.running && st.failure.empty()) {
    try {
      st.start();
    } catch (const std::exception& error) {
      st.failure = error.what();
      if (st.from_template) {
        st.failure += "\n(the cluster was a copy of " + st.template_dir.string() +
                      "; remove that directory to make the next run use initdb)";
      }
      st.shutdown();
    }
  }
  if (!st.failure.empty()) {
    ADD_FAILURE() << "cannot start the PostgreSQL test server: " << st.failure;
    throw std::runtime_error("the PostgreSQL test server is not running (see the failure above)");
  }
  return *g_server;
}

std::string PostgresServer::admin_url() const { return m_state->admin_url("postgres"); }

std::string PostgresServer::url(std::string_view database) const {
  return m_state->admin_url(database);
}

std::string PostgresServer::password_url(std::string_view database) const {
  return "postgresql://" + std::string(k_password_user) + ":" + std::string(k_password) +
         "@127.0.0.1:" + std::to_string(m_state->port) + "/" + std::string(database);
}

std::string PostgresServer::create_database(std::string_view hint) {
  std::string name;
  {
    std::lock_guard lock(m_state->mutex);
    name = sanitize_hint(hint) + "_" + std::to_string(++m_state->database_counter);
  }
  const std::string error =
      exec_admin(admin_url(), "CREATE DATABASE \"" + name + "\" TEMPLATE template0");
  if (!error.empty()) {
    ADD_FAILURE() << "CREATE DATABASE " << name << " failed: " << error;
    throw std::runtime_error("CREATE DATABASE " + name + " failed: " + error);
  }
  return url(name);
}

int PostgresServer::port() const { return m_state->port; }

std::string PostgresServer::user() const { return m_state->os_user; }

const std::filesystem::path& PostgresServer::bin_dir() const { return m_state->bin_dir; }

std::filesystem::path PostgresServer::log_path() const { return m_state->base_dir / "server.log"; }

std::string PostgresServer::psql(std::string_view database_url, std::string_view sql) {
  SpawnOptions options;
  options.timeout = std::chrono::seconds(120);
  const ProcessResult result =
      run({(bin_dir() / "psql").string(), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d",
           std::string(database_url), "-c", std::string(sql)},
          options);
  if (result.exit_code != 0) {
    ADD_FAILURE() << "psql failed (exit " << result.exit_code << ", signal " << result.signal
                  << ") running: " << sql << "\n"
                  << result.err;
  }
  return result.out;
}

void PostgresServer::stop() {
  State& st = *m_state;
  std::lock_guard lock(st.mutex);
  // A forked child of the test binary (a death test, say) runs atexit too; the server is not
  // its to stop.
  if (st.owner_pid != ::getpid()) {
    return;
  }
  st.shutdown();
  st.base_dir.clear();
}

}  // namespace retort::test
