// Tests of database URL parsing and password redaction.
#include "base/url.hpp"

#include <gtest/gtest.h>

#include <string>

namespace retort::base {
namespace {

DatabaseUrl parsed(const std::string& url) {
  Result<DatabaseUrl, std::string> result = parse_database_url(url);
  EXPECT_TRUE(result.ok()) << url << ": " << (result.ok() ? "" : result.error());
  return result.ok() ? std::move(result).value() : DatabaseUrl{};
}

std::string failure(const std::string& url) {
  Result<DatabaseUrl, std::string> result = parse_database_url(url);
  EXPECT_FALSE(result.ok()) << url << " should be rejected";
  return result.ok() ? std::string() : result.error();
}

TEST(ParseDatabaseUrl, ReadsEveryPartOfAPostgresqlUrl) {
  const DatabaseUrl url =
      parsed("postgresql://alice:s3cret@db.example.com:5433/app?sslmode=require&connect_timeout=5");
  EXPECT_EQ(url.dialect, Dialect::postgres);
  EXPECT_EQ(url.user, "alice");
  EXPECT_EQ(url.password, "s3cret");
  EXPECT_EQ(url.host, "db.example.com");
  EXPECT_EQ(url.port, "5433");
  EXPECT_EQ(url.database, "app");
  EXPECT_EQ(url.params.at("sslmode"), "require");
  EXPECT_EQ(url.params.at("connect_timeout"), "5");
  EXPECT_TRUE(url.sqlite_path.empty());
}

TEST(ParseDatabaseUrl, AcceptsThePostgresShortScheme) {
  const DatabaseUrl url = parsed("postgres://db/app");
  EXPECT_EQ(url.dialect, Dialect::postgres);
  EXPECT_EQ(url.host, "db");
  EXPECT_EQ(url.database, "app");
  EXPECT_EQ(url.user, "");
  EXPECT_EQ(url.port, "");
}

TEST(ParseDatabaseUrl, LeavesOutWhatLibpqDefaults) {
  const DatabaseUrl url = parsed("postgresql://");
  EXPECT_EQ(url.dialect, Dialect::postgres);
  EXPECT_EQ(url.host, "");
  EXPECT_EQ(url.database, "");
}

TEST(ParseDatabaseUrl, ReadsABracketedIpv6Host) {
  const DatabaseUrl url = parsed("postgresql://bob:pw@[::1]:6543/app");
  EXPECT_EQ(url.host, "::1");
  EXPECT_EQ(url.port, "6543");
  EXPECT_EQ(url.user, "bob");
  EXPECT_EQ(url.password, "pw");
  EXPECT_EQ(url.database, "app");
  EXPECT_EQ(url.redacted(), "postgresql://bob:***@[::1]:6543/app");

  const DatabaseUrl no_port = parsed("postgresql://[2001:db8::7]/app");
  EXPECT_EQ(no_port.host, "2001:db8::7");
  EXPECT_EQ(no_port.port, "");
}

TEST(ParseDatabaseUrl, DecodesAPercentEncodedPassword) {
  const DatabaseUrl url = parsed("postgresql://app%20user:p%40ss%3Aw%2Fd@db/my%2Ddb");
  EXPECT_EQ(url.user, "app user");
  EXPECT_EQ(url.password, "p@ss:w/d");
  EXPECT_EQ(url.database, "my-db");
  EXPECT_EQ(url.redacted(), "postgresql://app%20user:***@db/my%2Ddb");
}

TEST(ParseDatabaseUrl, ReadsSqlitePaths) {
  EXPECT_EQ(parsed("sqlite:///rel.db").sqlite_path, "rel.db");
  EXPECT_EQ(parsed("sqlite:///data/rel.db").sqlite_path, "data/rel.db");
  EXPECT_EQ(parsed("sqlite:////abs.db").sqlite_path, "/abs.db");
  EXPECT_EQ(parsed("sqlite:////var/lib/app/app.db").sqlite_path, "/var/lib/app/app.db");
  EXPECT_EQ(parsed("sqlite:///:memory:").sqlite_path, ":memory:");
  EXPECT_EQ(parsed("sqlite:///rel.db").dialect, Dialect::sqlite);
}

TEST(ParseDatabaseUrl, DropsTheSqlalchemyDriverOfASupportedDialect) {
  struct Case {
    std::string given;
    std::string text;
    std::string driver;
  };
  const Case cases[] = {
      {"postgresql+asyncpg://app:s3cret@db:5432/shop", "postgresql://app:s3cret@db:5432/shop",
       "asyncpg"},
      {"postgresql+psycopg://app@db/shop?sslmode=require",
       "postgresql://app@db/shop?sslmode=require", "psycopg"},
      {"postgresql+psycopg2://app@db/shop", "postgresql://app@db/shop", "psycopg2"},
      {"postgres+pg8000://app@db/shop", "postgres://app@db/shop", "pg8000"},
      // Whatever the driver: retort connects through libpq itself.
      {"postgresql+unknowndriver://app@db/shop", "postgresql://app@db/shop", "unknowndriver"},
      {"postgresql://app@db/shop", "postgresql://app@db/shop", ""},
  };
  for (const Case& c : cases) {
    const DatabaseUrl url = parsed(c.given);
    EXPECT_EQ(url.dialect, Dialect::postgres) << c.given;
    EXPECT_EQ(url.text, c.text) << c.given;
    EXPECT_EQ(url.driver, c.driver) << c.given;
    EXPECT_EQ(url.host, "db") << c.given;
    EXPECT_EQ(url.database, "shop") << c.given;
  }
  EXPECT_EQ(parsed("postgresql+asyncpg://app:s3cret@db/shop").password, "s3cret");
  EXPECT_EQ(parsed("postgresql+asyncpg://app:s3cret@db/shop").redacted(),
            "postgresql://app:***@db/shop");
}

TEST(ParseDatabaseUrl, KeepsTheMeaningOfSqlalchemysSqliteForms) {
  EXPECT_EQ(parsed("sqlite+aiosqlite:///rel.db").sqlite_path, "rel.db");
  EXPECT_EQ(parsed("sqlite+aiosqlite:///rel.db").text, "sqlite:///rel.db");
  EXPECT_EQ(parsed("sqlite+aiosqlite:///rel.db").driver, "aiosqlite");
  EXPECT_EQ(parsed("sqlite+pysqlite:////var/lib/app.db").sqlite_path, "/var/lib/app.db");
  EXPECT_EQ(parsed("sqlite+pysqlite:////var/lib/app.db").driver, "pysqlite");
  // sqlite:// with nothing after it is SQLAlchemy's in-memory database.
  EXPECT_EQ(parsed("sqlite://").sqlite_path, ":memory:");
  EXPECT_EQ(parsed("sqlite://").dialect, Dialect::sqlite);
  EXPECT_EQ(parsed("sqlite+pysqlite://").sqlite_path, ":memory:");
  EXPECT_EQ(parsed("sqlite+aiosqlite:///:memory:").sqlite_path, ":memory:");
}

struct Rejected {
  std::string url;
  std::string message;
};

TEST(ParseDatabaseUrl, RejectsWithASentenceSayingWhatIsAccepted) {
  const std::string k_supported =
      "retort supports postgresql:// (or postgres://) and sqlite:///, with or without a "
      "SQLAlchemy driver (postgresql+psycopg://, sqlite+aiosqlite:///); use "
      "postgresql://user@host:5432/dbname or sqlite:///path/to/file.db";
  const Rejected cases[] = {
      {"mysql://root:hunter2@db/app",
       "database URL 'mysql://root:***@db/app' has an unsupported scheme 'mysql': " + k_supported},
      {"mysql+pymysql://root:hunter2@db/app",
       "database URL 'mysql+pymysql://root:***@db/app' has an unsupported scheme "
       "'mysql+pymysql': " +
           k_supported},
      {"postgressql://app@db/shop",
       "database URL 'postgressql://app@db/shop' has an unsupported scheme 'postgressql' (did "
       "you mean 'postgresql'?): " +
           k_supported},
      {"postgresql+://app@db/shop",
       "database URL 'postgresql+://app@db/shop' has an unsupported scheme 'postgresql+' (did "
       "you mean 'postgresql'?): " +
           k_supported},
      {"sqlite+aiosqlite://app.db",
       "database URL 'sqlite+aiosqlite://app.db' is not a SQLite URL: use sqlite:///app.db "
       "(three slashes)"},
      {"app.db",
       "database URL 'app.db' has no scheme: use "
       "postgresql://user@host:5432/dbname or sqlite:///path/to/file.db"},
      {"",
       "the database URL is empty: use postgresql://user@host:5432/dbname or "
       "sqlite:///path/to/file.db"},
      {"sqlite://app.db",
       "database URL 'sqlite://app.db' is not a SQLite URL: use sqlite:///app.db (three slashes)"},
      {"sqlite:///",
       "database URL 'sqlite:///' names no file: use sqlite:///app.db (relative) or "
       "sqlite:////var/lib/app.db (absolute)"},
      {"postgresql://u:hunter2@db:54x2/app",
       "database URL 'postgresql://u:***@db:54x2/app' has a port that is not a number "
       "(percent-encode '/', '?' and '@' in a password)"},
      {"postgresql://u:hunter2@[::1:5432/app",
       "database URL 'postgresql://u:***@[::1:5432/app' has an unclosed '[' in its host"},
  };
  for (const Rejected& c : cases) {
    EXPECT_EQ(failure(c.url), c.message);
  }
}

TEST(RedactUrl, ReplacesThePasswordWithStars) {
  EXPECT_EQ(redact_url("postgresql://alice:s3cret@db:5432/app"),
            "postgresql://alice:***@db:5432/app");
  EXPECT_EQ(redact_url("postgresql://db/app?password=s3cret&sslmode=require"),
            "postgresql://db/app?password=***&sslmode=require");
  EXPECT_EQ(redact_url("postgresql://db/app?sslmode=require&password=s3cret"),
            "postgresql://db/app?sslmode=require&password=***");
  EXPECT_EQ(redact_url("host=db user=alice password=s3cret dbname=app"),
            "host=db user=alice password=*** dbname=app");
}

TEST(RedactUrl, LeavesUrlsWithoutAPasswordAlone) {
  for (const std::string url :
       {"postgresql://alice@db:5432/app", "postgresql://db/app?sslmode=require", "sqlite:///app.db",
        "sqlite:////var/lib/app.db", "postgresql://[::1]:5432/app", "not a url"}) {
    EXPECT_EQ(redact_url(url), url);
  }
}

TEST(RedactUrl, HidesAPasswordHoldingARawAtSignOrSlash) {
  // libpq wants '@' and '/' percent-encoded, but people paste passwords as they are; libpq
  // then reads part of the password as host or database. Everything from the user name's ':'
  // to the last '@' is hidden.
  EXPECT_EQ(redact_url("postgresql://alice:p@ss@db/app"), "postgresql://alice:***@db/app");
  EXPECT_EQ(redact_url("postgresql://app:Xy@Secret/Part2@host/db"), "postgresql://app:***@host/db");
  EXPECT_EQ(redact_url("postgresql://app:Xy?Sec@host/db?sslmode=require"),
            "postgresql://app:***@host/db?sslmode=require");
  EXPECT_EQ(redact_url("postgresql://myadmin@myserver:Pw@host/db"),
            "postgresql://myadmin@myserver:***@host/db");
}

TEST(ParseDatabaseUrl, RefusesARawAtSignAfterTheUserNameWithTheFix) {
  const std::string fix =
      "' has a raw '@' after its user name: percent-encode '@', '/' and '?' in a password (%40, "
      "%2F, %3F) and '@' in a database name (%40)";
  EXPECT_EQ(failure("postgresql://alice:p@ss@db/app"),
            "database URL 'postgresql://alice:***@db/app" + fix);
  EXPECT_EQ(failure("postgresql://app:Xy@Secret/Part2@host/db"),
            "database URL 'postgresql://app:***@host/db" + fix);
  EXPECT_EQ(failure("postgresql://app:12/x@host/db"),
            "database URL 'postgresql://app:***@host/db" + fix);
  EXPECT_EQ(parsed("postgresql://app:p%40ss%2F1@host/db?application_name=a@b").password, "p@ss/1");
}

TEST(RedactUrl, HidesPasswordParametersInEverySpellingLibpqReads) {
  EXPECT_EQ(redact_url("postgresql://db/app?pass%77ord=s3cret&sslmode=require"),
            "postgresql://db/app?pass%77ord=***&sslmode=require");
  EXPECT_EQ(redact_url("postgresql://db/app?%70%61%73%73%77%6f%72%64=s3cret"),
            "postgresql://db/app?%70%61%73%73%77%6f%72%64=***");
  EXPECT_EQ(redact_url("postgresql://db/app?sslpassword=s3cret&sslmode=verify-full"),
            "postgresql://db/app?sslpassword=***&sslmode=verify-full");
  EXPECT_EQ(redact_url("postgresql://db/app?PASSWORD=s3cret"), "postgresql://db/app?PASSWORD=***");
  // A raw '&' followed by no '=' is still the password as the user meant it.
  EXPECT_EQ(redact_url("postgresql://db/app?password=a&b&sslmode=require"),
            "postgresql://db/app?password=***&sslmode=require");
}

TEST(RedactUrl, HidesConninfoPasswordsQuotedOrSpacedAsLibpqReadsThem) {
  EXPECT_EQ(redact_url("host=db password = s3cret dbname=app"),
            "host=db password = *** dbname=app");
  EXPECT_EQ(redact_url("host=db password='s3 cr\\'et' dbname=app"),
            "host=db password=*** dbname=app");
  EXPECT_EQ(redact_url("password=s3\\ cret host=db"), "password=*** host=db");
  EXPECT_EQ(redact_url("host=db dbname=postgresql://u:s3cret@h/app"),
            "host=db dbname=postgresql://u:***@h/app");
}

TEST(RedactUrl, NeverShowsThePasswordOfAnyAcceptedOrRejectedUrl) {
  const std::string secret = "Zq9secretZq9";
  const std::string urls[] = {
      "postgresql://alice:" + secret + "@db:5432/app",
      "postgres://alice:" + secret + "@db/app?sslmode=require",
      "postgresql://alice:" + secret + "@[::1]:5432/app",
      "postgresql://db/app?password=" + secret,
      "postgresql://db/app?sslmode=require&password=" + secret + "&application_name=x",
      "postgresql://alice:" + secret + "@db:notaport/app",
      "postgresql://alice:" + secret + "@[::1/app",
      "mysql://alice:" + secret + "@db/app",
      "postgresql://alice:" + secret + "@with@at@db/app",
      "postgresql://alice:pre@" + secret + "@db/app",
      "postgresql://alice:" + secret + "/x@db/app",
      "postgresql://alice:" + secret + "?x@db/app",
      "postgresql://alice:" + secret + "@db/app@x",
      "postgresql://db/app?pass%77ord=" + secret,
      "postgresql://db/app?sslpassword=" + secret,
      "postgresql://myadmin@server:" + secret + "@db/app",
      "host=db password='" + secret + " two' dbname=app",
      "postgresql+asyncpg://alice:" + secret + "@db/app",
      "postgresql+psycopg://alice:" + secret + "@db/app?sslmode=require",
      "postgresql+psycopg2://alice:" + secret + "@with@at@db/app",
      "postgresql+psycopg2://db/app?password=" + secret,
      "postgres+pg8000://alice:" + secret + "@db:notaport/app",
      "mysql+pymysql://alice:" + secret + "@db/app",
      "sqlite+pysqlcipher://:" + secret + "@/app.db",
      "sqlite+aiosqlite://alice:" + secret + "@db/app.db",
  };
  for (const std::string& url : urls) {
    EXPECT_EQ(redact_url(url).find(secret), std::string::npos) << redact_url(url);
    Result<DatabaseUrl, std::string> result = parse_database_url(url);
    if (result.ok()) {
      EXPECT_EQ(result->redacted().find(secret), std::string::npos) << result->redacted();
    } else {
      EXPECT_EQ(result.error().find(secret), std::string::npos) << result.error();
    }
  }
}

}  // namespace
}  // namespace retort::base
