// retort._native: the Python module's thin C++ side over libretort's public API (include/retort/
// only, like the CLI). Each command releases the GIL while libretort works and returns plain
// dicts and lists, which retort/ (pure Python) turns into typed result objects and exceptions.
// Nothing here writes to stdout or stderr, and nothing is kept between calls but the lock that
// keeps libretort's runs one at a time in a process (its documented rule, commands.hpp).
#include "retort/retort.hpp"

#include <chrono>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <future>
#include <mutex>
#include <optional>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace py = pybind11;

namespace {

// ---- Results as dicts ----

// Declared first: to_list finds each of them.
py::dict to_dict(const retort::LedgerEntry& entry);
py::dict to_dict(const retort::RevisionInfo& info);
py::dict to_dict(const retort::StepResult& step);
py::dict to_dict(const retort::LintFinding& finding);
py::dict to_dict(const retort::PreflightCheck& check);
py::dict to_dict(const retort::PreflightStep& step);

py::dict to_dict(const retort::LedgerEntry& entry) {
  py::dict out;
  out["id"] = entry.id;
  out["revision"] = entry.revision;
  out["direction"] = std::string(retort::to_string(entry.direction));
  out["status"] = std::string(retort::to_string(entry.status));
  out["statements_done"] = entry.statements_done;
  out["statements_total"] = entry.statements_total;
  out["started_at"] = entry.started_at;
  out["finished_at"] = entry.finished_at;
  out["duration_ms"] = entry.duration_ms;
  out["error"] = entry.error;
  out["reason"] = entry.reason;
  out["next_command"] = entry.next_command;
  return out;
}

py::dict to_dict(const retort::RevisionInfo& info) {
  py::dict out;
  out["revision"] = info.revision;
  out["down_revisions"] = info.down_revisions;
  out["depends_on"] = info.depends_on;
  out["branch_labels"] = info.branch_labels;
  out["message"] = info.message;
  out["path"] = info.path;
  out["is_head"] = info.is_head;
  out["is_base"] = info.is_base;
  out["is_branch_point"] = info.is_branch_point;
  out["is_merge_point"] = info.is_merge_point;
  out["is_current"] = info.is_current;
  out["transactional"] = info.transactional;
  out["has_downgrade"] = info.has_downgrade;
  out["estimate_ms"] = info.estimate_ms;
  out["last_run"] = info.last_run ? py::object(to_dict(*info.last_run)) : py::object(py::none());
  return out;
}

template <typename T>
py::list to_list(const std::vector<T>& items) {
  py::list out;
  for (const T& item : items) {
    out.append(to_dict(item));
  }
  return out;
}

py::dict to_dict(const retort::StepResult& step) {
  py::dict out;
  out["revision"] = step.revision;
  out["message"] = step.message;
  out["direction"] = std::string(retort::to_string(step.direction));
  out["status"] = std::string(retort::to_string(step.status));
  out["statements_done"] = step.statements_done;
  out["statements_total"] = step.statements_total;
  out["duration_ms"] = step.duration_ms;
  out["heads_after"] = step.heads_after;
  out["backup"] = step.backup;
  return out;
}

py::dict to_dict(const retort::RunResult& run, const std::string& sql) {
  py::dict out;
  out["database"] = run.database;
  out["target"] = run.target;
  out["heads_before"] = run.heads_before;
  out["heads_after"] = run.heads_after;
  out["steps"] = to_list(run.steps);
  out["duration_ms"] = run.duration_ms;
  out["sql"] = sql;
  return out;
}

py::dict to_dict(const retort::CurrentResult& current) {
  py::dict out;
  out["database"] = current.database;
  out["heads"] = to_list(current.heads);
  out["unknown"] = current.unknown;
  out["ahead"] = current.ahead;
  out["ahead_next"] = current.ahead_next;
  out["unfinished"] = to_list(current.unfinished);
  out["up_to_date"] = current.up_to_date;
  out["pending"] = current.pending;
  return out;
}

py::dict to_dict(const retort::CheckResult& check) {
  py::dict out;
  out["ok"] = check.ok;
  out["findings"] = check.findings;
  py::list schema;
  if (check.schema) {
    for (const retort::SchemaChange& change : check.schema->changes) {
      schema.append(change.line);
    }
  }
  out["schema_changes"] = schema;
  return out;
}

py::dict to_dict(const retort::LintFinding& finding) {
  py::dict out;
  out["code"] = finding.code;
  out["name"] = finding.name;
  out["level"] = std::string(retort::to_string(finding.level));
  out["revision"] = finding.revision;
  out["file"] = finding.file;
  out["line"] = finding.line;
  out["column"] = finding.column;
  out["statement"] = finding.statement;
  out["message"] = finding.message;
  out["why"] = finding.why;
  out["fix"] = finding.fix;
  out["ignored"] = finding.ignored;
  out["evidence"] = finding.evidence;
  return out;
}

py::dict to_dict(const retort::LintResult& lint) {
  py::dict out;
  out["findings"] = to_list(lint.findings);
  out["unused_ignores"] = lint.unused_ignores;
  out["revisions"] = lint.revisions;
  out["statements"] = lint.statements;
  out["server_version"] = lint.server_version;
  out["skipped"] = lint.skipped;
  out["schema_notes"] = lint.schema_notes;
  out["errors"] = lint.errors;
  out["warnings"] = lint.warnings;
  out["notes"] = lint.notes;
  out["ok"] = lint.ok;
  return out;
}

py::dict to_dict(const retort::PreflightCheck& check) {
  py::dict out;
  out["code"] = check.code;
  out["status"] = std::string(retort::to_string(check.status));
  out["message"] = check.message;
  out["fix"] = check.fix;
  return out;
}

py::dict to_dict(const retort::PreflightStep& step) {
  py::dict out;
  out["revision"] = step.revision;
  out["message"] = step.message;
  out["transactional"] = step.transactional;
  out["estimate_ms"] = step.estimate_ms;
  out["estimate_source"] = std::string(retort::to_string(step.estimate_source));
  return out;
}

py::dict to_dict(const retort::PreflightResult& preflight) {
  py::dict out;
  out["database"] = preflight.database;
  out["target"] = preflight.target;
  out["steps"] = to_list(preflight.steps);
  out["checks"] = to_list(preflight.checks);
  out["ok"] = preflight.ok;
  return out;
}

// ---- Errors ----

// retort::Error as the Python exception retort.errors builds from its fields.
void raise_error(const retort::Error& error) {
  py::dict fields;
  fields["exit_code"] = static_cast<int>(error.code());
  fields["message"] = std::string(error.what());
  fields["text"] = retort::format_error(error);
  if (error.where) {
    fields["file"] = error.where->file;
    fields["line"] = error.where->line;
  }
  if (error.server_message) {
    fields["sqlstate"] = error.server_message->sqlstate;
    fields["server_message"] = error.server_message->message;
    fields["detail"] = error.server_message->detail;
    fields["hint"] = error.server_message->hint;
  }
  fields["database_state"] = error.database_state;
  fields["next_command"] = error.next_command;
  fields["explanation"] = error.explanation;
  const py::object exception = py::module_::import("retort.errors").attr("_from_native")(fields);
  PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(exception.ptr())), exception.ptr());
}

// ---- Running a command ----

// libretort runs one upgrade, downgrade or stamp at a time in a process (cancel() stops "the
// one that runs"): the others wait for this lock, without the GIL.
std::mutex& run_mutex() {
  static std::mutex mutex;
  return mutex;
}

// Calls fn without the GIL. Commands libretort can cancel (cancellable) run on a worker thread
// while this one polls for signals every 100 ms: on Ctrl-C, cancel() rolls the running
// migration back, the command's own error is dropped and KeyboardInterrupt is raised.
template <typename Fn>
auto call(Fn&& fn, bool cancellable = false) -> decltype(fn()) {
  if (!cancellable) {
    const py::gil_scoped_release release;
    return fn();
  }
  std::unique_lock<std::mutex> lock(run_mutex(), std::defer_lock);
  {
    const py::gil_scoped_release release;
    lock.lock();
  }
  auto future = std::async(std::launch::async, std::forward<Fn>(fn));
  while (true) {
    {
      const py::gil_scoped_release release;
      if (future.wait_for(std::chrono::milliseconds(100)) == std::future_status::ready) {
        break;
      }
    }
    if (PyErr_CheckSignals() != 0) {
      const py::error_already_set interrupted;  // KeyboardInterrupt, or a handler's exception
      {
        const py::gil_scoped_release release;
        (void)retort::cancel();
        future.wait();
      }
      try {
        (void)future.get();
      } catch (const std::exception& error) {
        py::module_::import("logging").attr("getLogger")("retort").attr("warning")(
            "interrupted: %s", std::string(error.what()));
      }
      throw interrupted;
    }
  }
  return future.get();
}

// Events of a run, forwarded to a Python callable on_event(kind, fields) with the GIL held.
class Observer : public retort::RunObserver {
 public:
  explicit Observer(py::object on_event) : m_on_event(std::move(on_event)) {}

  void step_started(const retort::StepEvent& step) override { emit("step_started", step, {}); }
  void statement_done(const retort::StepEvent& step, int done, int total) override {
    emit("statement_done", step, {{"done", done}, {"total", total}});
  }
  void step_finished(const retort::StepEvent& step, std::int64_t duration_ms, bool ok) override {
    emit("step_finished", step, {{"duration_ms", duration_ms}, {"ok", ok ? 1 : 0}});
  }
  void note(const std::string& text) override {
    const py::gil_scoped_acquire acquire;
    try {
      py::dict fields;
      fields["text"] = text;
      m_on_event("note", fields);
    } catch (py::error_already_set& error) {
      error.discard_as_unraisable("retort event handler");
    }
  }

 private:
  void emit(const char* kind, const retort::StepEvent& step,
            std::initializer_list<std::pair<const char*, std::int64_t>> extra) {
    const py::gil_scoped_acquire acquire;
    try {
      py::dict fields;
      fields["index"] = step.index;
      fields["count"] = step.count;
      fields["revision"] = step.revision;
      fields["message"] = step.message;
      fields["direction"] = std::string(retort::to_string(step.direction));
      fields["estimate_ms"] = step.estimate_ms;
      for (const auto& [key, value] : extra) {
        fields[key] = value;
      }
      m_on_event(kind, fields);
    } catch (py::error_already_set& error) {
      error.discard_as_unraisable("retort event handler");
    }
  }

  py::object m_on_event;
};

struct RunArgs {
  std::string target;
  bool sql = false;
  std::string reason;
  bool purge = false;
  std::string partial;  // "", "resume", "restart"
  bool no_backup = false;
};

using Command = retort::RunResult (*)(const retort::Config&, const retort::RunOptions&);

py::dict run(Command command, const retort::Config& config, const RunArgs& args,
             const py::object& on_event) {
  // Dropped with the GIL held, after the command: the observer keeps a Python reference.
  Observer observer(on_event);
  retort::RunOptions options;
  options.target = args.target;
  options.reason = args.reason;
  options.purge = args.purge;
  options.no_backup = args.no_backup;
  if (args.partial == "resume") {
    options.partial = retort::PartialMigration::resume;
  } else if (args.partial == "restart") {
    options.partial = retort::PartialMigration::restart;
  }
  if (!on_event.is_none()) {
    options.observer = &observer;
  }
  std::ostringstream sql;
  if (args.sql) {
    options.sql_out = &sql;
    const retort::RunResult result = call([&] { return command(config, options); });
    return to_dict(result, sql.str());
  }
  const retort::RunResult result = call([&] { return command(config, options); }, true);
  return to_dict(result, "");
}

retort::Config load(const std::optional<std::string>& path, const std::optional<std::string>& url,
                    const std::optional<std::string>& cwd,
                    const std::vector<std::pair<std::string, std::string>>& overrides) {
  retort::ConfigSources sources;
  if (path) {
    sources.config_path = std::filesystem::path(*path);
  }
  sources.url = url;
  if (cwd) {
    sources.cwd = std::filesystem::path(*cwd);
  }
  for (const auto& [key, value] : overrides) {
    sources.overrides.push_back({key, value, key.substr(key.rfind('.') + 1)});
  }
  return call([&] { return retort::load_config(sources); });
}

}  // namespace

PYBIND11_MODULE(_native, m) {
  m.doc() = "libretort's commands (see the retort package for the public API)";
  m.attr("version") = retort::k_version;

  py::register_exception_translator([](std::exception_ptr pointer) {
    try {
      if (pointer) {
        std::rethrow_exception(pointer);
      }
    } catch (const retort::Error& error) {
      raise_error(error);
    }
  });

  py::class_<retort::Config>(m, "Config")
      .def_property_readonly("config_file",
                             [](const retort::Config& c) { return c.config_file.string(); })
      .def_property_readonly("project_dir",
                             [](const retort::Config& c) { return c.project_dir.string(); })
      .def_property(
          "script_location", [](const retort::Config& c) { return c.script_location.string(); },
          [](retort::Config& c, const std::string& value) {
            c.script_location = (c.project_dir / value).lexically_normal();
          })
      .def_readonly("url", &retort::Config::url)
      .def_readonly("redacted_url", &retort::Config::redacted_url)
      .def_readonly("url_source", &retort::Config::url_source)
      .def_readonly("notes", &retort::Config::notes)
      .def_readwrite("version_table", &retort::Config::version_table)
      .def_readwrite("version_table_schema", &retort::Config::version_table_schema);

  m.def("load", &load, py::arg("path"), py::arg("url"), py::arg("cwd"), py::arg("overrides"));

  const auto run_command = [&m](const char* name, Command command) {
    m.def(
        name,
        [command](const retort::Config& config, const std::string& target, bool sql,
                  const std::string& reason, bool purge, const std::string& partial, bool no_backup,
                  const py::object& on_event) {
          return run(command, config, RunArgs{target, sql, reason, purge, partial, no_backup},
                     on_event);
        },
        py::arg("config"), py::arg("target"), py::arg("sql"), py::arg("reason"), py::arg("purge"),
        py::arg("partial"), py::arg("no_backup"), py::arg("on_event"));
  };
  run_command("upgrade", &retort::upgrade);
  run_command("downgrade", &retort::downgrade);
  run_command("stamp", &retort::stamp);

  m.def("cancel", [] { return retort::cancel(); });

  m.def("current", [](const retort::Config& config) {
    return to_dict(call([&] { return retort::current(config); }));
  });
  m.def("pending", [](const retort::Config& config) {
    const retort::PendingResult result = call([&] { return retort::pending(config); });
    py::dict out;
    out["current"] = result.current;
    out["pending"] = result.pending;
    return out;
  });
  m.def("heads", [](const retort::Config& config) {
    return to_list(call([&] { return retort::heads(config); }));
  });
  m.def("history",
        [](const retort::Config& config, const std::string& range, bool indicate_current) {
          return to_list(call([&] {
            return retort::history(config, retort::HistoryOptions{range, indicate_current});
          }));
        });
  m.def("check", [](const retort::Config& config) {
    return to_dict(call([&] { return retort::check(config); }));
  });
  m.def("lint", [](const retort::Config& config, const std::vector<std::string>& revisions,
                   bool pending, const std::string& target, std::optional<int> server_version,
                   const std::string& schema) {
    retort::LintOptions options;
    options.revisions = revisions;
    options.pending = pending;
    options.target = target;
    options.server_version = server_version;
    options.schema = schema;
    return to_dict(call([&] { return retort::lint_migrations(config, options); }));
  });
  m.def("preflight", [](const retort::Config& config, const std::string& target) {
    return to_dict(
        call([&] { return retort::preflight(config, retort::PreflightOptions{target}); }));
  });
}
