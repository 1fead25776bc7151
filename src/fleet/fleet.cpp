// The fleet commands: each tenant is one ordinary command (upgrade, downgrade, current) on the
// tenant's own configuration, run by a pool of threads in this process.
//
// Threads, not a child process per tenant: a tenant's work beyond its SQL is a connection, two
// reads of its version table and ledger and the run lock, a few milliseconds, where a child
// would add its start, the configuration and the script directory read again. Runs on several
// threads are possible because each run has its own cancellation (runner/cancel.hpp).
//
// The pool: `concurrency` workers take the first waiting tenant whose server has a free slot
// (max_per_host over the connections one tenant's run holds), canaries first and alone; a stop
// (a canary that did not succeed, --on-error stop, --max-failures, cancel_fleet()) lets the
// running tenants finish and starts no other, which are reported `stopped`.
#include "retort/fleet.hpp"

#include "commands/fleet_support.hpp"
#include "retort/commands.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

namespace retort {

int FleetResult::count(TenantStatus status) const noexcept {
  return static_cast<int>(std::count_if(tenants.begin(), tenants.end(),
                                        [&](const TenantResult& t) { return t.status == status; }));
}

ExitCode FleetResult::exit_code() const noexcept {
  const bool check = command == "check";
  for (const TenantResult& tenant : tenants) {
    if (tenant.status == TenantStatus::failed || tenant.status == TenantStatus::skipped ||
        tenant.status == TenantStatus::stopped ||
        (check && tenant.status == TenantStatus::pending)) {
      return ExitCode::failed;
    }
  }
  return count(TenantStatus::busy) > 0 ? ExitCode::lock_busy : ExitCode::ok;
}

namespace {

std::atomic<int> g_running_fleets{0};
std::atomic<bool> g_cancelled{false};

using Clock = std::chrono::steady_clock;

enum class Command { upgrade, downgrade, current, check };

std::string_view command_word(Command command) {
  switch (command) {
    case Command::upgrade:
      return "upgrade";
    case Command::downgrade:
      return "downgrade";
    case Command::current:
      return "current";
    case Command::check:
      return "check";
  }
  return "upgrade";
}

bool migrates(Command command) {
  return command == Command::upgrade || command == Command::downgrade;
}

std::vector<std::string> revisions_of(const CurrentResult& current) {
  std::vector<std::string> revisions;
  revisions.reserve(current.heads.size());
  for (const RevisionInfo& head : current.heads) {
    revisions.push_back(head.revision);
  }
  return revisions;
}

// The failure of one tenant, in the words of its error.
void record_error(TenantResult& result, const Error& error) {
  if (commands::is_unreachable(error)) {
    result.status = TenantStatus::skipped;
  } else if (error.code() == ExitCode::lock_busy) {
    result.status = TenantStatus::busy;
  } else {
    result.status = TenantStatus::failed;
  }
  result.reason = error.what();
  if (error.server_message) {
    result.sqlstate = error.server_message->sqlstate;
    if (!error.server_message->message.empty() &&
        result.reason.find(error.server_message->message) == std::string::npos) {
      result.reason += ": " + error.server_message->message;
    }
  }
  if (error.where && !error.where->file.empty()) {
    result.where = error.where->line > 0
                       ? fmt::format("{}:{}", error.where->file, error.where->line)
                       : error.where->file;
  }
  result.state = error.database_state;
  result.next = error.next_command;
}

// Whether a tenant is in one of the states --only names, read from its database.
bool selected(const CurrentResult& current, const std::vector<TenantStatus>& only) {
  const bool failed =
      std::any_of(current.unfinished.begin(), current.unfinished.end(),
                  [](const LedgerEntry& entry) { return entry.status != LedgerStatus::ok; });
  const bool pending = !current.pending.empty() || !current.unknown.empty();
  return std::any_of(only.begin(), only.end(), [&](TenantStatus status) {
    return (status == TenantStatus::failed && failed) ||
           (status == TenantStatus::pending && pending);
  });
}

// One tenant's command. nullopt: --only left it out.
std::optional<TenantResult> run_tenant(const Config& config, const Tenant& tenant, Command command,
                                       const FleetOptions& options) {
  const auto started = Clock::now();
  TenantResult result;
  result.id = tenant.id;
  result.database = tenant.redacted_url;
  result.schema = tenant.schema;
  try {
    const Config own = tenant_config(config, tenant);
    if (migrates(command)) {
      if (!options.only.empty() && !selected(retort::current(own), options.only)) {
        return std::nullopt;
      }
      RunOptions run;
      run.target = options.target;
      const RunResult ran =
          command == Command::upgrade ? retort::upgrade(own, run) : retort::downgrade(own, run);
      result.from = ran.heads_before;
      result.to = ran.heads_after;
      result.steps = static_cast<int>(ran.steps.size());
      result.status = ran.steps.empty() ? TenantStatus::current : TenantStatus::applied;
    } else {
      const CurrentResult current = retort::current(own);
      if (!options.only.empty() && !selected(current, options.only)) {
        return std::nullopt;
      }
      result.from = revisions_of(current);
      result.to = result.from;
      result.pending = current.pending;
      const bool failed =
          std::any_of(current.unfinished.begin(), current.unfinished.end(),
                      [](const LedgerEntry& entry) { return entry.status != LedgerStatus::ok; });
      if (failed) {
        result.status = TenantStatus::failed;
        result.reason = "its ledger has a failed or interrupted run";
        result.next = current.unfinished.front().next_command;
      } else if (!current.unknown.empty()) {
        result.status = TenantStatus::failed;
        result.reason =
            current.ahead.empty() ? "its version table names revisions no file has" : current.ahead;
        result.next = current.ahead_next;
      } else {
        result.status = current.pending.empty() ? TenantStatus::current : TenantStatus::pending;
      }
    }
  } catch (const Error& error) {
    record_error(result, error);
    if (migrates(command) && result.status == TenantStatus::failed) {
      // Where the failure left it: the steps before the failed one stay applied.
      try {
        result.to = revisions_of(retort::current(tenant_config(config, tenant)));
      } catch (const Error&) {
        // The failure is what matters; its state says the rest.
      }
    }
  } catch (const std::exception& error) {
    result.status = TenantStatus::failed;
    result.reason = error.what();
  }
  result.duration_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
  return result;
}

// How many connections one tenant's command holds at once on its server.
int connections_per_tenant(const Config& config, Command command) {
  if (!migrates(command) || config.postgres.lock == LockMode::none) {
    return 1;
  }
  return 2;  // the run's session and the lock's (advisory) or the lease renewer's
}

// The pool that runs tenants; shared by its workers under m_mutex.
class Pool {
 public:
  Pool(const Config& config, const std::vector<Tenant>& tenants, Command command,
       const FleetOptions& options, int concurrency, int slots_per_host)
      : m_config(config),
        m_tenants(tenants),
        m_command(command),
        m_options(options),
        m_concurrency(concurrency),
        m_slots_per_host(slots_per_host),
        m_results(tenants.size()) {}

  // Runs these tenants (indices into the tenants) to the end or until a stop; the ones not
  // started are left as they are (no result).
  void run(const std::vector<std::size_t>& which) {
    {
      const std::lock_guard<std::mutex> guard(m_mutex);
      m_queue.assign(which.begin(), which.end());
    }
    const int workers = std::min<int>(m_concurrency, static_cast<int>(which.size()));
    std::vector<std::thread> threads;
    threads.reserve(static_cast<std::size_t>(workers));
    for (int worker = 0; worker < workers; ++worker) {
      threads.emplace_back([this] { work(); });
    }
    for (std::thread& thread : threads) {
      thread.join();
    }
  }

  void stop(std::string because) {
    const std::lock_guard<std::mutex> guard(m_mutex);
    if (m_stopped_because.empty()) {
      m_stopped_because = std::move(because);
    }
  }
  [[nodiscard]] const std::string& stopped_because() const { return m_stopped_because; }
  [[nodiscard]] std::vector<std::optional<TenantResult>>& results() { return m_results; }
  [[nodiscard]] std::vector<bool>& left_out() { return m_left_out; }

 private:
  void work() {
    std::unique_lock<std::mutex> guard(m_mutex);
    while (true) {
      std::deque<std::size_t>::iterator next;
      m_wake.wait(guard, [&] {
        if (stopping() || m_queue.empty()) {
          return true;
        }
        next = std::find_if(m_queue.begin(), m_queue.end(), [&](std::size_t idx) {
          return m_slots_per_host == 0 || m_tenants[idx].host.empty() ||
                 m_in_use[m_tenants[idx].host] < m_slots_per_host;
        });
        return next != m_queue.end();
      });
      if (stopping() || m_queue.empty()) {
        return;
      }
      const std::size_t idx = *next;
      m_queue.erase(next);
      const Tenant& tenant = m_tenants[idx];
      ++m_in_use[tenant.host];
      if (m_options.observer != nullptr) {
        m_options.observer->tenant_started(tenant);
      }
      guard.unlock();
      std::optional<TenantResult> result = run_tenant(m_config, tenant, m_command, m_options);
      guard.lock();
      --m_in_use[tenant.host];
      if (result) {
        if (result->status == TenantStatus::failed) {
          ++m_failures;
          if (m_options.on_error == OnError::stop && m_stopped_because.empty()) {
            m_stopped_because = fmt::format("tenant {} failed (--on-error stop)", tenant.id);
          } else if (m_options.max_failures > 0 && m_failures >= m_options.max_failures &&
                     m_stopped_because.empty()) {
            m_stopped_because = fmt::format("{} tenants failed (--max-failures {})", m_failures,
                                            m_options.max_failures);
          }
        }
        ++m_done;
        if (m_options.observer != nullptr) {
          m_options.observer->tenant_finished(*result, m_done, static_cast<int>(m_tenants.size()));
        }
      } else {
        m_left_out.resize(m_tenants.size());
        m_left_out[idx] = true;
      }
      m_results[idx] = std::move(result);
      m_wake.notify_all();
    }
  }

  bool stopping() {
    if (g_cancelled && m_stopped_because.empty()) {
      m_stopped_because = "the fleet was cancelled";
    }
    return !m_stopped_because.empty();
  }

  const Config& m_config;
  const std::vector<Tenant>& m_tenants;
  Command m_command;
  const FleetOptions& m_options;
  int m_concurrency;
  int m_slots_per_host;

  std::mutex m_mutex;
  std::condition_variable m_wake;
  std::deque<std::size_t> m_queue;                     // guarded by m_mutex
  std::map<std::string, int> m_in_use;                 // guarded: tenants running per host
  std::vector<std::optional<TenantResult>> m_results;  // guarded
  std::vector<bool> m_left_out;                        // guarded: --only left these out
  std::string m_stopped_because;                       // guarded
  int m_failures = 0;                                  // guarded
  int m_done = 0;                                      // guarded
};

Error option_error(std::string message, Command command) {
  Error error(ExitCode::input, std::move(message));
  error.state("nothing was run").next(fmt::format("retort fleet {} --help", command_word(command)));
  return error;
}

// The command that retries what a fleet command left: the tenants' own databases say which
// (--only), so it needs no file of this run. After current or check it is the upgrade.
std::string rerun_command(Command command, const FleetOptions& options) {
  const Command again = migrates(command) ? command : Command::upgrade;
  std::string rerun = fmt::format("retort fleet {} {}", command_word(again),
                                  migrates(command) ? options.target : std::string("head"));
  rerun += again == Command::downgrade ? " --only failed" : " --only failed,pending";
  if (options.shard) {
    rerun += fmt::format(" --shard {}/{}", options.shard->index, options.shard->count);
  }
  return rerun;
}

FleetResult run_fleet(const Config& config, const FleetOptions& options, Command command) {
  const auto started = Clock::now();
  const int concurrency = options.concurrency > 0 ? options.concurrency : config.fleet.concurrency;
  const int max_per_host =
      options.max_per_host >= 0 ? options.max_per_host : config.fleet.max_per_host;
  if (concurrency < 1) {
    throw option_error("--concurrency must be 1 or more", command);
  }
  if (options.shard && (options.shard->count < 1 || options.shard->index < 0 ||
                        options.shard->index >= options.shard->count)) {
    throw option_error(fmt::format("--shard {}/{}: i must be 0 up to S-1", options.shard->index,
                                   options.shard->count),
                       command);
  }
  if (options.max_failures < 0 || options.canary < 0) {
    throw option_error("--max-failures and --canary take a count, 0 or more", command);
  }
  const int per_tenant = connections_per_tenant(config, command);
  if (max_per_host > 0 && max_per_host < per_tenant) {
    throw option_error(
        fmt::format("--max-per-host {} is fewer than the {} connections one tenant's {} holds "
                    "(its session and its run lock's)",
                    max_per_host, per_tenant, command_word(command)),
        command);
  }
  for (const TenantStatus status : options.only) {
    if (status != TenantStatus::failed && status != TenantStatus::pending) {
      throw option_error(fmt::format("--only takes failed and pending, not {}", to_string(status)),
                         command);
    }
  }

  const std::vector<Tenant> tenants = fleet_tenants(config, options.shard);
  std::vector<bool> canary(tenants.size(), false);
  if (migrates(command)) {
    for (std::size_t idx = 0;
         idx < tenants.size() && idx < static_cast<std::size_t>(options.canary); ++idx) {
      canary[idx] = true;
    }
    for (const std::string& id : options.canary_tenants) {
      const auto found = std::find_if(tenants.begin(), tenants.end(),
                                      [&](const Tenant& tenant) { return tenant.id == id; });
      if (found == tenants.end()) {
        throw option_error(fmt::format("--canary-tenants: no tenant {}{}", id,
                                       options.shard ? " in this shard" : ""),
                           command);
      }
      canary[static_cast<std::size_t>(found - tenants.begin())] = true;
    }
  }

  FleetResult result;
  result.command = std::string(command_word(command));
  result.target = migrates(command) ? options.target : "";
  if (options.shard) {
    result.shard = fmt::format("{}/{}", options.shard->index, options.shard->count);
  }
  result.concurrency = concurrency;
  result.max_per_host = max_per_host;

  if (++g_running_fleets == 1) {
    g_cancelled = false;  // a cancel of an earlier fleet, which has ended
  }
  struct Running {
    ~Running() { --g_running_fleets; }
  } running;
  if (options.observer != nullptr) {
    options.observer->fleet_started(static_cast<int>(tenants.size()));
  }
  const int slots_per_host = max_per_host > 0 ? max_per_host / per_tenant : 0;
  Pool pool(config, tenants, command, options, concurrency, slots_per_host);
  std::vector<std::size_t> canaries;
  std::vector<std::size_t> others;
  for (std::size_t idx = 0; idx < tenants.size(); ++idx) {
    (canary[idx] ? canaries : others).push_back(idx);
  }
  if (!canaries.empty()) {
    pool.run(canaries);
    for (const std::size_t idx : canaries) {
      const std::optional<TenantResult>& ran = pool.results()[idx];
      if (ran && ran->status != TenantStatus::applied && ran->status != TenantStatus::current) {
        pool.stop(fmt::format("canary {} {}", ran->id, to_string(ran->status)));
        break;
      }
    }
  }
  if (pool.stopped_because().empty()) {
    pool.run(others);
  }

  for (std::size_t idx = 0; idx < tenants.size(); ++idx) {
    std::optional<TenantResult>& ran = pool.results()[idx];
    if (idx < pool.left_out().size() && pool.left_out()[idx]) {
      continue;
    }
    TenantResult tenant;
    if (ran) {
      tenant = std::move(*ran);
    } else {
      tenant.id = tenants[idx].id;
      tenant.database = tenants[idx].redacted_url;
      tenant.schema = tenants[idx].schema;
      tenant.status = TenantStatus::stopped;
      tenant.reason = "not started: " + pool.stopped_because();
    }
    tenant.canary = canary[idx];
    result.tenants.push_back(std::move(tenant));
  }
  result.stopped_because = pool.stopped_because();
  const bool left =
      std::any_of(result.tenants.begin(), result.tenants.end(), [&](const TenantResult& tenant) {
        return tenant.status == TenantStatus::failed || tenant.status == TenantStatus::busy ||
               tenant.status == TenantStatus::skipped || tenant.status == TenantStatus::stopped ||
               (!migrates(command) && tenant.status == TenantStatus::pending);
      });
  if (left) {
    result.rerun = rerun_command(command, options);
  }
  result.duration_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
  return result;
}

}  // namespace

FleetResult fleet_upgrade(const Config& config, const FleetOptions& options) {
  return run_fleet(config, options, Command::upgrade);
}

FleetResult fleet_downgrade(const Config& config, const FleetOptions& options) {
  return run_fleet(config, options, Command::downgrade);
}

FleetResult fleet_current(const Config& config, const FleetOptions& options) {
  return run_fleet(config, options, Command::current);
}

FleetResult fleet_check(const Config& config, const FleetOptions& options) {
  return run_fleet(config, options, Command::check);
}

bool cancel_fleet() noexcept {
  g_cancelled = true;
  const bool runs = retort::cancel();
  return runs || g_running_fleets > 0;
}

}  // namespace retort
