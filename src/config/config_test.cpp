// Tests of load_config and default_config_text against real retort.toml files in temporary
// directories: discovery, every error a user can meet, ${NAME}, URL precedence and redaction.
#include "retort/config.hpp"

#include "retort/error.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace retort {
namespace {

namespace fs = std::filesystem;

// A password no message may show.
constexpr std::string_view k_secret = "Zq9hunter2Zq9";

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    std::random_device random;
    m_root = fs::temp_directory_path() /
             ("retort-config-test-" + std::to_string(random()) + "-" + std::to_string(++counter));
    fs::create_directories(m_root);
  }

  void TearDown() override {
    std::error_code ec;
    fs::remove_all(m_root, ec);
  }

  // Writes text to root/relative, creating directories, and returns the path.
  fs::path write(const fs::path& relative, const std::string& text) {
    const fs::path path = m_root / relative;
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  // Sources reading the environment from m_env only, so the tests do not depend on the
  // environment they run in.
  ConfigSources sources(const fs::path& cwd) const {
    ConfigSources result;
    result.cwd = cwd;
    result.getenv = [env = m_env](const std::string& name) -> std::optional<std::string> {
      const auto found = env.find(name);
      if (found == env.end()) {
        return std::nullopt;
      }
      return found->second;
    };
    return result;
  }
  ConfigSources sources() const { return sources(m_root); }

  // The error load_config throws, or a test failure when it does not.
  static Error load_error(const ConfigSources& from) {
    try {
      (void)load_config(from);
    } catch (const Error& error) {
      return error;
    }
    ADD_FAILURE() << "load_config did not throw";
    return Error(ExitCode::ok, "");
  }

  fs::path m_root;
  std::map<std::string, std::string> m_env;
};

TEST_F(ConfigTest, ReadsRetortTomlFromTheWorkingDirectory) {
  write("retort.toml",
        "[retort]\nscript_location = \"db/migrations\"\nurl = \"sqlite:///app.db\"\n");
  const Config config = load_config(sources());
  EXPECT_EQ(config.config_file, m_root / "retort.toml");
  EXPECT_EQ(config.project_dir, m_root);
  EXPECT_EQ(config.script_location, m_root / "db" / "migrations");
  EXPECT_EQ(config.url, "sqlite:///" + (m_root / "app.db").string());
  EXPECT_EQ(config.redacted_url, config.url);
  EXPECT_EQ(config.url_source, (m_root / "retort.toml").string());
}

TEST_F(ConfigTest, ReadsTheFleetTableWithTheTenantsFileRelativeToTheProject) {
  write("retort.toml",
        "[retort]\nurl = \"sqlite:///app.db\"\n[retort.fleet]\ntenants_file = "
        "\"fleet/tenants.txt\"\nconcurrency = 8\nmax_per_host = 16\n");
  const Config config = load_config(sources());
  EXPECT_EQ(config.fleet.tenants_file, m_root / "fleet" / "tenants.txt");
  EXPECT_EQ(config.fleet.concurrency, 8);
  EXPECT_EQ(config.fleet.max_per_host, 16);
  EXPECT_TRUE(config.fleet.tenants.empty());
  EXPECT_EQ(Config{}.fleet.concurrency, 4);
  EXPECT_EQ(Config{}.fleet.max_per_host, 0);
}

TEST_F(ConfigTest, AppliesTheDefaultsOfEveryOptionalKey) {
  write("retort.toml", "[retort]\nurl = \"sqlite:///app.db\"\n");
  const Config config = load_config(sources());
  EXPECT_EQ(config.script_location, m_root / "migrations");
  EXPECT_EQ(config.version_table, "retort_version");
  EXPECT_EQ(config.version_table_schema, "");
  EXPECT_TRUE(config.transaction_per_migration);
  EXPECT_EQ(config.postgres.lock, LockMode::advisory);
  EXPECT_EQ(config.postgres.lock_wait, std::chrono::minutes(5));
  EXPECT_EQ(config.postgres.lock_timeout, std::chrono::seconds(2));
  EXPECT_EQ(config.postgres.lock_retries, 10);
  EXPECT_EQ(config.postgres.statement_timeout, Millis{0});
  EXPECT_EQ(config.postgres.lease_ttl, std::chrono::seconds(30));
}

TEST_F(ConfigTest, ReadsTheSchemaTableWithTheDirRelativeToTheFile) {
  write("retort.toml", R"([retort]
url = "sqlite:///app.db"

[retort.schema]
dir = "db/schema"
dev_url = "postgresql://dev@localhost/${DEV_DB}"
ignore = ["public.spatial_ref_sys", "event trigger on_ddl"]
)");
  m_env["DEV_DB"] = "postgres";
  const Config config = load_config(sources());
  EXPECT_EQ(config.schema.dir, (config.project_dir / "db" / "schema").lexically_normal());
  EXPECT_TRUE(config.schema.dir.is_absolute());
  EXPECT_EQ(config.schema.dev_url, "postgresql://dev@localhost/postgres");
  EXPECT_EQ(config.schema.ignore,
            (std::vector<std::string>{"public.spatial_ref_sys", "event trigger on_ddl"}));

  write("retort.toml", "[retort]\nurl = \"sqlite:///app.db\"\n");
  const Config defaults = load_config(sources());
  EXPECT_EQ(defaults.schema.dir, defaults.project_dir / "schema");
  EXPECT_EQ(defaults.schema.dev_url, "");
}

TEST_F(ConfigTest, ReadsEveryKey) {
  write("retort.toml", R"([retort]
script_location = "/srv/app/migrations"
url = "postgresql://app@db.internal:5433/app?sslmode=require"
version_table = "alembic_version"
version_table_schema = "ops"
transaction_per_migration = false

[retort.postgres]
lock = "lease"
lock_wait = "90s"
lock_timeout = "500ms"
lock_retries = 0
statement_timeout = "4h"
lease_ttl = "45s"
)");
  const Config config = load_config(sources());
  EXPECT_EQ(config.script_location, fs::path("/srv/app/migrations"));
  EXPECT_EQ(config.url, "postgresql://app@db.internal:5433/app?sslmode=require");
  EXPECT_EQ(config.version_table, "alembic_version");
  EXPECT_EQ(config.version_table_schema, "ops");
  EXPECT_FALSE(config.transaction_per_migration);
  EXPECT_EQ(config.postgres.lock, LockMode::lease);
  EXPECT_EQ(config.postgres.lock_wait, std::chrono::seconds(90));
  EXPECT_EQ(config.postgres.lock_timeout, std::chrono::milliseconds(500));
  EXPECT_EQ(config.postgres.lock_retries, 0);
  EXPECT_EQ(config.postgres.statement_timeout, std::chrono::hours(4));
  EXPECT_EQ(config.postgres.lease_ttl, std::chrono::seconds(45));
}

TEST_F(ConfigTest, TheLongestVersionTableLeavesRoomForItsPrimaryKeysName) {
  // <name>_pkc is 63 bytes, PostgreSQL's longest name: one more and it would be cut.
  const std::string longest(59, 'v');
  write("retort.toml",
        "[retort]\nurl = \"sqlite:///app.db\"\nversion_table = \"" + longest + "\"\n");
  EXPECT_EQ(load_config(sources()).version_table, longest);
  write("retort.toml",
        "[retort]\nurl = \"sqlite:///app.db\"\nversion_table = \"" + std::string(63, 'v') + "\"\n");
  const Error error = load_error(sources());
  EXPECT_EQ(error.code(), ExitCode::input);
  EXPECT_NE(std::string(error.what()).find("retort.version_table must be at most 59 characters"),
            std::string::npos)
      << error.what();
}

TEST_F(ConfigTest, ReadsThePreflightThresholdsAndTheReplicas) {
  write("retort.toml", R"([retort]
url = "sqlite:///app.db"

[retort.preflight]
max_step_runtime = "30m"
long_transaction = "90s"
app_connections = 40

[retort.replicas]
urls = ["postgresql://ro@replica-1/app", "postgresql://ro:${RO_PW}@replica-2/app"]
max_lag = "10s"
)");
  m_env["RO_PW"] = "pw";
  const Config config = load_config(sources());
  EXPECT_EQ(config.preflight.max_step_runtime, std::chrono::minutes(30));
  EXPECT_EQ(config.preflight.long_transaction, std::chrono::seconds(90));
  EXPECT_EQ(config.preflight.app_connections, 40);
  EXPECT_EQ(config.replicas.urls, (std::vector<std::string>{"postgresql://ro@replica-1/app",
                                                            "postgresql://ro:pw@replica-2/app"}));
  EXPECT_EQ(config.replicas.max_lag, std::chrono::seconds(10));
  EXPECT_EQ(config.preflight.free_disk_command, "") << "unset: statvfs when the server is local";
}

TEST_F(ConfigTest, ReadsTheFreeDiskCommandLeavingShellVariablesToTheShell) {
  write("retort.toml", R"([retort]
url = "sqlite:///app.db"

[retort.preflight]
free_disk_command = "kubectl exec ${POD} -- df --output=avail -B1 \"$PGDATA\" | tail -1"
)");
  m_env["POD"] = "db-0";
  const Config config = load_config(sources());
  EXPECT_EQ(config.preflight.free_disk_command,
            "kubectl exec db-0 -- df --output=avail -B1 \"$PGDATA\" | tail -1")
      << "${NAME} reads the environment now; $NAME is the shell's";

  write("retort.toml",
        "[retort]\nurl = \"sqlite:///app.db\"\n[retort.preflight]\nfree_disk_command = 42\n");
  EXPECT_EQ(format_error(load_error(sources())),
            "retort.toml:4: error: retort.preflight.free_disk_command must be a non-empty "
            "string, not 42\n");
}

TEST_F(ConfigTest, BacksUpBeforeRiskyStepsIntoBackupsBesideRetortTomlByDefault) {
  write("retort.toml", "[retort]\nurl = \"sqlite:///app.db\"\n");
  const fs::path nested = m_root / "src";
  fs::create_directories(nested);
  const Config config = load_config(sources(nested));
  EXPECT_EQ(config.backup.when, BackupWhen::risky);
  EXPECT_EQ(config.backup.directory, m_root / "backups")
      << "relative to retort.toml's directory, not to the working directory";
  EXPECT_EQ(config.backup.command, "");
  EXPECT_EQ(config.backup.pg_dump, "");
}

TEST_F(ConfigTest, ReadsTheLintSettings) {
  write("retort.toml", "[retort]\nurl = \"sqlite:///app.db\"\n");
  EXPECT_EQ(load_config(sources()).lint.on_upgrade, LintOnUpgrade::warn);
  write("retort.toml",
        "[retort]\nurl = \"sqlite:///app.db\"\n[retort.lint]\non_upgrade = \"error\"\n");
  EXPECT_EQ(load_config(sources()).lint.on_upgrade, LintOnUpgrade::error);
  write("retort.toml",
        "[retort]\nurl = \"sqlite:///app.db\"\n[retort.lint]\non_upgrade = \"off\"\n");
  EXPECT_EQ(load_config(sources()).lint.on_upgrade, LintOnUpgrade::off);
}

TEST_F(ConfigTest, ReadsTheHooksAndWindows) {
  write("retort.toml", "[retort]\nurl = \"sqlite:///app.db\"\n");
  const Config defaults = load_config(sources());
  EXPECT_EQ(defaults.hooks.after_run, "");
  EXPECT_EQ(defaults.hooks.timeout, std::chrono::seconds(30));
  EXPECT_FALSE(defaults.hooks.before_run_required);
  EXPECT_TRUE(defaults.windows.allowed.empty());
  write("retort.toml", R"([retort]
url = "sqlite:///app.db"

[retort.hooks]
before_run = "./notify start"
after_step = "./notify step"
on_failure = "./page"
after_run = "./notify end"
on_lock_wait = "./notify wait"
timeout = "5s"
before_run_required = true

[retort.windows]
allowed = ["Sat 02:00-05:00 Europe/Berlin", "02:00-04:00 UTC"]
)");
  const Config config = load_config(sources());
  EXPECT_EQ(config.hooks.before_run, "./notify start");
  EXPECT_EQ(config.hooks.after_step, "./notify step");
  EXPECT_EQ(config.hooks.on_failure, "./page");
  EXPECT_EQ(config.hooks.after_run, "./notify end");
  EXPECT_EQ(config.hooks.on_lock_wait, "./notify wait");
  EXPECT_EQ(config.hooks.timeout, std::chrono::seconds(5));
  EXPECT_TRUE(config.hooks.before_run_required);
  EXPECT_EQ(config.windows.allowed,
            (std::vector<std::string>{"Sat 02:00-05:00 Europe/Berlin", "02:00-04:00 UTC"}));
}

TEST_F(ConfigTest, ReadsTheBackupSettings) {
  write("retort.toml", R"([retort]
url = "sqlite:///app.db"

[retort.backup]
when = "always"
directory = "var/dumps"
command = "pg_dump -Fc -f \"$RETORT_BACKUP_FILE\" \"$RETORT_BACKUP_URL\" && upload ${BUCKET}"
pg_dump = "/opt/pg16/bin/pg_dump"
)");
  m_env["BUCKET"] = "s3://dumps";
  const Config config = load_config(sources());
  EXPECT_EQ(config.backup.when, BackupWhen::always);
  EXPECT_EQ(config.backup.directory, m_root / "var" / "dumps");
  EXPECT_EQ(config.backup.command,
            "pg_dump -Fc -f \"$RETORT_BACKUP_FILE\" \"$RETORT_BACKUP_URL\" && upload s3://dumps")
      << "$NAME without braces is left for the shell; ${NAME} reads the environment now";
  EXPECT_EQ(config.backup.pg_dump, "/opt/pg16/bin/pg_dump");

  write("retort.toml",
        "[retort]\nurl = \"sqlite:///app.db\"\n[retort.backup]\nwhen = \"never\"\n"
        "directory = \"/srv/backups\"\n");
  const Config absolute = load_config(sources());
  EXPECT_EQ(absolute.backup.when, BackupWhen::never);
  EXPECT_EQ(absolute.backup.directory, fs::path("/srv/backups"));
}

TEST_F(ConfigTest, ReplicaUrlsMustBeAnArrayOfStrings) {
  write("retort.toml",
        "[retort]\nurl = \"sqlite:///app.db\"\n[retort.replicas]\nurls = "
        "\"postgresql://ro@replica-1/app\"\n");
  const Error error = load_error(sources());
  EXPECT_EQ(error.code(), ExitCode::input);
  EXPECT_EQ(format_error(error),
            "retort.toml:4: error: retort.replicas.urls must be an array of strings, written "
            "[\"...\", \"...\"], not \"postgresql://ro@replica-1/app\"\n");
}

TEST_F(ConfigTest, SettingsGivenForOneRunOverrideTheFile) {
  write("retort.toml",
        "[retort]\nurl = \"sqlite:///app.db\"\n[retort.postgres]\nlock_timeout = \"5s\"\n"
        "lock_retries = 3\n");
  ConfigSources from = sources();
  from.overrides = {{"retort.postgres.lock_timeout", "250ms", "--lock-timeout"},
                    {"retort.postgres.statement_timeout", "10m", "--statement-timeout"}};
  const Config config = load_config(from);
  EXPECT_EQ(config.postgres.lock_timeout, std::chrono::milliseconds(250));
  EXPECT_EQ(config.postgres.statement_timeout, std::chrono::minutes(10));
  EXPECT_EQ(config.postgres.lock_retries, 3) << "what is not overridden comes from the file";
}

TEST_F(ConfigTest, ABadOverrideIsAnInputErrorNamingTheFlag) {
  write("retort.toml", "[retort]\nurl = \"sqlite:///app.db\"\n");
  ConfigSources from = sources();
  from.overrides = {{"retort.postgres.lock_retries", "many", "--lock-retries"}};
  const Error error = load_error(from);
  EXPECT_EQ(error.code(), ExitCode::input);
  EXPECT_EQ(std::string(error.what()),
            "--lock-retries must be a whole number (0 or more), not \"many\"");
  EXPECT_FALSE(error.where.has_value()) << "a flag has no file and line";
}

// The library takes overrides from any caller (the Python module's keywords): one naming no
// key is an input error, not undefined behaviour.
TEST_F(ConfigTest, AnOverrideOfAnUnknownKeyIsAnInputError) {
  write("retort.toml", "[retort]\nurl = \"sqlite:///app.db\"\n");
  ConfigSources from = sources();
  from.overrides = {{"retort.postgres.lock_timout", "1s", ""}};
  const Error error = load_error(from);
  EXPECT_EQ(error.code(), ExitCode::input);
  EXPECT_EQ(std::string(error.what()),
            "unknown configuration key 'retort.postgres.lock_timout' (given as an override)");
}

TEST_F(ConfigTest, ReadsDottedKeysLikeTables) {
  write("retort.toml", "retort.url = \"sqlite:///app.db\"\nretort.postgres.lock = \"none\"\n");
  EXPECT_EQ(load_config(sources()).postgres.lock, LockMode::none);
}

struct DurationCase {
  std::string toml_value;
  Millis expected;
};

TEST_F(ConfigTest, ReadsDurations) {
  const DurationCase cases[] = {
      {"\"500ms\"", Millis{500}},
      {"\"2s\"", std::chrono::seconds(2)},
      {"\"5m\"", std::chrono::minutes(5)},
      {"\"4h\"", std::chrono::hours(4)},
      {"\"0\"", Millis{0}},
      {"0", Millis{0}},
  };
  for (const DurationCase& c : cases) {
    write(
        "retort.toml",
        "[retort]\nurl = \"sqlite:///app.db\"\n[retort.postgres]\nlock_timeout = " + c.toml_value +
            "\nlock_wait = " + c.toml_value + "\nstatement_timeout = " + c.toml_value + "\n");
    const Config config = load_config(sources());
    EXPECT_EQ(config.postgres.lock_timeout, c.expected) << c.toml_value;
    EXPECT_EQ(config.postgres.lock_wait, c.expected) << c.toml_value;
    EXPECT_EQ(config.postgres.statement_timeout, c.expected) << c.toml_value;
  }
}

TEST_F(ConfigTest, FindsRetortTomlInAParentDirectory) {
  write("retort.toml", "[retort]\nurl = \"sqlite:///data/app.db\"\n");
  const fs::path nested = m_root / "src" / "deep";
  fs::create_directories(nested);
  const Config config = load_config(sources(nested));
  EXPECT_EQ(config.config_file, m_root / "retort.toml");
  EXPECT_EQ(config.project_dir, m_root);
  EXPECT_EQ(config.script_location, m_root / "migrations");
  EXPECT_EQ(config.url, "sqlite:///" + (m_root / "data" / "app.db").string())
      << "a relative sqlite path in the file is relative to the file, not to the cwd";
}

TEST_F(ConfigTest, NamesTheFileRelativeToTheWorkingDirectoryInErrors) {
  write("retort.toml", "[retort]\nurl = \"sqlite:///app.db\"\nverison_table = \"v\"\n");
  const fs::path nested = m_root / "src" / "deep";
  fs::create_directories(nested);
  EXPECT_EQ(format_error(load_error(sources(nested))),
            "../../retort.toml:3: error: unknown key 'verison_table' in [retort]; did you mean "
            "'version_table'?\n");
}

TEST_F(ConfigTest, TheNearestFileWins) {
  write("retort.toml", "[retort]\nurl = \"sqlite:///outer.db\"\n");
  write("inner/retort.toml", "[retort]\nurl = \"sqlite:///inner.db\"\n");
  const Config config = load_config(sources(m_root / "inner"));
  EXPECT_EQ(config.config_file, m_root / "inner" / "retort.toml");
  EXPECT_EQ(config.url, "sqlite:///" + (m_root / "inner" / "inner.db").string());
}

TEST_F(ConfigTest, ReadsTheFileGivenWithDashC) {
  write("retort.toml", "[retort]\nurl = \"sqlite:///ignored.db\"\n");
  write("conf/staging.toml", "[retort]\nscript_location = \"../db\"\nurl = \"sqlite:///s.db\"\n");
  ConfigSources from = sources();
  from.config_path = "conf/staging.toml";
  const Config config = load_config(from);
  EXPECT_EQ(config.config_file, m_root / "conf" / "staging.toml");
  EXPECT_EQ(config.project_dir, m_root / "conf");
  EXPECT_EQ(config.script_location, m_root / "db");
  EXPECT_EQ(config.url, "sqlite:///" + (m_root / "conf" / "s.db").string());
}

TEST_F(ConfigTest, NamesTheFileAsGivenWithDashCInErrors) {
  write("conf/staging.toml", "[retort]\nurl = 5\n");
  ConfigSources from = sources();
  from.config_path = "conf/staging.toml";
  EXPECT_EQ(format_error(load_error(from)),
            "conf/staging.toml:2: error: retort.url must be a non-empty string, not 5\n");
}

TEST_F(ConfigTest, AMissingDashCFileIsAnInputErrorNamingIt) {
  write("retort.toml", "[retort]\nurl = \"sqlite:///app.db\"\n");
  ConfigSources from = sources();
  from.config_path = "nope.toml";
  const Error error = load_error(from);
  EXPECT_EQ(error.code(), ExitCode::input);
  EXPECT_EQ(format_error(error),
            "error: configuration file 'nope.toml' (given with -c) does not exist\n"
            "  run `retort init migrations` in the project directory to create one\n");
}

TEST_F(ConfigTest, ADirectoryGivenWithDashCIsAnInputError) {
  fs::create_directories(m_root / "conf");
  ConfigSources from = sources();
  from.config_path = "conf";
  const Error error = load_error(from);
  EXPECT_EQ(error.code(), ExitCode::input);
  EXPECT_STREQ(error.what(),
               "configuration file 'conf' (given with -c) is a directory; name the retort.toml "
               "inside it");
}

TEST_F(ConfigTest, NoConfigurationAtAllSaysHowToRunInit) {
  const Error error = load_error(sources());
  EXPECT_EQ(error.code(), ExitCode::input);
  EXPECT_EQ(format_error(error),
            "error: no configuration found: no retort.toml in " + m_root.string() +
                " or any parent directory, and no database URL given\n"
                "  pass -c PATH to name a retort.toml, or --url URL (or set RETORT_URL or "
                "DATABASE_URL) to run without one\n"
                "  next: retort init migrations\n");
}

TEST_F(ConfigTest, RunsFromAUrlAloneWithoutRetortToml) {
  ConfigSources from = sources();
  from.url = "sqlite:///app.db";
  const Config config = load_config(from);
  EXPECT_TRUE(config.config_file.empty());
  EXPECT_EQ(config.project_dir, m_root);
  EXPECT_EQ(config.script_location, m_root / "migrations");
  EXPECT_EQ(config.url, "sqlite:///" + (m_root / "app.db").string());
  EXPECT_EQ(config.url_source, "--url");
}

TEST_F(ConfigTest, RunsFromTheEnvironmentAloneWithoutRetortToml) {
  m_env["DATABASE_URL"] = "postgresql://app@db/app";
  const Config config = load_config(sources());
  EXPECT_EQ(config.url, "postgresql://app@db/app");
  EXPECT_EQ(config.url_source, "DATABASE_URL");
  EXPECT_EQ(config.script_location, m_root / "migrations");
}

TEST_F(ConfigTest, AFileWithoutUrlNamesTheKeyAndTheThreeWaysToGiveIt) {
  write("retort.toml", "[retort]\nscript_location = \"migrations\"\n");
  const Error error = load_error(sources());
  EXPECT_EQ(error.code(), ExitCode::input);
  EXPECT_EQ(format_error(error),
            "retort.toml: error: no database URL: set url under [retort] in this file "
            "(retort.url), pass --url URL, or set RETORT_URL or DATABASE_URL\n");
}

struct PrecedenceCase {
  bool flag;
  bool retort_url;
  bool database_url;
  bool file;
  std::string expected_source;  // "file" stands for the config file's path
  std::string expected_url;
};

TEST_F(ConfigTest, TakesTheUrlFromTheFirstOfFlagRetortUrlDatabaseUrlAndFile) {
  const PrecedenceCase cases[] = {
      {true, true, true, true, "--url", "postgresql://flag/app"},
      {false, true, true, true, "RETORT_URL", "postgresql://retort-url/app"},
      {false, false, true, true, "DATABASE_URL", "postgresql://database-url/app"},
      {false, false, false, true, "file", "postgresql://file/app"},
      {true, false, false, false, "--url", "postgresql://flag/app"},
      {false, true, false, false, "RETORT_URL", "postgresql://retort-url/app"},
      {false, false, true, false, "DATABASE_URL", "postgresql://database-url/app"},
      {true, false, true, true, "--url", "postgresql://flag/app"},
  };
  for (const PrecedenceCase& c : cases) {
    fs::remove(m_root / "retort.toml");
    m_env.clear();
    if (c.file) {
      write("retort.toml", "[retort]\nurl = \"postgresql://file/app\"\n");
    }
    if (c.retort_url) {
      m_env["RETORT_URL"] = "postgresql://retort-url/app";
    }
    if (c.database_url) {
      m_env["DATABASE_URL"] = "postgresql://database-url/app";
    }
    ConfigSources from = sources();
    if (c.flag) {
      from.url = "postgresql://flag/app";
    }
    const Config config = load_config(from);
    const std::string source =
        c.expected_source == "file" ? (m_root / "retort.toml").string() : c.expected_source;
    EXPECT_EQ(config.url_source, source) << c.expected_url;
    EXPECT_EQ(config.url, c.expected_url);
  }
}

TEST_F(ConfigTest, AnEmptyEnvironmentVariableDoesNotOverrideTheFile) {
  write("retort.toml", "[retort]\nurl = \"postgresql://file/app\"\n");
  m_env["RETORT_URL"] = "";
  m_env["DATABASE_URL"] = "";
  EXPECT_EQ(load_config(sources()).url_source, (m_root / "retort.toml").string());
}

TEST_F(ConfigTest, ARelativeSqlitePathFromFlagOrEnvironmentIsRelativeToTheWorkingDirectory) {
  write("retort.toml", "[retort]\nurl = \"sqlite:///file.db\"\n");
  const fs::path nested = m_root / "sub";
  fs::create_directories(nested);

  ConfigSources from = sources(nested);
  from.url = "sqlite:///flag.db";
  EXPECT_EQ(load_config(from).url, "sqlite:///" + (nested / "flag.db").string());

  m_env["RETORT_URL"] = "sqlite:///../env.db";
  EXPECT_EQ(load_config(sources(nested)).url, "sqlite:///" + (m_root / "env.db").string());

  m_env.clear();
  EXPECT_EQ(load_config(sources(nested)).url, "sqlite:///" + (m_root / "file.db").string());
}

TEST_F(ConfigTest, LeavesAbsoluteAndInMemorySqliteUrlsAlone) {
  ConfigSources from = sources();
  from.url = "sqlite:////var/lib/app.db";
  EXPECT_EQ(load_config(from).url, "sqlite:////var/lib/app.db");
  from.url = "sqlite:///:memory:";
  EXPECT_EQ(load_config(from).url, "sqlite:///:memory:");
  // SQLAlchemy's in-memory URL.
  from.url = "sqlite://";
  EXPECT_EQ(load_config(from).url, "sqlite://");
}

TEST_F(ConfigTest, ExpandsEnvironmentVariablesInEveryStringValue) {
  write("retort.toml", R"([retort]
script_location = "${APP_HOME}/migrations"
url = "postgresql://${DB_USER}:${DB_PASSWORD}@${DB_HOST}:5432/app"
version_table = "${TABLE}"
transaction_per_migration = "${PER_MIGRATION}"

[retort.postgres]
lock = "${LOCK}"
lock_timeout = "${LOCK_TIMEOUT}"
lock_retries = "${RETRIES}"
)");
  m_env = {{"APP_HOME", "/srv/app"},
           {"DB_USER", "app"},
           {"DB_PASSWORD", std::string(k_secret)},
           {"DB_HOST", "db.internal"},
           {"TABLE", "alembic_version"},
           {"PER_MIGRATION", "false"},
           {"LOCK", "none"},
           {"LOCK_TIMEOUT", "750ms"},
           {"RETRIES", "3"}};
  const Config config = load_config(sources());
  EXPECT_EQ(config.script_location, fs::path("/srv/app/migrations"));
  EXPECT_EQ(config.url, "postgresql://app:" + std::string(k_secret) + "@db.internal:5432/app");
  EXPECT_EQ(config.redacted_url, "postgresql://app:***@db.internal:5432/app");
  EXPECT_EQ(config.version_table, "alembic_version");
  EXPECT_FALSE(config.transaction_per_migration);
  EXPECT_EQ(config.postgres.lock, LockMode::none);
  EXPECT_EQ(config.postgres.lock_timeout, Millis{750});
  EXPECT_EQ(config.postgres.lock_retries, 3);
}

TEST_F(ConfigTest, DoubleDollarWritesALiteralAndExpansionsAreNotExpandedAgain) {
  write("retort.toml",
        "[retort]\nurl = \"sqlite:///app.db\"\nscript_location = \"a$${B}/$C/${D}\"\n");
  m_env["D"] = "${E}";
  EXPECT_EQ(load_config(sources()).script_location, m_root / "a${B}" / "$C" / "${E}");
}

TEST_F(ConfigTest, ReadsTheProcessEnvironmentByDefault) {
  write("retort.toml", "[retort]\nscript_location = \"${RETORT_CONFIG_TEST_DIR}\"\n");
  ASSERT_EQ(::setenv("RETORT_CONFIG_TEST_DIR", "from-env", 1), 0);
  ConfigSources from;
  from.cwd = m_root;
  from.url = "sqlite:///app.db";
  const Config config = load_config(from);
  ::unsetenv("RETORT_CONFIG_TEST_DIR");
  EXPECT_EQ(config.script_location, m_root / "from-env");
}

// One retort.toml that is wrong, and the exact text the CLI prints for it.
struct ErrorCase {
  std::string toml;
  std::string printed;
};

TEST_F(ConfigTest, EveryMistakeIsAnInputErrorNamingFileLineAndKey) {
  const ErrorCase cases[] = {
      // Unknown keys and tables.
      {"[retort]\nurl = \"sqlite:///a.db\"\n[retort.postgres]\nlock_timout = \"2s\"\n",
       "retort.toml:4: error: unknown key 'lock_timout' in [retort.postgres]; did you mean "
       "'lock_timeout'?\n"},
      {"[retort]\nscript_locaton = \"m\"\n",
       "retort.toml:2: error: unknown key 'script_locaton' in [retort]; did you mean "
       "'script_location'?\n"},
      {"[retort]\nlock_timeout = \"2s\"\n",
       "retort.toml:2: error: unknown key 'lock_timeout' in [retort]; it belongs in "
       "[retort.postgres]\n"},
      {"url = \"sqlite:///a.db\"\n",
       "retort.toml:1: error: unknown key 'url' at the top level; it belongs in [retort]\n"},
      {"[retort]\nurl = \"sqlite:///a.db\"\n\n[retort.postgress]\nlock = \"none\"\n",
       "retort.toml:4: error: unknown table [retort.postgress]; did you mean "
       "[retort.postgres]?\n"},
      {"[alembic]\nscript_location = \"m\"\n",
       "retort.toml:1: error: unknown table [alembic]\n"
       "  known tables: [retort], [retort.postgres], [retort.preflight], [retort.replicas], "
       "[retort.backup], [retort.lint], [retort.schema], [retort.hooks], [retort.windows], "
       "[retort.fleet], [retort.allowed_edits]\n"},
      {"[retort]\ncolour = \"blue\"\n",
       "retort.toml:2: error: unknown key 'colour' in [retort]\n"
       "  known keys in [retort]: script_location, url, version_table, version_table_schema, "
       "transaction_per_migration\n"},
      {"colour = \"blue\"\n",
       "retort.toml:1: error: unknown key 'colour' at the top level\n"
       "  retort reads only the tables [retort], [retort.postgres], [retort.preflight], "
       "[retort.replicas], [retort.backup], [retort.lint], [retort.schema], [retort.hooks], "
       "[retort.windows], [retort.fleet], [retort.allowed_edits]\n"},
      {"retort = 1\n",
       "retort.toml:1: error: retort must be a table, written [retort], not a value\n"},
      {"[[retort]]\nurl = \"sqlite:///a.db\"\n",
       "retort.toml:1: error: retort must be a table, written [retort], not an array\n"},
      // Wrong types and values.
      {"[retort.postgres]\nlock = \"advisroy\"\n",
       "retort.toml:2: error: retort.postgres.lock must be one of \"advisory\", \"lease\" or "
       "\"none\", not \"advisroy\"\n  did you mean \"advisory\"?\n"},
      {"[retort.backup]\nwhen = \"riskey\"\n",
       "retort.toml:2: error: retort.backup.when must be one of \"risky\", \"always\" or "
       "\"never\", not \"riskey\"\n  did you mean \"risky\"?\n"},
      {"[retort.windows]\nallowed = [\"Sat 02:00-05:00 Europe/Berln\"]\n",
       "retort.toml:2: error: retort.windows.allowed must be a window \"[DAYS] HH:MM-HH:MM "
       "ZONE\", not \"Sat 02:00-05:00 Europe/Berln\"\n  unknown time zone 'Europe/Berln': write "
       "UTC or an IANA name such as "
       "Europe/Berlin (the system's zoneinfo, Debian's tzdata package)\n"},
      {"[retort.hooks]\nbefore_run_requried = true\n",
       "retort.toml:2: error: unknown key 'before_run_requried' in [retort.hooks]; did you mean "
       "'before_run_required'?\n"},
      {"[retort.lint]\non_upgrade = \"refuse\"\n",
       "retort.toml:2: error: retort.lint.on_upgrade must be one of \"warn\", \"error\" or "
       "\"off\", not \"refuse\"\n"},
      {"[retort.backup]\ndirectory = \"\"\n",
       "retort.toml:2: error: retort.backup.directory must be a non-empty string, not \"\"\n"},
      {"[retort.postgres]\nlock = true\n",
       "retort.toml:2: error: retort.postgres.lock must be one of \"advisory\", \"lease\" or "
       "\"none\", not true\n"},
      {"[retort.postgres]\nlock_timeout = \"2 sec\"\n",
       "retort.toml:2: error: retort.postgres.lock_timeout must be a duration such as "
       "\"500ms\", \"2s\", \"5m\", \"4h\" or \"0\", not \"2 sec\"\n"},
      {"[retort.postgres]\nlock_wait = 5\n",
       "retort.toml:2: error: retort.postgres.lock_wait must be a duration such as \"500ms\", "
       "\"2s\", \"5m\", \"4h\" or \"0\", not 5\n  a number needs a unit: write \"5s\" or "
       "\"5ms\"\n"},
      {"[retort.postgres]\nstatement_timeout = 1.5\n",
       "retort.toml:2: error: retort.postgres.statement_timeout must be a duration such as "
       "\"500ms\", \"2s\", \"5m\", \"4h\" or \"0\", not 1.5\n"},
      {"[retort.postgres]\nlock_retries = -1\n",
       "retort.toml:2: error: retort.postgres.lock_retries must be a whole number (0 or more), "
       "not -1\n"},
      {"[retort.postgres]\nlock_retries = \"ten\"\n",
       "retort.toml:2: error: retort.postgres.lock_retries must be a whole number (0 or more), "
       "not \"ten\"\n"},
      {"[retort.postgres]\nlock_retries = 3000000000\n",
       "retort.toml:2: error: retort.postgres.lock_retries must be a whole number (0 or more), "
       "not 3000000000\n"},
      {"[retort]\ntransaction_per_migration = \"yes\"\n",
       "retort.toml:2: error: retort.transaction_per_migration must be true or false, not "
       "\"yes\"\n"},
      {"[retort]\nversion_table = \"my table\"\n",
       "retort.toml:2: error: retort.version_table must be a name of letters, digits and _, not "
       "starting with a digit, at most 63 characters, not \"my table\"\n"},
      {"[retort]\nversion_table = \"\"\n",
       "retort.toml:2: error: retort.version_table must be a name of letters, digits and _, not "
       "starting with a digit, at most 63 characters, not \"\"\n"},
      // Its primary key, <name>_pkc, must fit PostgreSQL's 63 bytes too.
      {"[retort]\nversion_table = \"" + std::string(60, 'v') + "\"\n",
       "retort.toml:2: error: retort.version_table must be at most 59 characters (this one has "
       "60), not \"" +
           std::string(60, 'v') + "\"\n  retort names the version table's primary key " +
           std::string(60, 'v') +
           "_pkc, and PostgreSQL cuts names at 63 bytes; the longest version_table is 59 "
           "characters\n"},
      {"[retort]\nscript_location = \"\"\n",
       "retort.toml:2: error: retort.script_location must be a non-empty string, not \"\"\n"},
      {"[retort]\nscript_location = [\"a\"]\n",
       "retort.toml:2: error: retort.script_location must be a non-empty string, not an "
       "array\n"},
      {"[retort]\nurl = { host = \"db\" }\n",
       "retort.toml:2: error: retort.url must be a non-empty string, not a table\n"},
      {"[retort]\nurl = 1979-05-27\n",
       "retort.toml:2: error: retort.url must be a non-empty string, not a date or time\n"},
      // The URL itself.
      {"[retort]\nurl = \"mysql://root@db/app\"\n",
       "retort.toml:2: error: database URL 'mysql://root@db/app' has an unsupported scheme "
       "'mysql': retort supports postgresql:// (or postgres://) and sqlite:///, with or without "
       "a SQLAlchemy driver (postgresql+psycopg://, sqlite+aiosqlite:///); use "
       "postgresql://user@host:5432/dbname or sqlite:///path/to/file.db (from retort.url)\n"},
      {"[retort]\nurl = \"sqlite://app.db\"\n",
       "retort.toml:2: error: database URL 'sqlite://app.db' is not a SQLite URL: use "
       "sqlite:///app.db (three slashes) (from retort.url)\n"},
      // ${NAME}.
      {"[retort]\nurl = \"postgresql://app:${DB_PASSWORD}@db/app\"\n",
       "retort.toml:2: error: environment variable DB_PASSWORD is not set (retort.url uses "
       "${DB_PASSWORD})\n"},
      {"[retort.postgres]\nlock_wait = \"${LOCK_WAIT\"\n",
       "retort.toml:2: error: unclosed '${' in retort.postgres.lock_wait\n"
       "  write ${NAME} to read the environment variable NAME, or $${ for a literal ${\n"},
      {"[retort]\nscript_location = \"${1DIR}\"\n",
       "retort.toml:2: error: '${1DIR}' in retort.script_location is not a valid variable name\n"
       "  a name is letters, digits and _, not starting with a digit; write $${ for a literal "
       "${\n"},
  };
  for (const ErrorCase& c : cases) {
    write("retort.toml", c.toml);
    const Error error = load_error(sources());
    EXPECT_EQ(error.code(), ExitCode::input) << c.toml;
    EXPECT_EQ(format_error(error), c.printed) << c.toml;
  }
}

TEST_F(ConfigTest, ATomlSyntaxErrorNamesFileLineColumnAndTheParsersWords) {
  write("retort.toml", "[retort]\nurl = \"sqlite:///a.db\"\nlock_wait = 5s\n");
  const Error error = load_error(sources());
  EXPECT_EQ(error.code(), ExitCode::input);
  ASSERT_TRUE(error.where.has_value());
  EXPECT_EQ(error.where->file, "retort.toml");
  EXPECT_EQ(error.where->line, 3);
  EXPECT_GT(error.where->column, 0);
  EXPECT_TRUE(std::string(error.what()).starts_with("invalid TOML: ")) << error.what();
  EXPECT_GT(std::string(error.what()).size(), std::string("invalid TOML: ").size());
  EXPECT_EQ(error.explanation, "a duration is a string: write lock_wait = \"5s\"");
}

TEST_F(ConfigTest, AnUnquotedDurationIsASyntaxErrorThatSaysHowToQuoteIt) {
  write("retort.toml", "[retort.postgres]\nlock_timeout = 500ms  # per statement\n");
  const Error error = load_error(sources());
  ASSERT_TRUE(error.where.has_value());
  EXPECT_EQ(error.where->line, 2);
  EXPECT_EQ(error.explanation, "a duration is a string: write lock_timeout = \"500ms\"");
}

TEST_F(ConfigTest, ADuplicateKeyIsASyntaxError) {
  write("retort.toml", "[retort]\nurl = \"sqlite:///a.db\"\nurl = \"sqlite:///b.db\"\n");
  const Error error = load_error(sources());
  ASSERT_TRUE(error.where.has_value());
  EXPECT_EQ(error.where->line, 3);
  EXPECT_TRUE(std::string(error.what()).starts_with("invalid TOML: ")) << error.what();
  EXPECT_EQ(error.explanation, "");
}

// Every way a URL holding a password can end up in an error message.
TEST_F(ConfigTest, AnApplicationsSqlalchemyUrlIsUsedWithoutItsDriverAndSaysSo) {
  write("retort.toml", "[retort]\nurl = \"postgresql+psycopg2://file@db/app\"\n");
  m_env["DATABASE_URL"] = "postgresql+asyncpg://app:" + std::string(k_secret) + "@db:5432/app";
  Config config = load_config(sources());
  EXPECT_EQ(config.url, "postgresql://app:" + std::string(k_secret) + "@db:5432/app");
  EXPECT_EQ(config.redacted_url, "postgresql://app:***@db:5432/app");
  EXPECT_EQ(config.url_source, "DATABASE_URL");
  ASSERT_EQ(config.notes.size(), 1U);
  EXPECT_EQ(config.notes[0],
            "the database URL from the environment variable DATABASE_URL names the SQLAlchemy "
            "driver asyncpg; retort connects through libpq itself, so it reads "
            "postgresql+asyncpg:// as postgresql://");

  m_env.clear();
  config = load_config(sources());
  EXPECT_EQ(config.url, "postgresql://file@db/app");
  ASSERT_EQ(config.notes.size(), 1U);
  EXPECT_EQ(config.notes[0],
            "the database URL from retort.url names the SQLAlchemy driver psycopg2; retort "
            "connects through libpq itself, so it reads postgresql+psycopg2:// as postgresql://");

  // A relative SQLite path keeps its meaning: relative to the working directory here.
  ConfigSources from = sources();
  from.url = "sqlite+aiosqlite:///app.db";
  config = load_config(from);
  EXPECT_EQ(config.url, "sqlite:///" + (m_root / "app.db").string());
  ASSERT_EQ(config.notes.size(), 1U);
  EXPECT_EQ(config.notes[0],
            "the database URL given with --url names the SQLAlchemy driver aiosqlite; retort "
            "connects through sqlite3 itself, so it reads sqlite+aiosqlite:// as sqlite://");
  from.url = "sqlite+pysqlite:////var/lib/app.db";
  EXPECT_EQ(load_config(from).url, "sqlite:////var/lib/app.db");

  from.url = "postgresql://app@db/app";
  EXPECT_TRUE(load_config(from).notes.empty()) << "a plain URL changes nothing";
}

TEST_F(ConfigTest, NoErrorShowsAPassword) {
  const std::string secret(k_secret);
  struct Leak {
    std::string toml;
    std::optional<std::string> flag;
    std::map<std::string, std::string> env;
  };
  const Leak cases[] = {
      {"[retort]\nurl = \"mysql://root:" + secret + "@db/app\"\n", std::nullopt, {}},
      {"[retort]\nurl = \"postgresql://root:" + secret + "@db:54x2/app\"\n", std::nullopt, {}},
      {"[retort]\nurl = \"postgresql://root:${P}@db:bad/app\"\n", std::nullopt, {{"P", secret}}},
      {"[retort]\nurl = \"postgresql://db:x/app?password=" + secret + "\"\n", std::nullopt, {}},
      {"[retort]\nversion_table = \"postgresql://root:" + secret + "@db/app\"\n", std::nullopt, {}},
      {"[retort.postgres]\nlock = \"postgresql://root:${P}@db/app\"\n",
       std::nullopt,
       {{"P", secret}}},
      {"[retort]\nurl = \"postgresql://root:" + secret + "@db/app\n", std::nullopt, {}},
      {"[retort]\nurl = \"sqlite:///a.db\"\n", "mysql://root:" + secret + "@db/app", {}},
      {"[retort]\nurl = \"sqlite:///a.db\"\n",
       std::nullopt,
       {{"RETORT_URL", "oracle://root:" + secret + "@db/app"}}},
      {"", std::nullopt, {{"DATABASE_URL", "postgresql://root:" + secret + "@[::1/app"}}},
      {"", std::nullopt, {{"DATABASE_URL", "mysql+pymysql://root:" + secret + "@db/app"}}},
      {"", std::nullopt, {{"DATABASE_URL", "postgresql+asyncpg://root:" + secret + "@db:x/app"}}},
  };
  for (const Leak& c : cases) {
    fs::remove(m_root / "retort.toml");
    if (!c.toml.empty()) {
      write("retort.toml", c.toml);
    }
    m_env = c.env;
    ConfigSources from = sources();
    from.url = c.flag;
    const Error error = load_error(from);
    const std::string printed = format_error(error);
    EXPECT_EQ(printed.find(secret), std::string::npos) << printed;
    if (printed.find("invalid TOML") == std::string::npos) {
      EXPECT_NE(printed.find("***"), std::string::npos)
          << "the message should show the redacted URL: " << printed;
    }
  }
}

TEST_F(ConfigTest, AUrlErrorSaysWhereTheUrlCameFrom) {
  ConfigSources from = sources();
  from.url = "mysql://root:pw@db/app";
  EXPECT_EQ(format_error(load_error(from)),
            "error: database URL 'mysql://root:***@db/app' has an unsupported scheme 'mysql': "
            "retort supports postgresql:// (or postgres://) and sqlite:///, with or without a "
            "SQLAlchemy driver (postgresql+psycopg://, sqlite+aiosqlite:///); use "
            "postgresql://user@host:5432/dbname or sqlite:///path/to/file.db (given with --url)\n");
  m_env["DATABASE_URL"] = "sqlite://x.db";
  EXPECT_EQ(format_error(load_error(sources())),
            "error: database URL 'sqlite://x.db' is not a SQLite URL: use sqlite:///app.db "
            "(three slashes) (from the environment variable DATABASE_URL)\n");
}

TEST_F(ConfigTest, RedactsThePasswordOfAnAcceptedUrl) {
  ConfigSources from = sources();
  from.url = "postgresql://app:" + std::string(k_secret) + "@db/app?sslmode=require";
  const Config config = load_config(from);
  EXPECT_EQ(config.redacted_url, "postgresql://app:***@db/app?sslmode=require");
  EXPECT_EQ(config.url, *from.url);
}

TEST_F(ConfigTest, TheDefaultFileParsesBackToTheDefaults) {
  write("retort.toml", default_config_text("migrations", "sqlite:///app.db"));
  const Config config = load_config(sources());
  const Config defaults;
  EXPECT_EQ(config.script_location, m_root / "migrations");
  EXPECT_EQ(config.url, "sqlite:///" + (m_root / "app.db").string());
  EXPECT_EQ(config.version_table, defaults.version_table);
  EXPECT_EQ(config.version_table_schema, defaults.version_table_schema);
  EXPECT_EQ(config.transaction_per_migration, defaults.transaction_per_migration);
  EXPECT_EQ(config.postgres.lock, defaults.postgres.lock);
  EXPECT_EQ(config.postgres.lock_wait, defaults.postgres.lock_wait);
  EXPECT_EQ(config.postgres.lock_timeout, defaults.postgres.lock_timeout);
  EXPECT_EQ(config.postgres.lock_retries, defaults.postgres.lock_retries);
  EXPECT_EQ(config.postgres.statement_timeout, defaults.postgres.statement_timeout);
}

TEST_F(ConfigTest, TheDefaultFileShowsEveryOptionalKeyCommentedOut) {
  const std::string text = default_config_text("migrations", "sqlite:///app.db");
  for (const std::string line : {"script_location = \"migrations\"",
                                 "url = \"sqlite:///app.db\"",
                                 "version_table = \"retort_version\"",
                                 "# version_table_schema = \"public\"",
                                 "# transaction_per_migration = true",
                                 "[retort.postgres]",
                                 "# lock = \"advisory\"",
                                 "# lock_wait = \"5m\"",
                                 "# lock_timeout = \"2s\"",
                                 "# lock_retries = 10",
                                 "# statement_timeout = \"0\"",
                                 "# lease_ttl = \"30s\"",
                                 "[retort.backup]",
                                 "# when = \"risky\"",
                                 "# directory = \"backups\"",
                                 "[retort.preflight]",
                                 "# max_step_runtime = \"0\"",
                                 "# long_transaction = \"5m\"",
                                 "# app_connections = 0",
                                 "# free_disk_command = \"\"",
                                 "[retort.replicas]",
                                 "# max_lag = \"30s\"",
                                 "# wait = \"10m\""}) {
    EXPECT_NE(text.find("\n" + line), std::string::npos) << "missing: " << line << "\n" << text;
  }
}

TEST_F(ConfigTest, TheDefaultFileEscapesWhatItQuotes) {
  write("retort.toml", default_config_text("db \"main\"\\x", "postgresql://app@db/app"));
  const Config config = load_config(sources());
  EXPECT_EQ(config.script_location, m_root / "db \"main\"\\x");
  EXPECT_EQ(config.url, "postgresql://app@db/app");
}

TEST_F(ConfigTest, TheDefaultFileWithoutAUrlLeavesItToTheEnvironment) {
  write("retort.toml", default_config_text("migrations", ""));
  EXPECT_EQ(format_error(load_error(sources())),
            "retort.toml: error: no database URL: set url under [retort] in this file "
            "(retort.url), pass --url URL, or set RETORT_URL or DATABASE_URL\n");
  m_env["DATABASE_URL"] = "postgresql://db/app";
  EXPECT_EQ(load_config(sources()).url, "postgresql://db/app");
}

}  // namespace
}  // namespace retort
