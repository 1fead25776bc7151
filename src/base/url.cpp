// Parsing and redaction of database URLs.
#include "base/url.hpp"

#include "base/text.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

namespace retort::base {

namespace {

std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t pos = 0; pos < text.size(); ++pos) {
    if (text[pos] == '%' && pos + 2 < text.size() &&
        std::isxdigit(static_cast<unsigned char>(text[pos + 1])) != 0 &&
        std::isxdigit(static_cast<unsigned char>(text[pos + 2])) != 0) {
      out += static_cast<char>(std::stoi(std::string(text.substr(pos + 1, 2)), nullptr, 16));
      pos += 2;
    } else {
      out += text[pos];
    }
  }
  return out;
}

}  // namespace

namespace {

bool is_space(char ch) { return std::isspace(static_cast<unsigned char>(ch)) != 0; }

bool is_line_end(char ch) { return ch == '\n' || ch == '\r'; }

// A character of a parameter name as written: libpq's keywords are letters and '_', and a URL
// may percent-encode any of them ("pass%77ord").
bool is_name_char(char ch) {
  return std::isalnum(static_cast<unsigned char>(ch)) != 0 || ch == '_' || ch == '%' || ch == '-' ||
         ch == '.';
}

// Whether a parameter name, as libpq would read it (percent-decoded), names a secret:
// password, sslpassword. libpq matches keywords exactly; any case is hidden here, so that a
// spelling libpq refuses today is not shown either.
bool names_a_secret(std::string_view written) {
  std::string name = percent_decode(written);
  for (char& ch : name) {
    ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  return name.find("password") != std::string::npos;
}

// user:password@host -> user:***@host, for every "scheme://" in the text. libpq ends the user
// name at the first ':' or '@' and the password at the next '@'; a password pasted as it is may
// hold raw '@', '/', '?' or ':', which libpq then reads as host, port or database. So
// everything from the first ':' of the authority to the LAST '@' of the line is hidden: a raw
// '@' later in the database name or a query value hides more than needed, never less.
void redact_userinfo(std::string& out) {
  std::size_t search = 0;
  while ((search = out.find("://", search)) != std::string::npos) {
    const std::size_t authority = search + 3;
    std::size_t line_end = authority;
    while (line_end < out.size() && !is_line_end(out[line_end])) {
      ++line_end;
    }
    const std::size_t last_at = out.rfind('@', line_end == 0 ? 0 : line_end - 1);
    if (last_at == std::string::npos || last_at < authority) {
      search = authority;
      continue;
    }
    const std::size_t colon = out.find(':', authority);
    if (colon == std::string::npos || colon > last_at) {
      search = authority;
      continue;
    }
    out.replace(colon + 1, last_at - colon - 1, "***");
    search = colon + 4;
  }
}

// The end of a URL query value that starts at `value`: the next '&' that starts another
// name=value pair. An '&' followed by no '=' is read as part of the value (libpq would refuse
// it, but it is what the user meant as the password).
std::size_t query_value_end(std::string_view text, std::size_t value) {
  std::size_t pos = value;
  while (pos < text.size() && !is_line_end(text[pos])) {
    if (text[pos] == '&') {
      std::size_t name_end = pos + 1;
      while (name_end < text.size() && is_name_char(text[name_end])) {
        ++name_end;
      }
      if (name_end > pos + 1 && name_end < text.size() && text[name_end] == '=') {
        return pos;
      }
    }
    ++pos;
  }
  return pos;
}

// The end of a keyword=value conninfo value that starts at `value`, read as libpq does: a
// value in single quotes runs to the closing quote, a bare one to the next space; a backslash
// escapes the next character in both.
std::size_t conninfo_value_end(std::string_view text, std::size_t value) {
  std::size_t pos = value;
  if (pos < text.size() && text[pos] == '\'') {
    ++pos;
    while (pos < text.size() && text[pos] != '\'') {
      pos += text[pos] == '\\' ? std::size_t{2} : std::size_t{1};
    }
    return std::min(pos + 1, text.size());
  }
  while (pos < text.size() && !is_space(text[pos])) {
    pos += text[pos] == '\\' ? std::size_t{2} : std::size_t{1};
  }
  return std::min(pos, text.size());
}

// password=... as a URL query parameter (after '?' or '&', name percent-decoded) or as a
// keyword of a conninfo string (at the start or after a space, spaces allowed around '=').
void redact_parameters(std::string& out) {
  std::size_t pos = 0;
  while (pos < out.size()) {
    const bool query = pos > 0 && (out[pos - 1] == '?' || out[pos - 1] == '&');
    const bool keyword = pos == 0 || is_space(out[pos - 1]);
    if ((!query && !keyword) || !is_name_char(out[pos])) {
      ++pos;
      continue;
    }
    std::size_t name_end = pos;
    while (name_end < out.size() && is_name_char(out[name_end])) {
      ++name_end;
    }
    std::size_t eq = name_end;
    if (!query) {
      while (eq < out.size() && is_space(out[eq]) && !is_line_end(out[eq])) {
        ++eq;
      }
    }
    if (eq >= out.size() || out[eq] != '=' ||
        !names_a_secret(std::string_view(out).substr(pos, name_end - pos))) {
      pos = name_end;
      continue;
    }
    std::size_t value = eq + 1;
    if (!query) {
      while (value < out.size() && is_space(out[value]) && !is_line_end(out[value])) {
        ++value;
      }
    }
    const std::size_t end = query ? query_value_end(out, value) : conninfo_value_end(out, value);
    out.replace(value, end - value, "***");
    pos = value + 3;
  }
}

}  // namespace

std::string redact_url(std::string_view url) {
  std::string out(url);
  redact_userinfo(out);
  redact_parameters(out);
  return out;
}

std::string DatabaseUrl::redacted() const { return redact_url(text); }

namespace {

bool is_driver_char(char ch) {
  return std::isalnum(static_cast<unsigned char>(ch)) != 0 || ch == '_';
}

// SQLAlchemy's "dialect+driver://" (postgresql+asyncpg://, sqlite+aiosqlite:///), as an
// application's DATABASE_URL names it: the dialect's URL, and the driver it named. retort
// connects through libpq and sqlite3 itself, so any driver of a supported dialect is dropped;
// anything else is left as it is, for the unsupported-scheme error to name.
std::pair<std::string, std::string> without_driver(std::string_view url) {
  const std::size_t plus = url.find('+');
  const std::size_t scheme_end = url.find("://");
  if (plus == std::string_view::npos || scheme_end == std::string_view::npos || plus > scheme_end) {
    return {std::string(url), {}};
  }
  const std::string_view dialect = url.substr(0, plus);
  const std::string_view driver = url.substr(plus + 1, scheme_end - plus - 1);
  if ((dialect != "postgresql" && dialect != "postgres" && dialect != "sqlite") || driver.empty() ||
      !std::all_of(driver.begin(), driver.end(), is_driver_char)) {
    return {std::string(url), {}};
  }
  return {std::string(dialect) + std::string(url.substr(scheme_end)), std::string(driver)};
}

}  // namespace

Result<DatabaseUrl, std::string> parse_database_url(std::string_view given) {
  DatabaseUrl parsed;
  std::tie(parsed.text, parsed.driver) = without_driver(given);
  const std::string_view url = parsed.text;
  const std::string shown = redact_url(given);
  const std::string accepted =
      "use postgresql://user@host:5432/dbname or sqlite:///path/to/file.db";

  if (url.starts_with("sqlite:")) {
    parsed.dialect = Dialect::sqlite;
    // SQLAlchemy's in-memory database: "sqlite://", nothing after it.
    if (url == "sqlite://") {
      parsed.sqlite_path = ":memory:";
      return parsed;
    }
    if (!url.starts_with("sqlite:///")) {
      return fail(std::string("database URL '" + shown +
                              "' is not a SQLite URL: use sqlite:///app.db (three slashes)"));
    }
    parsed.sqlite_path = std::string(url.substr(10));
    if (parsed.sqlite_path.empty()) {
      return fail(std::string("database URL '" + shown +
                              "' names no file: use sqlite:///app.db (relative) or "
                              "sqlite:////var/lib/app.db (absolute)"));
    }
    return parsed;
  }

  std::string_view rest;
  if (url.starts_with("postgresql://")) {
    rest = url.substr(13);
  } else if (url.starts_with("postgres://")) {
    rest = url.substr(11);
  } else {
    if (url.empty()) {
      return fail(std::string("the database URL is empty: " + accepted));
    }
    const std::size_t colon = url.find(':');
    if (colon == std::string_view::npos) {
      return fail(std::string("database URL '" + shown + "' has no scheme: " + accepted));
    }
    const std::string scheme(url.substr(0, colon));
    const std::vector<std::string> dialects = {"postgresql", "postgres", "sqlite"};
    const std::optional<std::string> hint = nearest(scheme.substr(0, scheme.find('+')), dialects);
    return fail(std::string("database URL '" + shown + "' has an unsupported scheme '" + scheme +
                            "'" + (hint ? " (did you mean '" + *hint + "'?)" : std::string()) +
                            ": retort supports postgresql:// (or postgres://) and sqlite:///, "
                            "with or without a SQLAlchemy driver (postgresql+psycopg://, "
                            "sqlite+aiosqlite:///); " +
                            accepted));
  }
  parsed.dialect = Dialect::postgres;

  // [user[:password]@][host][:port][/dbname][?params]
  // libpq ends the password at the first '@' and the host at the first '/': a second raw '@',
  // or one in the database name, means a password pasted unencoded, which libpq would read
  // as part host, part database (and print in its errors). Refused before anything connects.
  const std::string_view before_query = rest.substr(0, rest.find('?'));
  const std::size_t first_at = before_query.find('@');
  const std::size_t first_slash = before_query.find('/');
  if (first_at != std::string_view::npos &&
      (before_query.find('@', first_at + 1) != std::string_view::npos ||
       (first_slash != std::string_view::npos && first_slash < first_at))) {
    return fail(std::string("database URL '" + shown +
                            "' has a raw '@' after its user name: percent-encode '@', '/' and "
                            "'?' in a password (%40, %2F, %3F) and '@' in a database name (%40)"));
  }
  std::string_view query;
  if (const std::size_t qmark = rest.find('?'); qmark != std::string_view::npos) {
    query = rest.substr(qmark + 1);
    rest = rest.substr(0, qmark);
  }
  std::string_view path;
  if (const std::size_t slash = rest.find('/'); slash != std::string_view::npos) {
    path = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
  }
  if (const std::size_t at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    if (const std::size_t colon = userinfo.find(':'); colon != std::string_view::npos) {
      parsed.password = percent_decode(userinfo.substr(colon + 1));
      userinfo = userinfo.substr(0, colon);
    }
    parsed.user = percent_decode(userinfo);
  }
  // Host may be a bracketed IPv6 literal.
  if (rest.starts_with("[")) {
    const std::size_t close = rest.find(']');
    if (close == std::string_view::npos) {
      return fail(std::string("database URL '" + shown + "' has an unclosed '[' in its host"));
    }
    parsed.host = std::string(rest.substr(1, close - 1));
    rest = rest.substr(close + 1);
    if (rest.starts_with(":")) {
      parsed.port = std::string(rest.substr(1));
    }
  } else if (const std::size_t colon = rest.rfind(':'); colon != std::string_view::npos) {
    parsed.host = percent_decode(rest.substr(0, colon));
    parsed.port = std::string(rest.substr(colon + 1));
  } else {
    parsed.host = percent_decode(rest);
  }
  for (const char digit : parsed.port) {
    if (std::isdigit(static_cast<unsigned char>(digit)) == 0) {
      // The port is not echoed on its own: with a raw '/' in a password, what this reads as
      // the port is part of the password. The redacted URL shows it when it is safe.
      return fail(std::string("database URL '" + shown +
                              "' has a port that is not a number (percent-encode '/', '?' and "
                              "'@' in a password)"));
    }
  }
  parsed.database = percent_decode(path);
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const std::size_t eq = pair.find('=');
    if (eq != std::string_view::npos) {
      parsed.params[percent_decode(pair.substr(0, eq))] = percent_decode(pair.substr(eq + 1));
    }
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
  }
  return parsed;
}

}  // namespace retort::base
