// `retort fleet ...`: options to FleetOptions, a progress line per tenant (a bar with the
// counts on a terminal), the report as text or one JSON document, the fleet's exit code.
#include "cli/fleet_command.hpp"

#include "cli/emit.hpp"
#include "cli/progress.hpp"
#include "retort/fleet.hpp"
#include "retort/format.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <array>
#include <cstdio>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace retort::cli {

namespace {

struct FleetArgs {
  std::string target = "head";
  int concurrency = 0;
  int max_per_host = -1;
  int canary = 0;
  std::vector<std::string> canary_tenants;
  std::string on_error = "continue";
  int max_failures = 0;
  std::vector<std::string> only;
  std::string shard;
};

std::vector<std::string> split_commas(const std::vector<std::string>& values) {
  std::vector<std::string> words;
  for (const std::string& value : values) {
    std::stringstream in(value);
    std::string word;
    while (std::getline(in, word, ',')) {
      if (!word.empty()) {
        words.push_back(word);
      }
    }
  }
  return words;
}

Error usage(std::string message, const std::string& command) {
  Error error(ExitCode::input, std::move(message));
  error.state("nothing was run").next(fmt::format("retort fleet {} --help", command));
  return error;
}

FleetOptions to_options(const FleetArgs& args, const std::string& command) {
  FleetOptions options;
  options.target = args.target;
  options.concurrency = args.concurrency;
  options.max_per_host = args.max_per_host;
  options.canary = args.canary;
  options.canary_tenants = split_commas(args.canary_tenants);
  options.on_error = args.on_error == "stop" ? OnError::stop : OnError::continue_;
  options.max_failures = args.max_failures;
  for (const std::string& word : split_commas(args.only)) {
    const std::optional<TenantStatus> status = parse_tenant_status(word);
    if (!status || (*status != TenantStatus::failed && *status != TenantStatus::pending)) {
      throw usage(fmt::format("--only takes failed and pending, not \"{}\"", word), command);
    }
    options.only.push_back(*status);
  }
  if (!args.shard.empty()) {
    Shard shard;
    char slash = 0;
    std::istringstream in(args.shard);
    if (!(in >> shard.index >> slash >> shard.count) || slash != '/' || !in.eof() ||
        shard.count < 1 || shard.index < 0 || shard.index >= shard.count) {
      throw usage(
          fmt::format("--shard takes i/S with 0 <= i < S, such as 0/4, not \"{}\"", args.shard),
          command);
    }
    options.shard = shard;
  }
  return options;
}

nlohmann::json to_json(const FleetResult& result) {
  nlohmann::json tenants = nlohmann::json::array();
  for (const TenantResult& tenant : result.tenants) {
    tenants.push_back({{"id", tenant.id},
                       {"database", tenant.database},
                       {"schema", tenant.schema},
                       {"status", to_string(tenant.status)},
                       {"canary", tenant.canary},
                       {"from", tenant.from},
                       {"to", tenant.to},
                       {"pending", tenant.pending},
                       {"steps", tenant.steps},
                       {"duration_ms", tenant.duration_ms},
                       {"reason", tenant.reason},
                       {"sqlstate", tenant.sqlstate},
                       {"where", tenant.where},
                       {"state", tenant.state},
                       {"next", tenant.next}});
  }
  nlohmann::json counts = nlohmann::json::object();
  for (const TenantStatus status :
       {TenantStatus::applied, TenantStatus::current, TenantStatus::pending, TenantStatus::failed,
        TenantStatus::busy, TenantStatus::skipped, TenantStatus::stopped}) {
    counts[std::string(to_string(status))] = result.count(status);
  }
  return {{"command", result.command},
          {"target", result.target},
          {"shard", result.shard},
          {"concurrency", result.concurrency},
          {"max_per_host", result.max_per_host},
          {"tenants", tenants},
          {"counts", counts},
          {"stopped_because", result.stopped_because},
          {"rerun", result.rerun},
          {"duration_ms", result.duration_ms},
          {"exit_code", static_cast<int>(result.exit_code())}};
}

std::string heads_text(const std::vector<std::string>& heads) {
  return heads.empty() ? "base" : fmt::format("{}", fmt::join(heads, "+"));
}

// One tenant's line: "tenant_07  failed  base -> a1  120ms  42P07 versions/a2.sql:3: ...".
std::string tenant_line(const TenantResult& tenant, const Style& style) {
  const std::string word(to_string(tenant.status));
  std::string status = word;
  switch (tenant.status) {
    case TenantStatus::applied:
    case TenantStatus::current:
      status = style.green(word);
      break;
    case TenantStatus::pending:
    case TenantStatus::busy:
    case TenantStatus::stopped:
      status = style.yellow(word);
      break;
    case TenantStatus::failed:
    case TenantStatus::skipped:
      status = style.red(word);
      break;
  }
  std::string line = fmt::format("{}{}  {}", tenant.id, tenant.canary ? " (canary)" : "", status);
  if (tenant.status == TenantStatus::applied) {
    line += fmt::format("  {} -> {}  {} step{}", heads_text(tenant.from), heads_text(tenant.to),
                        tenant.steps, tenant.steps == 1 ? "" : "s");
  } else if (tenant.status == TenantStatus::current) {
    line += "  at " + heads_text(tenant.to);
  } else if (tenant.status == TenantStatus::pending) {
    line += fmt::format("  at {}, {} pending", heads_text(tenant.to), tenant.pending.size());
  } else if (tenant.status == TenantStatus::failed && !tenant.to.empty()) {
    line += "  stopped at " + heads_text(tenant.to);
  }
  if (tenant.status != TenantStatus::stopped) {
    line += "  " + format_elapsed(tenant.duration_ms);
  }
  if (!tenant.sqlstate.empty()) {
    line += "  SQLSTATE " + tenant.sqlstate;
  }
  if (!tenant.where.empty()) {
    line += "  at " + tenant.where;
  }
  if (!tenant.reason.empty()) {
    // Indented under the tenant, every line of it (libpq's words take two).
    std::string reason = tenant.reason;
    while (!reason.empty() && reason.back() == '\n') {
      reason.pop_back();
    }
    for (std::size_t pos = reason.find('\n'); pos != std::string::npos;
         pos = reason.find('\n', pos + 5)) {
      reason.replace(pos, 1, "\n    ");
    }
    line += "\n    " + reason;
  }
  return line + "\n";
}

std::string fleet_text(const FleetResult& result, const Style& style) {
  std::string out;
  for (const TenantResult& tenant : result.tenants) {
    out += "  " + tenant_line(tenant, style);
  }
  std::vector<std::string> counts;
  for (const TenantStatus status :
       {TenantStatus::applied, TenantStatus::current, TenantStatus::pending, TenantStatus::failed,
        TenantStatus::busy, TenantStatus::skipped, TenantStatus::stopped}) {
    if (const int n = result.count(status); n > 0) {
      counts.push_back(fmt::format("{} {}", n, to_string(status)));
    }
  }
  out += fmt::format("fleet {}{}: {} tenant{}{}{} in {}\n", result.command,
                     result.target.empty() ? "" : " " + result.target, result.tenants.size(),
                     result.tenants.size() == 1 ? "" : "s",
                     counts.empty() ? "" : ": " + fmt::format("{}", fmt::join(counts, ", ")),
                     result.shard.empty() ? "" : " (shard " + result.shard + ")",
                     format_elapsed(result.duration_ms));
  if (!result.stopped_because.empty()) {
    out += "Stopped: " + result.stopped_because + "; the tenants not started are unchanged.\n";
  }
  if (!result.rerun.empty()) {
    out += "Next: " + result.rerun + "\n";
  }
  return out;
}

// On a terminal one line redrawn with the counts; otherwise one line per tenant as it ends.
// The fleet calls it from its worker threads one call at a time.
class FleetProgress : public FleetObserver {
 public:
  FleetProgress(const Style& style, bool terminal) : m_style(style), m_terminal(terminal) {}
  ~FleetProgress() override {
    if (m_line_open) {
      std::fputs("\n", stderr);
    }
  }
  FleetProgress(const FleetProgress&) = delete;
  FleetProgress& operator=(const FleetProgress&) = delete;
  FleetProgress(FleetProgress&&) = delete;
  FleetProgress& operator=(FleetProgress&&) = delete;

  void fleet_started(int tenants) override { m_total = tenants; }

  void tenant_finished(const TenantResult& result, int done, int total) override {
    ++m_counts[static_cast<std::size_t>(result.status)];
    const bool bad = result.status == TenantStatus::failed ||
                     result.status == TenantStatus::skipped || result.status == TenantStatus::busy;
    if (m_terminal) {
      if (bad) {
        std::fprintf(stderr, "\r\033[K%s", tenant_line(result, m_style).c_str());
      }
      const int width = 30;
      const int filled = total > 0 ? done * width / total : width;
      std::fprintf(stderr, "\r\033[K[%s%s] %d/%d tenants  %d ok  %d failed  %d skipped",
                   std::string(static_cast<std::size_t>(filled), '#').c_str(),
                   std::string(static_cast<std::size_t>(width - filled), '.').c_str(), done, total,
                   count(TenantStatus::applied) + count(TenantStatus::current),
                   count(TenantStatus::failed), count(TenantStatus::skipped));
      m_line_open = true;
    } else if (m_style.verbosity >= 0) {
      std::fprintf(stderr, "[%d/%d] %s", done, total, tenant_line(result, m_style).c_str());
    }
    std::fflush(stderr);
  }

 private:
  [[nodiscard]] int count(TenantStatus status) const {
    return m_counts[static_cast<std::size_t>(status)];
  }

  Style m_style;
  bool m_terminal;
  bool m_line_open = false;
  int m_total = 0;
  std::array<int, 7> m_counts{};
};

void add_common(CLI::App& cmd, FleetArgs& args) {
  cmd.add_option("--concurrency", args.concurrency,
                 "Tenants at once (default: [retort.fleet] concurrency, else 4)");
  cmd.add_option("--max-per-host", args.max_per_host,
                 "Connections to one server at once, over every tenant there; 0 = no cap "
                 "(default: [retort.fleet] max_per_host)");
  cmd.add_option("--only", args.only,
                 "Only the tenants whose databases say: failed (a failed or interrupted run in "
                 "their ledger), pending (not at the heads); comma-separated");
  cmd.add_option("--shard", args.shard,
                 "i/S: only the tenants whose 64-bit FNV-1a hash of the id modulo S is i (a "
                 "Kubernetes Indexed Job's $JOB_COMPLETION_INDEX/$SHARDS)");
}

void add_run_options(CLI::App& cmd, FleetArgs& args) {
  cmd.add_option("--canary", args.canary,
                 "Run the first K tenants first; if any fails, stop before the others");
  cmd.add_option("--canary-tenants", args.canary_tenants,
                 "These tenants (comma-separated) are the canaries");
  cmd.add_option("--on-error", args.on_error,
                 "continue: the other tenants go on after a failure; stop: none starts after it")
      ->check(CLI::IsMember({"continue", "stop"}))
      ->capture_default_str();
  cmd.add_option("--max-failures", args.max_failures,
                 "Start no tenant once this many failed; 0 = no limit");
}

int run_fleet(const FleetCommandContext& context, const FleetArgs& args, const std::string& command,
              FleetResult (*function)(const Config&, const FleetOptions&)) {
  FleetOptions options = to_options(args, command);
  const Config config = context.config();
  FleetProgress progress(*context.style, *context.stderr_terminal);
  // current and check read, quickly: their report is enough.
  const bool migrates = command == "upgrade" || command == "downgrade";
  if (migrates && !*context.json && !*context.quiet) {
    options.observer = &progress;
  }
  const FleetResult result = function(config, options);
  emit(
      std::cout, {.json = *context.json, .quiet = *context.quiet}, [&] { return to_json(result); },
      [&] { return fleet_text(result, *context.style); });
  return static_cast<int>(result.exit_code());
}

}  // namespace

void setup_fleet(CLI::App& app, const FleetCommandContext& context, std::function<int()>& run) {
  CLI::App* fleet = app.add_subcommand(
      "fleet", "Migrate many tenants (databases, or schemas of one) that share the history");
  fleet->require_subcommand(1);
  fleet->footer(
      "Tenants come from [retort.fleet]: tenants = [\"id=url\"], tenants_file, tenants_query "
      "with catalog_url, or schemas = \"tenant_%\" (schema-per-tenant). Each tenant keeps its own "
      "version table, ledger and run lock.\nExit codes: 0 every tenant ok, 1 any failed, "
      "skipped or not started, 2 input error, 3 tenants busy.");

  auto up = std::make_shared<FleetArgs>();
  CLI::App* upgrade = fleet->add_subcommand("upgrade", "Upgrade every tenant to a target");
  upgrade->add_option("target", up->target, "head, heads, REV")->capture_default_str();
  add_common(*upgrade, *up);
  add_run_options(*upgrade, *up);
  upgrade->footer(
      "Examples: retort fleet upgrade head --concurrency 8 --max-per-host 16 | retort fleet "
      "upgrade head --canary 3 --on-error stop | retort fleet upgrade head --only "
      "failed,pending | retort fleet upgrade head --shard $JOB_COMPLETION_INDEX/$SHARDS");
  upgrade->callback([context, &run, up] {
    run = [context, up] { return run_fleet(context, *up, "upgrade", &fleet_upgrade); };
  });

  auto down = std::make_shared<FleetArgs>();
  CLI::App* downgrade = fleet->add_subcommand("downgrade", "Downgrade every tenant to a target");
  downgrade->add_option("target", down->target, "REV, -1, base")->required();
  add_common(*downgrade, *down);
  add_run_options(*downgrade, *down);
  downgrade->callback([context, &run, down] {
    run = [context, down] { return run_fleet(context, *down, "downgrade", &fleet_downgrade); };
  });

  auto cur = std::make_shared<FleetArgs>();
  CLI::App* current = fleet->add_subcommand("current", "Show where every tenant stands");
  add_common(*current, *cur);
  current->callback([context, &run, cur] {
    run = [context, cur] { return run_fleet(context, *cur, "current", &fleet_current); };
  });

  auto chk = std::make_shared<FleetArgs>();
  CLI::App* check =
      fleet->add_subcommand("check", "Exit 1 while a tenant is pending, failed or unreachable");
  add_common(*check, *chk);
  check->callback([context, &run, chk] {
    run = [context, chk] { return run_fleet(context, *chk, "check", &fleet_check); };
  });
}

}  // namespace retort::cli
