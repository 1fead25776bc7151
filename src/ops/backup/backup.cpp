// Taking, checking, listing and restoring backups. pg_dump and pg_restore get the connection
// as a libpq keyword/value string without the password, and the password in PGPASSWORD, so
// that it shows neither in `ps` nor in their messages.
#include "ops/backup/backup.hpp"

#include "base/identifier.hpp"
#include "base/text.hpp"
#include "ops/backup/program.hpp"
#include "runner/version_table.hpp"
#include "sql/risk.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <regex>
#include <string>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>
#include <vector>

namespace retort::ops::backup {

namespace fs = std::filesystem;

namespace {

using SystemClock = std::chrono::system_clock;

// "20240501T101500Z", as file names carry it.
std::string file_stamp(SystemClock::time_point when) {
  const std::time_t seconds = SystemClock::to_time_t(when);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  std::array<char, 32> text{};
  const std::size_t size = std::strftime(text.data(), text.size(), "%Y%m%dT%H%M%SZ", &utc);
  return {text.data(), size};
}

// "2024-05-01T10:15:00.000Z" from a file stamp: the ledger's form, so the two compare as text.
std::string iso_of_stamp(const std::string& stamp) {
  return fmt::format("{}-{}-{}T{}:{}:{}.000Z", stamp.substr(0, 4), stamp.substr(4, 2),
                     stamp.substr(6, 2), stamp.substr(9, 2), stamp.substr(11, 2),
                     stamp.substr(13, 2));
}

// Letters, digits, '_', '.' and '+' (between heads) are kept, anything else becomes '_': a
// database may be called anything, a file name may not. '-' too, since it separates the parts
// of the name.
std::string file_safe(std::string_view name) {
  std::string out;
  for (const char c : name) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '.' || c == '+';
    out += keep ? c : '_';
  }
  return out.empty() ? std::string("db") : out;
}

// The version table's rows, '+'-joined; "base" before any migration.
std::string revision_label(const Config& config, driver::Connection& db) {
  runner::VersionTable versions(&db, config.version_table, config.version_table_schema);
  const std::vector<std::string> heads = versions.heads();
  return heads.empty() ? std::string("base") : base::join(heads, "+");
}

std::string password_of(const base::DatabaseUrl& url) {
  if (!url.password.empty()) {
    return url.password;
  }
  const auto found = url.params.find("password");
  return found == url.params.end() ? std::string() : found->second;
}

// 'value' with \ and ' escaped, as libpq reads keyword/value strings.
std::string conninfo_value(std::string_view value) {
  std::string out = "'";
  for (const char c : value) {
    if (c == '\\' || c == '\'') {
      out += '\\';
    }
    out += c;
  }
  return out + "'";
}

// The URL as a keyword/value connection string without its password. The URL's parameters are
// libpq keywords already (sslmode, options, ...).
std::string conninfo(const base::DatabaseUrl& url, std::string_view application_name) {
  std::vector<std::string> parts;
  const auto add = [&parts](std::string_view keyword, const std::string& value) {
    if (!value.empty()) {
      parts.push_back(fmt::format("{}={}", keyword, conninfo_value(value)));
    }
  };
  add("host", url.host);
  add("port", url.port);
  add("user", url.user);
  add("dbname", url.database);
  for (const auto& [keyword, value] : url.params) {
    if (keyword != "password") {
      add(keyword, value);
    }
  }
  if (!url.params.contains("application_name")) {
    add("application_name", std::string(application_name));
  }
  return base::join(parts, " ");
}

std::map<std::string, std::string> password_env(const base::DatabaseUrl& url) {
  std::map<std::string, std::string> env;
  if (const std::string password = password_of(url); !password.empty()) {
    env["PGPASSWORD"] = password;
  }
  return env;
}

// A program's words for a message: the password removed however it appears, trimmed.
std::string scrubbed(std::string text, const base::DatabaseUrl& url) {
  if (const std::string password = password_of(url); !password.empty()) {
    for (std::size_t at = 0; (at = text.find(password, at)) != std::string::npos; at += 3) {
      text.replace(at, password.size(), "***");
    }
  }
  return std::string(base::trim(base::redact_url(text)));
}

// The backup directory, created owner-only when missing. An existing one keeps its mode (it is
// the operator's), but one that other users may read or write is worth a warning: the files in
// it are 0600, yet their names are listed, and a writable directory lets them be replaced.
std::vector<std::string> make_directory(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    fs::create_directories(dir, ec);
    if (ec) {
      throw Error(ExitCode::failed, fmt::format("cannot create the backup directory {}: {}",
                                                dir.string(), ec.message()))
          .explain("create it, or set [retort.backup] directory to a directory retort may write");
    }
    // Backups hold every row of the database: for the owner only.
    fs::permissions(dir, fs::perms::owner_all, ec);
    return {};
  }
  const fs::perms mode = fs::status(dir, ec).permissions();
  if (ec) {
    return {};
  }
  const fs::perms others_read = fs::perms::group_read | fs::perms::others_read;
  const fs::perms others_write = fs::perms::group_write | fs::perms::others_write;
  if ((mode & (others_read | others_write)) == fs::perms::none) {
    return {};
  }
  const std::string can = (mode & others_write) != fs::perms::none
                              ? "list and replace the backups in it"
                              : "list the backups in it";
  return {
      fmt::format("the backup directory {} is mode {:04o}: other users can {}; `chmod 700 {}` "
                  "keeps it to its owner",
                  dir.string(), static_cast<unsigned>(mode & fs::perms::all), can, dir.string())};
}

// Creates `path` empty, owner-only, failing with EEXIST rather than opening a file that is
// there: the create is the check, so two backups can never share a file. Returns errno, 0 on
// success.
int create_exclusive(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return errno;
  }
  // The umask can only take bits away from 0600; fchmod makes sure of the exact mode.
  (void)::fchmod(fd, 0600);
  ::close(fd);
  return 0;
}

[[noreturn]] void throw_cannot_create(const fs::path& path, int error) {
  throw Error(ExitCode::failed, fmt::format("cannot create the backup file {}: {}", path.string(),
                                            std::strerror(error)))
      .explain("set [retort.backup] directory to a directory this user may write");
}

// Reserves a name no backup has: <database>-<revision>-<stamp>[-N]<extension>, created empty
// and owner-only (issue #14: ten backups started in one second all got one name). An empty
// file is no backup to list() and to preflight, so the reservation counts only once the
// complete backup is renamed over it.
fs::path reserve_file(const fs::path& dir, const std::string& database, const std::string& revision,
                      const std::string& stamp, const std::string& extension) {
  const std::string stem = fmt::format("{}-{}-{}", file_safe(database), file_safe(revision), stamp);
  for (int copy = 1;; ++copy) {
    const fs::path path =
        dir / (copy == 1 ? stem + extension : fmt::format("{}-{}{}", stem, copy, extension));
    const int error = create_exclusive(path);
    if (error == 0) {
      return path;
    }
    if (error != EEXIST || copy >= 10000) {
      throw_cannot_create(path, error);
    }
  }
}

// The file the backup is written into: <name>.<pid>-<random>.partial beside its final name,
// owner-only from its first byte, whatever the umask and whoever writes it (pg_dump, SQLite or
// the command open it without creating it). The pid and the random part make it this run's own;
// O_EXCL makes sure.
fs::path create_partial(const fs::path& path) {
  std::random_device random;
  for (int attempt = 0;; ++attempt) {
    const fs::path partial =
        fmt::format("{}.{}-{:08x}.partial", path.string(), ::getpid(), random());
    const int error = create_exclusive(partial);
    if (error == 0) {
      return partial;
    }
    if (error != EEXIST || attempt >= 100) {
      throw_cannot_create(partial, error);
    }
  }
}

void remove_quietly(const fs::path& path) {
  std::error_code ec;
  fs::remove(path, ec);
}

// What must be true of the written file before it takes its name: it is there and not empty
// (issue #14: a command that wrote nothing, `true`, counted as a backup and the DROP ran).
// `what` says who wrote it, for the message.
void require_written(const fs::path& partial, const std::string& what) {
  std::error_code ec;
  const std::uintmax_t size = fs::file_size(partial, ec);
  if (ec) {
    throw Error(ExitCode::failed, fmt::format("{} left no backup file: {} is gone", what,
                                              partial.filename().string()));
  }
  if (size == 0) {
    throw Error(ExitCode::failed, fmt::format("{} wrote nothing: the backup file is empty", what));
  }
}

// Owner-only, then the final name, over the empty file that reserved it: a backup that exists
// under its name and is not empty is complete and checked.
void publish(const fs::path& partial, const fs::path& path) {
  std::error_code ec;
  fs::permissions(partial, fs::perms::owner_read | fs::perms::owner_write, ec);
  fs::rename(partial, path, ec);
  if (ec) {
    throw Error(ExitCode::failed,
                fmt::format("cannot rename the backup to {}: {}", path.string(), ec.message()));
  }
}

std::string pg_restore_program(const std::string& pg_dump) {
  const fs::path dump(pg_dump);
  return dump.has_parent_path() ? (dump.parent_path() / "pg_restore").string()
                                : std::string("pg_restore");
}

ProgramResult run_or_explain(const std::vector<std::string>& argv,
                             const std::map<std::string, std::string>& env) {
  try {
    return run_program(argv, env);
  } catch (Error& error) {
    error.explain(
        "install the PostgreSQL client programs of the server's major version (Debian: "
        "postgresql-client-15), or set [retort.backup] pg_dump to the pg_dump to use (pg_restore "
        "is taken from beside it)");
    throw;
  }
}

// The program's words go under the error, then `more` (a line of context).
[[noreturn]] void throw_program_failure(const std::string& what, const ProgramResult& ran,
                                        const base::DatabaseUrl& url,
                                        const std::string& more = {}) {
  if (ran.cancelled) {
    throw Error(ExitCode::failed, fmt::format("{} was cancelled", what));
  }
  Error error(ExitCode::failed, fmt::format("{} {}", what, ending(ran)));
  std::string words = scrubbed(ran.output, url);
  if (!more.empty()) {
    words += (words.empty() ? "" : "\n") + more;
  }
  if (!words.empty()) {
    error.explain(words);
  }
  throw error;
}

// pg_restore --list: the entries of the archive's table of contents. Throws when it is not a
// readable archive.
int count_entries(const std::string& pg_restore, const fs::path& file,
                  const base::DatabaseUrl& url) {
  const ProgramResult listed = run_or_explain({pg_restore, "--list", file.string()}, {});
  if (listed.cancelled || listed.exit_code != 0) {
    throw_program_failure("pg_restore --list of the new backup", listed, url);
  }
  int entries = 0;
  std::size_t start = 0;
  while (start < listed.output.size()) {
    std::size_t end = listed.output.find('\n', start);
    if (end == std::string::npos) {
      end = listed.output.size();
    }
    const std::string_view line =
        base::trim(std::string_view(listed.output).substr(start, end - start));
    if (!line.empty() && !line.starts_with(';')) {
      ++entries;
    }
    start = end + 1;
  }
  return entries;
}

void take_postgres(const Config& config, const base::DatabaseUrl& url, driver::Connection& db,
                   const fs::path& partial, BackupResult& result) {
  const std::string pg_dump = pg_dump_program(config, db);
  // The lease table is left out: a restore must not bring back the lease of the run that took
  // the backup, nor drop the one of the run that restores.
  std::vector<std::string> argv{
      pg_dump,
      "--format=custom",
      "--file=" + partial.string(),
      "--no-password",
      "--exclude-table=*.retort_lease",
      fmt::format("--lock-wait-timeout={}", config.postgres.lock_wait.count()),
      "--dbname=" + conninfo(url, "retort backup")};
  if (!config.backup.schema.empty()) {
    // A schema tenant's backup is its schema's alone: restoring it rewinds no other tenant.
    // pg_dump reads the name as a pattern: quoted as an identifier, it is the one schema.
    argv.push_back("--schema=" +
                   base::quote_identifier(config.backup.schema, base::Dialect::postgres));
  }
  const ProgramResult dumped = run_or_explain(argv, password_env(url));
  if (dumped.cancelled || dumped.exit_code != 0) {
    throw_program_failure("pg_dump", dumped, url);
  }
  require_written(partial, "pg_dump");
  result.entries = count_entries(pg_restore_program(pg_dump), partial, url);
  result.method = BackupMethod::pg_dump;
}

void take_sqlite(driver::Connection& db, const fs::path& partial, BackupResult& result) {
  db.backup_to(partial.string());
  require_written(partial, "SQLite's backup");
  const auto copy = base::parse_database_url("sqlite:///" + partial.string());
  const std::unique_ptr<driver::Connection> check = driver::connect(copy.value());
  const driver::Rows rows = check->query("PRAGMA quick_check");
  if (rows.empty() || rows.rows[0][0] != std::optional<std::string>("ok")) {
    throw Error(
        ExitCode::failed,
        fmt::format("the new backup {} does not pass PRAGMA quick_check: {}", partial.string(),
                    rows.empty() ? std::string("no answer") : rows.rows[0][0].value_or("NULL")));
  }
  result.method = BackupMethod::sqlite;
}

// The command writes the partial file ($RETORT_BACKUP_FILE), which exists already, empty and
// owner-only; $RETORT_BACKUP_NAME is the name the backup gets once complete, for a copy kept
// elsewhere. It runs under umask 077, so that what else it creates is owner-only too.
void take_with_command(const Config& config, const base::DatabaseUrl& url,
                       const std::string& database, const fs::path& partial, const fs::path& path,
                       BackupResult& result) {
  const std::string what = "the backup command of [retort.backup]";
  const std::string shown_command = "the command: " + scrubbed(config.backup.command, url);
  const ProgramResult ran = run_program({"/bin/sh", "-c", "umask 077\n" + config.backup.command},
                                        {{"RETORT_BACKUP_FILE", partial.string()},
                                         {"RETORT_BACKUP_NAME", path.filename().string()},
                                         {"RETORT_BACKUP_URL", url.text},
                                         {"RETORT_BACKUP_DATABASE", database},
                                         {"RETORT_BACKUP_REVISION", result.revision}});
  if (ran.cancelled || ran.exit_code != 0) {
    throw_program_failure(what, ran, url, shown_command);
  }
  try {
    require_written(partial, what + " exited with 0 but");
  } catch (Error& error) {
    std::string words = scrubbed(ran.output, url);
    error.explain((words.empty() ? "" : words + "\n") + shown_command +
                  "\nthe command must write the backup to the file named in "
                  "$RETORT_BACKUP_FILE; copy it elsewhere after that if you like");
    throw;
  }
  result.method = BackupMethod::command;
}

std::string iso_of_file_time(const fs::path& path) {
  std::error_code ec;
  const fs::file_time_type written = fs::last_write_time(path, ec);
  if (ec) {
    return {};
  }
  const auto system = std::chrono::file_clock::to_sys(written);
  const std::string stamp = file_stamp(std::chrono::time_point_cast<SystemClock::duration>(system));
  return iso_of_stamp(stamp);
}

}  // namespace

std::string database_name(const base::DatabaseUrl& url, driver::Connection& db) {
  if (db.dialect() == base::Dialect::sqlite) {
    return fs::path(url.sqlite_path).stem().string();
  }
  const driver::Rows rows = db.query("SELECT current_database()");
  return rows.empty() ? url.database : rows.rows[0][0].value_or(url.database);
}

fs::path directory(const Config& config) {
  const fs::path& dir = config.backup.directory;
  return (dir.is_absolute() ? dir : config.project_dir / dir).lexically_normal();
}

BackupResult take(const Config& config, const base::DatabaseUrl& url, driver::Connection& db) {
  const auto started = std::chrono::steady_clock::now();
  BackupResult result;
  result.database = url.redacted();
  const std::string database = database_name(url, db);
  result.revision = revision_label(config, db);
  const std::string stamp = file_stamp(SystemClock::now());
  result.taken_at = iso_of_stamp(stamp);

  const fs::path dir = directory(config);
  result.warnings = make_directory(dir);
  const bool postgres = db.dialect() == base::Dialect::postgres;
  const fs::path path =
      reserve_file(dir, database, result.revision, stamp, postgres ? ".dump" : ".sqlite3");
  fs::path partial;
  try {
    partial = create_partial(path);
    if (!config.backup.command.empty()) {
      take_with_command(config, url, database, partial, path, result);
    } else if (db.capabilities().online_backup) {
      take_sqlite(db, partial, result);
    } else {
      take_postgres(config, url, db, partial, result);
    }
    publish(partial, path);
  } catch (...) {
    // Neither a partial file nor the empty name it reserved may look like a backup.
    if (!partial.empty()) {
      remove_quietly(partial);
      remove_quietly(fs::path(partial.string() + "-journal"));
    }
    remove_quietly(path);
    throw;
  }
  result.path = path.string();
  std::error_code ec;
  const std::uintmax_t size = fs::file_size(path, ec);
  result.bytes = ec ? 0 : static_cast<std::int64_t>(size);
  result.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::steady_clock::now() - started)
                           .count();
  return result;
}

std::string file_format(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::array<char, 16> head{};
  in.read(head.data(), head.size());
  const std::string_view bytes(head.data(), static_cast<std::size_t>(in.gcount()));
  if (bytes.starts_with("PGDMP")) {
    return "postgres";
  }
  if (bytes == std::string_view("SQLite format 3\0", 16)) {
    return "sqlite";
  }
  return {};
}

void restore(const Config& config, const base::DatabaseUrl& url, driver::Connection& db,
             const fs::path& file) {
  if (db.capabilities().online_backup) {
    db.restore_from(file.string());
    return;
  }
  const std::string pg_restore = pg_restore_program(pg_dump_program(config, db));
  const std::vector<std::string> argv{
      pg_restore,      "--clean",
      "--if-exists",   "--single-transaction",
      "--no-password", "--dbname=" + conninfo(url, "retort restore"),
      file.string()};
  const ProgramResult restored = run_or_explain(argv, password_env(url));
  if (restored.cancelled || restored.exit_code != 0) {
    throw_program_failure("pg_restore", restored, url);
  }
}

std::vector<Found> list(const Config& config, const std::string& database) {
  std::vector<Found> out;
  const fs::path dir = directory(config);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return out;
  }
  static const std::regex k_stamped(R"(-(\d{8}T\d{6}Z)(-\d+)?\.(dump|sqlite3)$)");
  const std::string prefix = file_safe(database) + "-";
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_regular_file(ec) || !name.starts_with(prefix) ||
        !(name.ends_with(".dump") || name.ends_with(".sqlite3"))) {
      continue;
    }
    // Empty: the name a backup still running (or killed) reserved, or what a command that wrote
    // nothing left. No backup either way.
    if (entry.file_size(ec) == 0 || ec) {
      continue;
    }
    std::smatch match;
    Found found{entry.path(), {}};
    found.taken_at = std::regex_search(name, match, k_stamped) ? iso_of_stamp(match[1].str())
                                                               : iso_of_file_time(entry.path());
    out.push_back(std::move(found));
  }
  std::sort(out.begin(), out.end(), [](const Found& a, const Found& b) {
    return a.taken_at != b.taken_at ? a.taken_at > b.taken_at : a.path > b.path;
  });
  return out;
}

StepRisk step_risk(const std::vector<script::Statement>& statements, base::Dialect dialect) {
  for (const script::Statement& statement : statements) {
    if (std::string command = sql::data_risk(statement.sql, dialect); !command.empty()) {
      return {std::move(command), statement.line};
    }
  }
  return {};
}

StepRisk step_risk(const script::ScriptDirectory& scripts, const graph::Step& step,
                   base::Dialect dialect) {
  const script::Migration* migration = scripts.find(step.revision);
  if (migration == nullptr || step.direction == graph::Direction::stamp) {
    return {};
  }
  const bool down = step.direction == graph::Direction::downgrade;
  if (down && !migration->downgrade) {
    return {};
  }
  const auto statements = script::statements(
      *migration, down ? script::Which::downgrade : script::Which::upgrade, dialect);
  return statements ? step_risk(*statements, dialect) : StepRisk{};
}

std::string pg_dump_program(const Config& config, driver::Connection& db) {
  if (!config.backup.pg_dump.empty()) {
    return config.backup.pg_dump;
  }
  // pg_dump refuses a server newer than itself: the server's own major version is the one.
  const driver::Rows rows = db.query("SELECT current_setting('server_version_num')");
  const long number =
      rows.empty() ? 0 : std::strtol(rows.rows[0][0].value_or("0").c_str(), nullptr, 10);
  if (number >= 100000) {
    const std::string debian = fmt::format("/usr/lib/postgresql/{}/bin/pg_dump", number / 10000);
    if (::access(debian.c_str(), X_OK) == 0) {
      return debian;
    }
  }
  return "pg_dump";
}

std::string find_program(const std::string& program) {
  if (program.find('/') != std::string::npos) {
    return ::access(program.c_str(), X_OK) == 0 ? program : std::string();
  }
  const char* path = std::getenv("PATH");
  const std::string dirs = path == nullptr ? "/usr/bin:/bin" : path;
  std::size_t start = 0;
  while (start <= dirs.size()) {
    std::size_t end = dirs.find(':', start);
    if (end == std::string::npos) {
      end = dirs.size();
    }
    const std::string dir = dirs.substr(start, end - start);
    const std::string candidate = (fs::path(dir.empty() ? "." : dir) / program).string();
    if (::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    start = end + 1;
  }
  return {};
}

std::string schema_only_dump(const Config& config, const base::DatabaseUrl& url,
                             driver::Connection& db) {
  const std::string pg_dump = pg_dump_program(config, db);
  std::error_code ec;
  const fs::path file =
      fs::temp_directory_path(ec) /
      fmt::format("retort_schema_{}_{}.sql", ::getpid(), script::new_revision_id());
  const std::vector<std::string> argv{pg_dump,
                                      "--schema-only",
                                      "--no-owner",
                                      "--no-password",
                                      "--exclude-table=*.retort_*",
                                      "--exclude-table=*." + config.version_table,
                                      "--file=" + file.string(),
                                      "--dbname=" + conninfo(url, "retort squash")};
  const ProgramResult dumped = run_or_explain(argv, password_env(url));
  std::string text;
  if (!dumped.cancelled && dumped.exit_code == 0) {
    std::ifstream in(file, std::ios::binary);
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  fs::remove(file, ec);
  if (dumped.cancelled || dumped.exit_code != 0) {
    throw_program_failure("pg_dump --schema-only", dumped, url);
  }
  return text;
}

}  // namespace retort::ops::backup
