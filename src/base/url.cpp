// Parsing and redaction of database URLs.
#include "base/url.hpp"

#include "base/text.hpp"

#include <cctype>

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

std::string redact_url(std::string_view url) {
  std::string out(url);
  // user:password@host -> user:***@host (only within the authority, before any '/', '?').
  const std::size_t scheme_end = out.find("://");
  if (scheme_end != std::string::npos) {
    const std::size_t authority = scheme_end + 3;
    // A pasted password may hold a raw '@', '/' or '?'. The parser takes the last '@' before
    // the path as the end of the password, so redaction does too; hiding a few characters too
    // many beats showing part of a password.
    const std::size_t first_at = out.find('@', authority);
    if (first_at != std::string::npos) {
      const std::size_t path = out.find('/', first_at);
      const std::size_t at = out.rfind('@', path);
      const std::size_t colon = out.find(':', authority);
      if (colon != std::string::npos && colon < at) {
        out.replace(colon + 1, at - colon - 1, "***");
      }
    }
  }
  // password=secret in the query string or a keyword/value connection string.
  std::size_t search = 0;
  while ((search = out.find("password=", search)) != std::string::npos) {
    const std::size_t value = search + 9;
    std::size_t end = out.find_first_of("& ", value);
    if (end == std::string::npos) {
      end = out.size();
    }
    out.replace(value, end - value, "***");
    search = value + 3;
  }
  return out;
}

std::string DatabaseUrl::redacted() const { return redact_url(text); }

Result<DatabaseUrl, std::string> parse_database_url(std::string_view url) {
  DatabaseUrl parsed;
  parsed.text = std::string(url);
  const std::string shown = redact_url(url);
  const std::string accepted =
      "use postgresql://user@host:5432/dbname or sqlite:///path/to/file.db";

  if (url.starts_with("sqlite:")) {
    parsed.scheme = UrlScheme::sqlite;
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
    return fail(std::string("database URL '" + shown + "' has an unsupported scheme '" + scheme +
                            "': " + accepted));
  }
  parsed.scheme = UrlScheme::postgres;

  // [user[:password]@][host][:port][/dbname][?params]
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
