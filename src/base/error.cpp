// retort::Error: construction and the text a user reads.
#include "retort/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string_view>
#include <utility>

namespace retort {

Error::Error(ExitCode code, std::string what) : std::runtime_error(std::move(what)), m_code(code) {}

Error& Error::at(SourceLocation location) {
  where = std::move(location);
  return *this;
}

Error& Error::server(ServerMessage message) {
  server_message = std::move(message);
  return *this;
}

Error& Error::state(std::string database_state_now) {
  database_state = std::move(database_state_now);
  return *this;
}

Error& Error::next(std::string command) {
  next_command = std::move(command);
  return *this;
}

Error& Error::explain(std::string more) {
  explanation = std::move(more);
  return *this;
}

std::string format_error(const Error& error) {
  std::string out;
  if (error.where && !error.where->file.empty()) {
    out += error.where->file;
    if (error.where->line > 0) {
      out += fmt::format(":{}", error.where->line);
      if (error.where->column > 0) {
        out += fmt::format(":{}", error.where->column);
      }
    }
    out += ": ";
  }
  out += fmt::format("error: {}\n", error.what());
  if (error.server_message) {
    const ServerMessage& msg = *error.server_message;
    if (!msg.sqlstate.empty()) {
      out += fmt::format("  SQLSTATE {}: {}\n", msg.sqlstate, msg.message);
    } else if (!msg.message.empty() &&
               std::string_view(error.what()).find(msg.message) == std::string_view::npos) {
      out += fmt::format("  server: {}\n", msg.message);
    }
    if (!msg.detail.empty()) {
      out += fmt::format("  detail: {}\n", msg.detail);
    }
    if (!msg.hint.empty()) {
      out += fmt::format("  hint: {}\n", msg.hint);
    }
  }
  if (!error.explanation.empty()) {
    // Every line of a longer explanation indented alike, under the error it belongs to.
    std::size_t begin = 0;
    while (begin <= error.explanation.size()) {
      const std::size_t end =
          std::min(error.explanation.find('\n', begin), error.explanation.size());
      out += fmt::format("  {}\n", std::string_view(error.explanation).substr(begin, end - begin));
      begin = end + 1;
    }
  }
  if (!error.database_state.empty()) {
    out += fmt::format("  database: {}\n", error.database_state);
  }
  if (!error.next_command.empty()) {
    out += fmt::format("  next: {}\n", error.next_command);
  }
  return out;
}

}  // namespace retort
