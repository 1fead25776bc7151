// Running one hook: fork, /bin/sh -c, a JSON document on stdin from a temporary file (so a hook
// that does not read it cannot block retort), output captured through a pipe, a deadline.
#include "ops/notify/hooks.hpp"

#include "base/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;  // NOLINT: POSIX

namespace retort::ops::notify {

namespace {

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned>(static_cast<unsigned char>(c)));
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

// The last few lines of a hook's output, for the problem it reports.
std::string tail_of(const std::string& output) {
  constexpr std::size_t k_lines = 3;
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < output.size()) {
    const std::size_t end = std::min(output.find('\n', start), output.size());
    if (end > start) {
      lines.push_back(output.substr(start, end - start));
    }
    start = end + 1;
  }
  if (lines.size() > k_lines) {
    lines.erase(lines.begin(), lines.end() - static_cast<std::ptrdiff_t>(k_lines));
  }
  return lines.empty() ? std::string() : ": " + base::join(lines, " | ");
}

}  // namespace

std::string to_json(const Event& event) {
  std::string out = "{\"event\":";
  append_json_string(out, event.name);
  for (const EventField& field : event.fields) {
    out += ',';
    append_json_string(out, field.key);
    out += ':';
    if (const auto* text = std::get_if<std::string>(&field.value)) {
      append_json_string(out, *text);
    } else if (const auto* number = std::get_if<std::int64_t>(&field.value)) {
      out += std::to_string(*number);
    } else if (const auto* flag = std::get_if<bool>(&field.value)) {
      out += *flag ? "true" : "false";
    } else {
      out += '[';
      const auto& items = std::get<std::vector<std::string>>(field.value);
      for (std::size_t item_idx = 0; item_idx < items.size(); ++item_idx) {
        out += item_idx == 0 ? "" : ",";
        append_json_string(out, items[item_idx]);
      }
      out += ']';
    }
  }
  out += '}';
  return out;
}

std::vector<std::string> to_environment(const Event& event) {
  std::vector<std::string> out{"RETORT_EVENT=" + event.name};
  for (const EventField& field : event.fields) {
    std::string name = "RETORT_EVENT_";
    for (const char c : field.key) {
      name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    std::string value;
    if (const auto* text = std::get_if<std::string>(&field.value)) {
      value = *text;
    } else if (const auto* number = std::get_if<std::int64_t>(&field.value)) {
      value = std::to_string(*number);
    } else if (const auto* flag = std::get_if<bool>(&field.value)) {
      value = *flag ? "true" : "false";
    } else {
      value = base::join(std::get<std::vector<std::string>>(field.value), " ");
    }
    out.push_back(name + "=" + value);
  }
  return out;
}

HookOutcome run_hook(const std::string& command, const Event& event, base::Millis timeout) {
  // Everything the child needs is built before fork: after it, only async-signal-safe calls.
  std::vector<std::string> variables = to_environment(event);
  std::vector<char*> envp;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    if (std::strncmp(*entry, "RETORT_EVENT", 12) != 0) {
      envp.push_back(*entry);
    }
  }
  for (std::string& variable : variables) {
    envp.push_back(variable.data());
  }
  envp.push_back(nullptr);
  std::string shell = "/bin/sh";
  std::string dash_c = "-c";
  std::string script = command;
  std::array<char*, 4> argv{shell.data(), dash_c.data(), script.data(), nullptr};

  std::FILE* input = std::tmpfile();
  if (input == nullptr) {
    return {false, fmt::format("could not start: a temporary file: {}", std::strerror(errno))};
  }
  const std::string document = to_json(event) + "\n";
  (void)std::fwrite(document.data(), 1, document.size(), input);
  (void)std::fflush(input);
  (void)std::fseek(input, 0, SEEK_SET);
  std::array<int, 2> pipe_fds{-1, -1};
  if (::pipe2(pipe_fds.data(), O_CLOEXEC) != 0) {
    (void)std::fclose(input);
    return {false, fmt::format("could not start: a pipe: {}", std::strerror(errno))};
  }
  const int input_fd = ::fileno(input);
  const pid_t pid = ::fork();
  if (pid < 0) {
    (void)std::fclose(input);
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    return {false, fmt::format("could not start: fork: {}", std::strerror(errno))};
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    ::dup2(input_fd, STDIN_FILENO);
    ::dup2(pipe_fds[1], STDOUT_FILENO);
    ::dup2(pipe_fds[1], STDERR_FILENO);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also here, so that a kill before the child ran reaches its group
  ::close(pipe_fds[1]);
  (void)std::fclose(input);

  std::string output;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool open = true;
  int status = 0;
  bool timed_out = false;
  for (;;) {
    if (open) {
      pollfd watch{pipe_fds[0], POLLIN, 0};
      if (::poll(&watch, 1, 50) > 0) {
        std::array<char, 4096> buffer{};
        const ssize_t got = ::read(pipe_fds[0], buffer.data(), buffer.size());
        if (got > 0) {
          output.append(buffer.data(), static_cast<std::size_t>(got));
          constexpr std::size_t k_keep = 16384;
          if (output.size() > k_keep) {
            output.erase(0, output.size() - k_keep);
          }
        } else if (got == 0) {
          open = false;
        }
      }
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(-pid, SIGKILL);
      (void)::waitpid(pid, &status, 0);
      timed_out = true;
      break;
    }
  }
  // What the hook printed last, without waiting for what it left running in the background.
  pollfd rest{pipe_fds[0], POLLIN, 0};
  while (open && ::poll(&rest, 1, 0) > 0) {
    std::array<char, 4096> buffer{};
    const ssize_t got = ::read(pipe_fds[0], buffer.data(), buffer.size());
    if (got <= 0) {
      break;
    }
    output.append(buffer.data(), static_cast<std::size_t>(got));
  }
  ::close(pipe_fds[0]);
  if (timed_out) {
    return {false,
            fmt::format("timed out after {}{}", base::format_duration(timeout), tail_of(output))};
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    return {true, {}};
  }
  if (WIFEXITED(status)) {
    return {false, fmt::format("exit status {}{}", WEXITSTATUS(status), tail_of(output))};
  }
  return {false, fmt::format("killed by signal {}{}", WTERMSIG(status), tail_of(output))};
}

}  // namespace retort::ops::notify
