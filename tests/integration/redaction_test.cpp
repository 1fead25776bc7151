// Passwords never shown: base's redaction checked against libpq's own reading of a corpus of
// tricky URLs and conninfo strings (PQconninfoParse), and every output path that prints or
// stores a URL (current -v, --json, timings export, timings import), through the binary against
// a real PostgreSQL 15 with a password role.
#include "base/url.hpp"
#include "harness/postgres_server.hpp"
#include "integration/cli_support.hpp"
#include "integration/project.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace retort::test {
namespace {

using Strings = std::vector<std::string>;

struct Tricky {
  std::string url;
  Strings meant;  // what the user meant as password (or its pieces): never shown
  Strings kept;   // what must stay readable: user, host, port, database, other parameters
};

// The password and sslpassword libpq reads from `url`; empty when libpq refuses the string.
Strings libpq_secrets(const std::string& url) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &error);
  Strings out;
  if (options == nullptr) {
    PQfreemem(error);
    return out;
  }
  for (PQconninfoOption* option = options; option->keyword != nullptr; ++option) {
    const std::string keyword = option->keyword;
    if ((keyword == "password" || keyword == "sslpassword") && option->val != nullptr &&
        *option->val != '\0') {
      out.emplace_back(option->val);
    }
  }
  PQconninfoFree(options);
  return out;
}

TEST(RedactionCorpus, NoPasswordLibpqReadsNorTheOneMeantIsShownWhileTheRestStaysReadable) {
  const std::vector<Tricky> corpus = {
      {"postgresql://app:ZqA@ZqB/ZqC@db.example.com:5432/shop",
       {"ZqA", "ZqB", "ZqC"},
       {"postgresql://app:", "@db.example.com:5432/shop"}},
      {"postgresql://app:ZqA@ZqB@db:5432/shop", {"ZqA", "ZqB"}, {"app:", "@db:5432/shop"}},
      {"postgresql://app:ZqA/ZqB@db:5432/shop", {"ZqA", "ZqB"}, {"app:", "@db:5432/shop"}},
      {"postgresql://app:ZqA?ZqB@db:5432/shop?sslmode=require",
       {"ZqA", "ZqB"},
       {"app:", "@db:5432/shop?sslmode=require"}},
      {"postgresql://app:ZqA:ZqB@db/shop", {"ZqA", "ZqB"}, {"app:", "@db/shop"}},
      {"postgresql://app:ZqA%40ZqB%2FZqC@db:6432/shop",
       {"ZqA", "ZqB", "ZqC"},
       {"app:", "@db:6432/shop"}},
      {"postgresql://app:ZqSecret@[::1]:5432/shop", {"ZqSecret"}, {"app:", "@[::1]:5432/shop"}},
      {"postgresql://app:ZqSecret@h1:5432,h2:5433/shop?target_session_attrs=read-write",
       {"ZqSecret"},
       {"app:", "@h1:5432,h2:5433/shop?target_session_attrs=read-write"}},
      {"postgresql://myadmin@server:ZqSecret@db/shop", {"ZqSecret"}, {"myadmin", "@db/shop"}},
      {"postgresql://db:5432/shop?pass%77ord=ZqSecret&sslmode=require",
       {"ZqSecret"},
       {"db:5432/shop?", "&sslmode=require"}},
      {"postgresql://db/shop?%70%61%73%73%77%6F%72%64=ZqSecret", {"ZqSecret"}, {"db/shop?"}},
      {"postgresql://db/shop?sslpassword=ZqSecret&sslmode=verify-full",
       {"ZqSecret"},
       {"db/shop?", "&sslmode=verify-full"}},
      {"postgresql://app@db/shop?password=ZqA%26ZqB&application_name=tool",
       {"ZqA", "ZqB"},
       {"app@db/shop?", "&application_name=tool"}},
      {"postgresql://app@db/shop?password=ZqA&ZqB", {"ZqA", "ZqB"}, {"app@db/shop?"}},
      {"postgresql://app@db/shop?application_name=tool&password=ZqSecret",
       {"ZqSecret"},
       {"app@db/shop?application_name=tool&"}},
      {"postgresql://app:ZqSecret@db/shop?PASSWORD=ZqOther", {"ZqSecret", "ZqOther"}, {"app:"}},
      {"host=db port=5432 user=app password=ZqSecret dbname=shop",
       {"ZqSecret"},
       {"host=db port=5432 user=app ", " dbname=shop"}},
      {"host=db password='ZqA ZqB\\'s' dbname=shop", {"ZqA", "ZqB"}, {"host=db ", " dbname=shop"}},
      {"host=db password = ZqSecret dbname=shop", {"ZqSecret"}, {"host=db ", " dbname=shop"}},
      {"password=ZqA\\ ZqB host=db", {"ZqA", "ZqB"}, {" host=db"}},
      {"host=db sslpassword=ZqSecret sslkey=/etc/key",
       {"ZqSecret"},
       {"host=db", "sslkey=/etc/key"}},
      {"dbname=postgresql://app:ZqSecret@db/shop host=db",
       {"ZqSecret"},
       {"dbname=postgresql://app:", "@db/shop host=db"}},
      // SQLAlchemy URLs, as an application's DATABASE_URL holds them.
      {"postgresql+asyncpg://app:ZqSecret@db:5432/shop",
       {"ZqSecret"},
       {"postgresql+asyncpg://app:", "@db:5432/shop"}},
      {"postgresql+psycopg://app:ZqA@ZqB@db/shop?sslmode=require",
       {"ZqA", "ZqB"},
       {"postgresql+psycopg://app:", "@db/shop?sslmode=require"}},
      {"postgresql+psycopg2://app:ZqA%40ZqB@db/shop", {"ZqA", "ZqB"}, {"app:", "@db/shop"}},
      {"postgresql+psycopg2://app@db/shop?password=ZqSecret&application_name=web",
       {"ZqSecret"},
       {"app@db/shop?", "&application_name=web"}},
      {"postgresql+unknowndriver://app:ZqSecret@db/shop", {"ZqSecret"}, {"app:", "@db/shop"}},
      {"mysql+pymysql://app:ZqSecret@db/shop", {"ZqSecret"}, {"mysql+pymysql://app:", "@db/shop"}},
      {"sqlite+pysqlcipher://:ZqSecret@/shop.db", {"ZqSecret"}, {"sqlite+pysqlcipher://:"}},
  };
  int libpq_read = 0;
  for (const Tricky& c : corpus) {
    const std::string shown = base::redact_url(c.url);
    Strings secrets = libpq_secrets(c.url);
    libpq_read += secrets.empty() ? 0 : 1;
    secrets.insert(secrets.end(), c.meant.begin(), c.meant.end());
    for (const std::string& secret : secrets) {
      EXPECT_TRUE(lacks(shown, secret)) << "redacting " << c.url;
    }
    for (const std::string& part : c.kept) {
      EXPECT_TRUE(has(shown, part)) << "redacting " << c.url;
    }
    // What parsing says (the URL redacted, or the error that echoes it) hides them too.
    base::Result<base::DatabaseUrl, std::string> parsed = base::parse_database_url(c.url);
    const std::string said = parsed.ok() ? parsed->redacted() : parsed.error();
    if (parsed.ok()) {
      // What libpq reads from the URL retort gives it (a SQLAlchemy driver dropped).
      const Strings given = libpq_secrets(parsed->text);
      secrets.insert(secrets.end(), given.begin(), given.end());
    }
    for (const std::string& secret : secrets) {
      EXPECT_TRUE(lacks(said, secret)) << "parsing " << c.url;
    }
  }
  EXPECT_GE(libpq_read, 15) << "most of the corpus is what libpq reads a password from";
}

// ---- Through the binary ----

// The password role's URL for the project's database, with the password given as a
// percent-encoded parameter name, which libpq decodes and logs in with.
std::string encoded_name_url(Project& project) {
  const std::string database = project.query_rows("SELECT current_database()").at(0);
  return fmt::format("postgresql://{}@127.0.0.1:{}/{}?pass%77ord={}&application_name=tool",
                     PostgresServer::k_password_user, PostgresServer::instance().port(), database,
                     PostgresServer::k_password);
}

TEST(RedactionCli, CurrentVerboseJsonAndTimingsExportHideAPercentEncodedPasswordParameter) {
  Project project(Backend::postgres, "redact_outputs");
  project.add({"a1", {}, "CREATE TABLE items (id INTEGER);", "DROP TABLE items;", {}, "items"});
  const std::string url = encoded_name_url(project);
  write_config(project, "", url);
  const ProcessResult up = retort(project, {"upgrade", "head"});
  ASSERT_EQ(up.exit_code, 0) << shown(up);
  EXPECT_EQ(project.version_rows(), Strings{"a1"}) << "the password role logged in";

  const std::string password(PostgresServer::k_password);
  const std::string visible = fmt::format("@127.0.0.1:{}/", PostgresServer::instance().port());
  for (const Strings& args :
       {Strings{"current", "-v"}, Strings{"current", "--json"}, Strings{"current", "-v", "--json"},
        Strings{"timings", "export"}, Strings{"history", "--json"}, Strings{"upgrade", "head"}}) {
    const ProcessResult result = retort(project, args);
    EXPECT_EQ(result.exit_code, 0) << shown(result);
    EXPECT_TRUE(lacks(result.out + result.err, password)) << args.at(0) << " " << args.back();
  }
  const ProcessResult verbose = retort(project, {"current", "-v"});
  EXPECT_TRUE(has(verbose.out, "pass%77ord=***&application_name=tool")) << shown(verbose);
  EXPECT_TRUE(has(verbose.out, visible)) << shown(verbose);
  const ProcessResult exported = retort(project, {"timings", "export"});
  const nlohmann::json document = nlohmann::json::parse(exported.out);
  ASSERT_EQ(document["timings"].size(), 1U) << exported.out;
  EXPECT_TRUE(has(document["timings"][0].value("source", ""), "pass%77ord=***"));
}

TEST(RedactionCli, AnAsyncpgDatabaseUrlLogsInAsItIsAndNoOutputShowsItsPassword) {
  Project project(Backend::postgres, "redact_sqlalchemy");
  project.add({"a1", {}, "CREATE TABLE items (id INTEGER);", "DROP TABLE items;", {}, "items"});
  // The file's URL leads nowhere: DATABASE_URL comes first.
  write_config(project, "", "postgresql://nobody@127.0.0.1:1/none");
  const std::string database = project.query_rows("SELECT current_database()").at(0);
  const std::map<std::string, std::string> env = {
      {"DATABASE_URL",
       fmt::format("postgresql+asyncpg://{}:{}@127.0.0.1:{}/{}", PostgresServer::k_password_user,
                   PostgresServer::k_password, PostgresServer::instance().port(), database)}};

  const ProcessResult up = retort(project, {"upgrade", "head"}, env);
  ASSERT_EQ(up.exit_code, 0) << shown(up);
  EXPECT_EQ(project.version_rows(), Strings{"a1"}) << "the password role logged in";
  EXPECT_TRUE(has(up.err,
                  "note: the database URL from the environment variable DATABASE_URL names the "
                  "SQLAlchemy driver asyncpg; retort connects through libpq itself, so it reads "
                  "postgresql+asyncpg:// as postgresql://\n"));

  const std::string password(PostgresServer::k_password);
  for (const Strings& args : {Strings{"current", "-v"}, Strings{"current", "--json"},
                              Strings{"preflight", "--json"}, Strings{"history", "--json"}}) {
    const ProcessResult result = retort(project, args, env);
    EXPECT_EQ(result.exit_code, 0) << shown(result);
    EXPECT_TRUE(lacks(result.out + result.err, password)) << args.at(0) << " " << args.back();
    EXPECT_TRUE(has(result.err, "names the SQLAlchemy driver asyncpg")) << shown(result);
    if (args.back() == "--json") {
      EXPECT_TRUE(nlohmann::json::accept(result.out)) << "stdout is one document: " << result.out;
    }
  }
  const ProcessResult verbose = retort(project, {"current", "-v"}, env);
  EXPECT_TRUE(has(verbose.out, fmt::format("postgresql://{}:***@127.0.0.1:{}/{}",
                                           PostgresServer::k_password_user,
                                           PostgresServer::instance().port(), database)))
      << shown(verbose);
}

TEST(RedactionCli, TimingsImportStoresNoPasswordFromTheFile) {
  Project project(Backend::postgres, "redact_import");
  project.add({"a1", {}, "CREATE TABLE items (id INTEGER);", "", {}, "items"});
  write_config(project);
  // A file written by hand, or by a retort that did not redact this spelling.
  const std::filesystem::path file = project.dir() / "timings.json";
  std::ofstream(file) << R"({"retort_timings": 1, "timings": [{"revision": "a1",
      "direction": "upgrade", "checksum": "abc", "duration_ms": 1200,
      "source": "postgresql://stage:ZqA@ZqB@db/app?pass%77ord=ZqC&sslmode=require",
      "measured_at": "2024-05-01T10:00:00Z"}]})";
  const ProcessResult imported = retort(project, {"timings", "import", file.string()});
  ASSERT_EQ(imported.exit_code, 0) << shown(imported);
  const Strings stored = project.query_rows("SELECT source FROM retort_timings");
  ASSERT_EQ(stored.size(), 1U);
  for (const std::string secret : {"ZqA", "ZqB", "ZqC"}) {
    EXPECT_TRUE(lacks(stored[0], secret));
  }
  EXPECT_EQ(stored[0], "postgresql://stage:***@db/app?pass%77ord=***&sslmode=require");
}

TEST(RedactionCli, ARawAtSignInThePasswordIsAnInputErrorThatShowsNoneOfIt) {
  Project project(Backend::postgres, "redact_raw_at");
  project.add({"a1", {}, "CREATE TABLE items (id INTEGER);", "", {}, "items"});
  const std::string database = project.query_rows("SELECT current_database()").at(0);
  write_config(project, "",
               fmt::format("postgresql://app:ZqA@ZqB/ZqC@127.0.0.1:{}/{}",
                           PostgresServer::instance().port(), database));
  for (const Strings& args : {Strings{"current", "-v"}, Strings{"upgrade", "head"}}) {
    const ProcessResult result = retort(project, args);
    EXPECT_EQ(result.exit_code, 2) << shown(result);
    EXPECT_TRUE(has(result.err, "percent-encode '@', '/' and '?' in a password")) << shown(result);
    for (const std::string secret : {"ZqA", "ZqB", "ZqC"}) {
      EXPECT_TRUE(lacks(result.out + result.err, secret));
    }
  }
  EXPECT_TRUE(project.tables().empty()) << "nothing ran";
}

}  // namespace
}  // namespace retort::test
