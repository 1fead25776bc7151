// Throwaway databases: a database created on dev_url, a private PostgreSQL cluster started for
// one command, or a temporary SQLite file; each removed again however the command ends, short
// of SIGKILL.
#include "ops/scratch/scratch.hpp"

#include "ops/backup/program.hpp"
#include "retort/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <arpa/inet.h>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <netinet/in.h>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <sys/socket.h>
#include <sys/wait.h>
#include <system_error>
#include <thread>
#include <unistd.h>
#include <vector>

namespace retort::ops::scratch {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// "retort_scratch_<pid>_<random>": whose it is, and apart from every other command's.
std::string unique_name(std::string_view prefix) {
  std::random_device device;
  return fmt::format("{}{}_{:08x}", prefix, ::getpid(), device());
}

fs::path temp_root() {
  const char* tmpdir = std::getenv("TMPDIR");
  return tmpdir != nullptr && *tmpdir != '\0' ? fs::path(tmpdir) : fs::path("/tmp");
}

fs::path make_temp_dir(std::string_view prefix) {
  std::string pattern = (temp_root() / (std::string(prefix) + "XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw Error(ExitCode::failed, fmt::format("cannot create a temporary directory under {}: {}",
                                              temp_root().string(), std::strerror(errno)));
  }
  return pattern;
}

int major_of(const std::string& version) { return std::atoi(version.c_str()); }

// ---- SQLite: a temporary file ----

class SqliteFile final : public Scratch {
 public:
  SqliteFile() : m_dir(make_temp_dir("retort-scratch-")) {
    auto parsed = base::parse_database_url("sqlite:///" + (m_dir / "scratch.db").string());
    m_url = std::move(parsed).value();
  }
  ~SqliteFile() override {
    std::error_code ignored;
    fs::remove_all(m_dir, ignored);
  }
  SqliteFile(const SqliteFile&) = delete;
  SqliteFile& operator=(const SqliteFile&) = delete;

  [[nodiscard]] const base::DatabaseUrl& url() const override { return m_url; }
  [[nodiscard]] std::string describe() const override {
    return "temporary file " + (m_dir / "scratch.db").string();
  }
  void close() override {
    std::error_code ec;
    fs::remove_all(m_dir, ec);
    if (ec) {
      throw Error(ExitCode::failed, fmt::format("could not remove the temporary directory {}: {}",
                                                m_dir.string(), ec.message()));
    }
  }

 private:
  fs::path m_dir;
  base::DatabaseUrl m_url;
};

// ---- A private cluster: initdb and postgres on a free loopback port ----

// The directory of the server programs: the one asked for, those of `major` in Debian's place,
// the newest there, or PATH's (empty).
fs::path server_programs(const fs::path& asked, int major) {
  if (!asked.empty()) {
    return asked;
  }
  const fs::path debian = "/usr/lib/postgresql";
  if (major > 0 && fs::exists(debian / std::to_string(major) / "bin" / "initdb")) {
    return debian / std::to_string(major) / "bin";
  }
  std::error_code ec;
  int newest = 0;
  for (const auto& entry : fs::directory_iterator(debian, ec)) {
    const int candidate = std::atoi(entry.path().filename().c_str());
    if (candidate > newest && fs::exists(entry.path() / "bin" / "initdb")) {
      newest = candidate;
    }
  }
  if (major == 0 && newest > 0) {
    return debian / std::to_string(newest) / "bin";
  }
  return {};
}

int free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return 0;
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof(address);
  int port = 0;
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API takes sockaddr*
  auto* generic = reinterpret_cast<sockaddr*>(&address);
  if (::bind(fd, generic, size) == 0 && ::getsockname(fd, generic, &size) == 0) {
    port = ntohs(address.sin_port);
  }
  ::close(fd);
  return port;
}

std::string tail_of(const fs::path& log) {
  std::ifstream in(log);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  std::string out;
  for (std::size_t i = lines.size() > 8 ? lines.size() - 8 : 0; i < lines.size(); ++i) {
    out += "\n  " + lines[i];
  }
  return out;
}

class PrivateCluster {
 public:
  PrivateCluster(const fs::path& asked_bin, int major) {
    if (::geteuid() == 0) {
      throw Error(ExitCode::input,
                  "no [retort.schema] dev_url, and a private PostgreSQL server cannot be started "
                  "for the throwaway database: retort runs as root, which PostgreSQL refuses")
          .explain(
              "the throwaway database is where the declared schema or the history is built "
              "to be compared; the target database is only read")
          .next(
              "set dev_url under [retort.schema] in retort.toml to a server where retort may "
              "CREATE DATABASE, or run retort as another user");
    }
    const fs::path bin = server_programs(asked_bin, major);
    const std::string initdb = bin.empty() ? "initdb" : (bin / "initdb").string();
    const std::string postgres = bin.empty() ? "postgres" : (bin / "postgres").string();
    m_dir = make_temp_dir("retort-scratch-");
    try {
      const backup::ProgramResult made =
          backup::run_program({initdb, "-D", (m_dir / "data").string(), "-U", "retort", "-A",
                               "trust", "-E", "UTF8", "--locale=C", "--no-sync"},
                              {});
      if (made.cancelled) {
        throw Error(ExitCode::failed, "cancelled while the private server was being prepared");
      }
      if (made.exit_code != 0) {
        throw Error(ExitCode::failed, fmt::format("could not prepare a private PostgreSQL server "
                                                  "for the throwaway database: {} {}:\n{}",
                                                  initdb, backup::ending(made), made.output))
            .next(major > 0 ? fmt::format("install postgresql-{} (its server programs), or set "
                                          "[retort.schema] dev_url",
                                          major)
                            : "set [retort.schema] dev_url");
      }
      start(postgres);
    } catch (...) {
      stop();
      throw;
    }
  }
  ~PrivateCluster() { stop(); }
  PrivateCluster(const PrivateCluster&) = delete;
  PrivateCluster& operator=(const PrivateCluster&) = delete;

  [[nodiscard]] std::string url() const {
    return fmt::format("postgresql://retort@127.0.0.1:{}/postgres", m_port);
  }

  // Fast shutdown, then the directory goes. Never throws.
  void stop() noexcept {
    if (m_pid > 0) {
      ::kill(m_pid, SIGINT);
      const Clock::time_point deadline = Clock::now() + std::chrono::seconds(10);
      int status = 0;
      while (::waitpid(m_pid, &status, WNOHANG) == 0) {
        if (Clock::now() > deadline) {
          ::kill(m_pid, SIGKILL);
          ::waitpid(m_pid, &status, 0);
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      m_pid = -1;
    }
    if (!m_dir.empty()) {
      std::error_code ignored;
      fs::remove_all(m_dir, ignored);
      m_dir.clear();
    }
  }

 private:
  void start(const std::string& postgres) {
    const fs::path log = m_dir / "server.log";
    for (int attempt = 0; attempt < 5; ++attempt) {
      m_port = free_loopback_port();
      std::vector<std::string> args = {postgres,
                                       "-D",
                                       (m_dir / "data").string(),
                                       "-p",
                                       std::to_string(m_port),
                                       "-c",
                                       "listen_addresses=127.0.0.1",
                                       "-c",
                                       "unix_socket_directories=",
                                       "-c",
                                       "fsync=off",
                                       "-c",
                                       "full_page_writes=off",
                                       "-c",
                                       "synchronous_commit=off"};
      spawn(args, log);
      if (wait_ready(log)) {
        return;
      }
      if (tail_of(log).find("could not bind") == std::string::npos) {
        break;
      }
    }
    throw Error(
        ExitCode::failed,
        "the private PostgreSQL server for the throwaway database did not start:" + tail_of(log))
        .next("set [retort.schema] dev_url to a server where retort may CREATE DATABASE");
  }

  void spawn(const std::vector<std::string>& args, const fs::path& log) {
    // A group of its own (start_program): a Ctrl-C at the terminal reaches retort, which stops
    // the server after dropping what it built, rather than the server going first under a
    // running build.
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
      throw Error(ExitCode::failed,
                  fmt::format("cannot write {}: {}", log.string(), std::strerror(errno)));
    }
    try {
      m_pid = backup::start_program(args, fd);
    } catch (Error& error) {
      ::close(fd);
      error.next("set [retort.schema] dev_url to a server where retort may CREATE DATABASE");
      throw;
    }
    ::close(fd);
  }

  // True once the server takes connections; false when it exited (its log says why).
  bool wait_ready(const fs::path& log) {
    const Clock::time_point deadline = Clock::now() + std::chrono::seconds(60);
    const base::DatabaseUrl url = base::parse_database_url(this->url()).value();
    while (Clock::now() < deadline) {
      int status = 0;
      if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
        m_pid = -1;
        return false;
      }
      try {
        (void)driver::connect(url, {std::chrono::seconds(2), "retort scratch", {}});
        return true;
      } catch (const driver::DatabaseError&) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
    throw Error(ExitCode::failed,
                "the private PostgreSQL server for the throwaway database was not ready "
                "within 60 s:" +
                    tail_of(log));
  }

  fs::path m_dir;
  pid_t m_pid = -1;
  int m_port = 0;
};

// ---- PostgreSQL: a database created on a server, and dropped ----

class PostgresDatabase final : public Scratch {
 public:
  PostgresDatabase(const base::DatabaseUrl& server, std::string shown,
                   std::unique_ptr<PrivateCluster> cluster)
      : m_cluster(std::move(cluster)), m_shown(std::move(shown)) {
    m_admin = driver::connect(server, {std::chrono::seconds(10), "retort scratch", {}});
    m_name = unique_name("retort_scratch_");
    try {
      m_admin->execute(
          fmt::format("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'", m_name));
    } catch (const driver::DatabaseError& error) {
      throw Error(ExitCode::failed, fmt::format("could not create a throwaway database on {}: {}",
                                                m_shown, error.message().message))
          .explain(
              "retort builds the schema it compares in a database of its own there, and "
              "drops it afterwards")
          .next(
              "grant the role CREATEDB (ALTER ROLE name CREATEDB), or point [retort.schema] "
              "dev_url at a server where it has it");
    }
    m_created = true;
    m_url = with_database(server, m_name);
  }
  ~PostgresDatabase() override {
    try {
      close();
    } catch (const Error& error) {
      // Nothing can be thrown from here; a database left behind must not go unsaid.
      std::fputs(fmt::format("warning: {}\n", error.what()).c_str(), stderr);
    }
  }
  PostgresDatabase(const PostgresDatabase&) = delete;
  PostgresDatabase& operator=(const PostgresDatabase&) = delete;

  [[nodiscard]] const base::DatabaseUrl& url() const override { return m_url; }
  [[nodiscard]] std::string describe() const override {
    return fmt::format("database {} on {}", m_name, m_shown);
  }
  void close() override {
    if (m_created) {
      m_created = false;
      try {
        // FORCE (PostgreSQL 13): sessions the build left open go with it.
        m_admin->execute(fmt::format("DROP DATABASE IF EXISTS {} WITH (FORCE)", m_name));
      } catch (const driver::DatabaseError& error) {
        if (!m_cluster) {
          throw Error(ExitCode::failed, fmt::format("could not drop the throwaway database {} on "
                                                    "{}: {}",
                                                    m_name, m_shown, error.message().message))
              .next(fmt::format("DROP DATABASE {} WITH (FORCE);", m_name));
        }
      }
    }
    m_admin.reset();
    if (m_cluster) {
      m_cluster->stop();
    }
  }

 private:
  std::unique_ptr<PrivateCluster> m_cluster;
  std::unique_ptr<driver::Connection> m_admin;
  std::string m_shown;
  std::string m_name;
  bool m_created = false;
  base::DatabaseUrl m_url;
};

// What identifies a database: its cluster and its name.
struct Identity {
  std::string system;  // pg_control_system's identifier, else address and port
  std::string database;
  std::string version;
};

Identity identity_of(driver::Connection& connection) {
  Identity identity;
  const driver::Rows rows = connection.query(
      "SELECT current_database(), coalesce(host(inet_server_addr()), 'local') || ':' || "
      "current_setting('port'), current_setting('server_version_num')");
  identity.database = rows.rows.at(0).at(0).value_or("");
  identity.system = rows.rows.at(0).at(1).value_or("");
  identity.version = rows.rows.at(0).at(2).value_or("");
  try {
    const driver::Rows system =
        connection.query("SELECT system_identifier::text FROM pg_control_system()");
    identity.system = system.rows.at(0).at(0).value_or(identity.system);
  } catch (const driver::DatabaseError&) {
    // Not granted to every role: the address and port stand in.
  }
  return identity;
}

}  // namespace

base::DatabaseUrl with_database(const base::DatabaseUrl& url, const std::string& database) {
  std::string text = url.text;
  text += text.find('?') == std::string::npos ? "?" : "&";
  text += "dbname=" + database;
  base::DatabaseUrl out = base::parse_database_url(text).value();
  out.database = database;
  return out;
}

base::DatabaseUrl with_session_options(const base::DatabaseUrl& url,
                                       const base::DatabaseUrl& target) {
  const auto options = target.params.find("options");
  if (url.dialect != base::Dialect::postgres || options == target.params.end()) {
    return url;
  }
  std::string encoded;
  for (const char c : options->second) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) != 0 || c == '-' || c == '_' || c == '.') {
      encoded += c;
    } else {
      encoded += fmt::format("%{:02X}", byte);
    }
  }
  base::DatabaseUrl out =
      base::parse_database_url(url.text + (url.text.find('?') == std::string::npos ? "?" : "&") +
                               "options=" + encoded)
          .value();
  out.database = url.database;
  return out;
}

std::unique_ptr<Scratch> make_scratch(const ScratchOptions& options) {
  if (options.target.dialect == base::Dialect::sqlite) {
    return std::make_unique<SqliteFile>();
  }
  std::optional<Identity> target;
  if (options.target_connection != nullptr) {
    target = identity_of(*options.target_connection);
  }
  const int target_major = target ? std::atoi(target->version.c_str()) / 10000 : 0;
  if (options.dev_url.empty()) {
    auto cluster = std::make_unique<PrivateCluster>(options.server_bin, target_major);
    const base::DatabaseUrl server = base::parse_database_url(cluster->url()).value();
    return std::make_unique<PostgresDatabase>(server, "a private server", std::move(cluster));
  }
  auto parsed = base::parse_database_url(options.dev_url);
  if (!parsed || parsed->dialect != base::Dialect::postgres) {
    throw Error(ExitCode::input,
                fmt::format("[retort.schema] dev_url must be a postgresql:// URL for a "
                            "PostgreSQL database{}",
                            parsed ? "" : ": " + parsed.error()))
        .next("dev_url = \"postgresql://user@dev-host/postgres\" under [retort.schema]");
  }
  const std::string shown = "dev_url " + parsed->redacted();
  std::unique_ptr<driver::Connection> probe;
  try {
    probe = driver::connect(*parsed, {std::chrono::seconds(10), "retort scratch", {}});
  } catch (const driver::DatabaseError& error) {
    throw Error(ExitCode::failed,
                fmt::format("cannot connect to [retort.schema] {}: {}", shown,
                            error.message().message.empty() ? std::string(error.what())
                                                            : error.message().message));
  }
  const Identity dev = identity_of(*probe);
  probe.reset();
  if (target) {
    if (dev.system == target->system && dev.database == target->database) {
      throw Error(ExitCode::input,
                  fmt::format("[retort.schema] dev_url names the target database itself ({})",
                              target->database))
          .explain(
              "retort creates and drops throwaway databases on dev_url, and only ever reads "
              "the target")
          .next(
              "point dev_url at another database, e.g. the server's postgres database or a "
              "development server");
    }
    if (major_of(dev.version) / 10000 != target_major) {
      throw Error(ExitCode::input,
                  fmt::format("[retort.schema] dev_url runs PostgreSQL {}, the target {}",
                              major_of(dev.version) / 10000, target_major))
          .explain(
              "the server renders definitions, and another major version renders some of "
              "them apart: every object would look changed")
          .next(fmt::format("point dev_url at a PostgreSQL {} server, or leave it out to let "
                            "retort start a private one",
                            target_major));
    }
  }
  return std::make_unique<PostgresDatabase>(*parsed, shown, nullptr);
}

}  // namespace retort::ops::scratch
