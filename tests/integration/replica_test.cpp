// Replica lag against a real streaming replica of the harness's PostgreSQL 15, through the retort
// binary: preflight's replica-lag with a healthy replica and with one whose replay is paused
// while the primary writes, and runs that wait before a step while a replica lags, then go on
// once it caught up or stop cleanly between steps after [retort.replicas] wait.
//
// What a user expects throughout: a replica with WAL it has received but not replayed, for
// longer than max_lag, IS lagging, whether retort learns of it from the primary's
// pg_stat_replication or by asking the replica (a [retort.replicas] url).
#include "harness/replica.hpp"

#include "harness/postgres_server.hpp"
#include "integration/cli_support.hpp"
#include "integration/project.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

namespace retort::test {
namespace {

using Strings = std::vector<std::string>;
using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// `retort preflight --json`: the document and the replica-lag check in it.
struct Preflight {
  ProcessResult process;
  Json doc;

  [[nodiscard]] Json check(const std::string& code) const {
    if (doc.contains("checks")) {
      for (const Json& item : doc["checks"]) {
        if (item.value("code", "") == code) {
          return item;
        }
      }
    }
    return Json::object();
  }
  [[nodiscard]] std::string status() const {
    return check("replica-lag").value("status", "<missing>");
  }
  [[nodiscard]] std::string message() const { return check("replica-lag").value("message", ""); }
  [[nodiscard]] std::string fix() const { return check("replica-lag").value("fix", ""); }
};

Preflight preflight(const Project& project) {
  Preflight out{retort(project, {"preflight", "--json"}), {}};
  EXPECT_FALSE(out.process.timed_out) << "preflight blocked\n" << shown(out.process);
  try {
    out.doc = Json::parse(out.process.out);
  } catch (const Json::exception& error) {
    ADD_FAILURE() << "preflight --json did not print one JSON document: " << error.what() << "\n"
                  << shown(out.process);
  }
  return out;
}

bool wait_for(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (condition()) {
      return true;
    }
    if (Clock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

std::string database_of(const Project& project) {
  const std::string& url = project.config().url;
  return url.substr(url.rfind('/') + 1);
}

std::string primary_view(Project& project, const StreamingReplica& replica) {
  const Strings rows = project.query_rows(
      "SELECT state, sent_lsn, replay_lsn, coalesce(replay_lag::text, 'NULL') FROM "
      "pg_stat_replication WHERE application_name = '" +
      replica.application_name() + "'");
  return rows.empty() ? "(not in pg_stat_replication)" : rows[0];
}

std::string replica_view(StreamingReplica& replica) {
  return replica.psql(
      "SELECT pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn(), "
      "coalesce((clock_timestamp() - pg_last_xact_replay_timestamp())::text, 'NULL'), "
      "pg_get_wal_replay_pause_state()");
}

// Both views of the replica's lag, for a failure message: what retort's measurements start from.
std::string views(Project& project, StreamingReplica& replica) {
  return "primary (state|sent_lsn|replay_lsn|replay_lag): " + primary_view(project, replica) +
         "\nreplica (receive_lsn|replay_lsn|now - last replayed commit|pause state): " +
         replica_view(replica);
}

// Waits until the primary's pg_stat_replication shows the replica replayed up to the primary's
// WAL position: the standby reported it (it does once it replayed all it received).
bool primary_sees_caught_up(Project& project, const StreamingReplica& replica) {
  return wait_for(
      [&] {
        return project.query_rows(
                   "SELECT (replay_lsn = sent_lsn AND sent_lsn = pg_current_wal_lsn())::text FROM "
                   "pg_stat_replication WHERE application_name = '" +
                   replica.application_name() + "'") == Strings{"true"};
      },
      std::chrono::seconds(15));
}

class ReplicaTest : public ::testing::Test {
 protected:
  // The database's first migrations (a1, b2) and a table to write into.
  void SetUp() override {
    project.add({"a1", {}, "CREATE TABLE first_t (id integer);", "DROP TABLE first_t;", {}, ""});
    project.add(
        {"b2", {"a1"}, "CREATE TABLE second_t (id integer);", "DROP TABLE second_t;", {}, ""});
    (void)project.query_rows("CREATE TABLE filler (id integer, pad text)");
  }

  // Pauses replay once the replica has replayed everything so far (the filler table's commit
  // among it), then writes a few thousand rows on the primary, which the replica receives and
  // keeps, and lets the lag grow past max_lag = 1s.
  void lag_behind(std::chrono::milliseconds grow = std::chrono::seconds(2)) {
    ASSERT_TRUE(replica.wait_caught_up()) << views(project, replica);
    replica.pause_replay();
    (void)project.query_rows(
        "INSERT INTO filler SELECT g, repeat('x', 100) FROM generate_series(1, 5000) g");
    std::this_thread::sleep_for(grow);
    // The replica holds WAL it has not replayed: it is behind, by any measure a user has.
    ASSERT_EQ(replica.psql("SELECT pg_last_wal_receive_lsn() > pg_last_wal_replay_lsn()"), "t\n")
        << views(project, replica);
  }

  // Nothing applied: no version table yet, or an empty one.
  [[nodiscard]] bool nothing_applied() {
    const Strings rows = project.version_rows();
    return rows.empty() || rows == Strings{"<no version table>"};
  }

  [[nodiscard]] std::string replica_url() const { return replica.url(database_of(project)); }

  Project project{Backend::postgres, "replica"};
  StreamingReplica replica;
};

// ---- a. A healthy streaming replica ----

TEST_F(ReplicaTest, AHealthyStreamingReplicaPassesPreflightByNameAndByUrl) {
  ASSERT_TRUE(replica.wait_caught_up()) << views(project, replica);
  write_config(project);
  const Preflight from_primary = preflight(project);
  EXPECT_EQ(from_primary.status(), "pass") << from_primary.process.out;
  EXPECT_TRUE(has(from_primary.message(), "replica lag within 30s: retort_test_replica "));
  EXPECT_EQ(from_primary.fix(), "");

  write_config(project,
               "[retort.replicas]\nurls = [\"" + replica_url() + "\"]\nmax_lag = \"5s\"\n");
  const Preflight both = preflight(project);
  EXPECT_EQ(both.status(), "pass") << both.process.out;
  EXPECT_TRUE(has(both.message(), "replica lag within 5s: retort_test_replica "));
  EXPECT_TRUE(has(both.message(), ", " + replica_url() + " 0ms")) << "caught up: no lag";

  // A run past a healthy replica goes straight through, saying what it saw before each step.
  const ProcessResult up = retort(project, {"upgrade", "head", "--metrics-file", "retort.prom"});
  EXPECT_EQ(up.exit_code, 0) << shown(up);
  EXPECT_TRUE(has(up.err, "replica lag before a1: retort_test_replica "));
  std::ifstream metrics(project.dir() / "retort.prom");
  const std::string exposed((std::istreambuf_iterator<char>(metrics)),
                            std::istreambuf_iterator<char>());
  EXPECT_TRUE(has(exposed, "\nretort_replica_lag_seconds{replica=\"retort_test_replica\"} "));
  EXPECT_TRUE(has(exposed, "\nretort_replica_lag_max_seconds{replica=\"" + replica_url() + "\"} "))
      << "the metrics file has what the run saw";
  EXPECT_TRUE(has(up.err, "replica lag before b2: retort_test_replica "));
  EXPECT_TRUE(lacks(up.err, "waiting before"));
  EXPECT_EQ(project.version_rows(), (Strings{"b2"}));

  const Preflight after = preflight(project);
  EXPECT_EQ(after.process.exit_code, 0) << shown(after.process);
  EXPECT_EQ(after.status(), "pass") << after.process.out;
}

// ---- b. Replay paused while the primary writes ----

// Asked directly, the replica shows the time since its last replayed commit; once it resumed
// and caught up, preflight passes again.
TEST_F(ReplicaTest, PreflightThroughTheReplicasUrlFailsWhileReplayIsPausedAndPassesAfterResume) {
  write_config(project,
               "[retort.replicas]\nurls = [\"" + replica_url() + "\"]\nmax_lag = \"1s\"\n");
  lag_behind();
  const Preflight paused = preflight(project);
  EXPECT_EQ(paused.status(), "fail") << paused.process.out << views(project, replica);
  EXPECT_TRUE(has(paused.message(), replica_url() + " ")) << views(project, replica);
  EXPECT_TRUE(has(paused.message(), "s behind")) << views(project, replica);
  EXPECT_TRUE(has(paused.message(), "; max_lag is 1s"));
  EXPECT_TRUE(has(paused.fix(), "wait until the replicas catch up"));
  EXPECT_EQ(paused.process.exit_code, 1) << shown(paused.process);

  // Caught up: the replica says it replayed all the primary wrote, and the primary's own
  // pg_stat_replication shows its replay position at the primary's.
  replica.resume_replay();
  ASSERT_TRUE(replica.wait_caught_up()) << views(project, replica);
  ASSERT_TRUE(primary_sees_caught_up(project, replica)) << views(project, replica);
  const Preflight resumed = preflight(project);
  EXPECT_EQ(resumed.status(), "pass") << resumed.message() << "\n" << views(project, replica);
  EXPECT_TRUE(has(resumed.message(), "retort_test_replica 0ms")) << views(project, replica);
  EXPECT_EQ(resumed.process.exit_code, 0) << shown(resumed.process);
}

// From the primary alone (no [retort.replicas] urls): pg_stat_replication names the replica,
// and a paused replica with WAL waiting is behind.
TEST_F(ReplicaTest, PreflightFromThePrimaryAloneFailsWhileReplayIsPaused) {
  write_config(project, "[retort.replicas]\nmax_lag = \"1s\"\n");
  lag_behind();
  const Preflight paused = preflight(project);
  EXPECT_EQ(paused.status(), "fail") << paused.message() << "\n" << views(project, replica);
  EXPECT_TRUE(has(paused.message(), "retort_test_replica ")) << paused.process.out;
  EXPECT_TRUE(has(paused.message(), "s behind")) << views(project, replica);
}

// A replica that has replayed no commit since it started (restarted, then stuck on a replay
// conflict, say) has no pg_last_xact_replay_timestamp(): its lag is unknown, not zero.
TEST_F(ReplicaTest, AReplicaPausedBeforeItReplayedAnyCommitIsNotCaughtUp) {
  StreamingReplica fresh("retort_test_fresh");
  ASSERT_EQ(fresh.psql("SELECT pg_last_xact_replay_timestamp() IS NULL"), "t\n")
      << "the fresh replica should not have replayed a commit yet";
  fresh.pause_replay();
  (void)project.query_rows(
      "INSERT INTO filler SELECT g, repeat('x', 100) FROM generate_series(1, 5000) g");
  std::this_thread::sleep_for(std::chrono::seconds(2));
  write_config(project, "[retort.replicas]\nurls = [\"" + fresh.url(database_of(project)) +
                            "\"]\nmax_lag = \"1s\"\n");
  const Preflight paused = preflight(project);
  const std::string fresh_side = replica_view(fresh);
  EXPECT_EQ(paused.status(), "fail") << paused.message() << "\nfresh replica: " << fresh_side;
  EXPECT_TRUE(lacks(paused.message(), fresh.url(database_of(project)) + " 0ms"))
      << "fresh replica: " << fresh_side;
}

// ---- c. A run waits while a replica lags ----

TEST_F(ReplicaTest, ARunWaitsBeforeAStepWhileReplayIsPausedAndGoesOnAfterResume) {
  write_config(project, "[retort.replicas]\nurls = [\"" + replica_url() +
                            "\"]\nmax_lag = \"1s\"\nwait = \"30s\"\n");
  lag_behind();
  Process run({retort_binary().string(), "upgrade", "head"}, [&] {
    SpawnOptions options = in(project);
    options.env["NO_COLOR"] = "1";
    options.unset_env = {"RETORT_URL", "DATABASE_URL"};
    return options;
  }());
  // The gate's own session shows the run is there; then it keeps waiting.
  const bool watching = wait_for(
      [&] {
        return project.query_rows(
                   "SELECT count(*) FROM pg_stat_activity WHERE application_name "
                   "= 'retort replica watch'") == Strings{"1"};
      },
      std::chrono::seconds(20));
  EXPECT_TRUE(watching) << "no `retort replica watch` session";
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_EQ(project.tables(), (Strings{"filler"})) << "a1 ran while the replica lagged";
  EXPECT_TRUE(nothing_applied()) << "nothing may be applied yet";
  const Strings ledger_rows = project.query_rows(
      "SELECT count(*) FROM information_schema.tables WHERE table_name = 'retort_log'");
  if (ledger_rows == Strings{"1"}) {
    EXPECT_EQ(project.query_rows("SELECT count(*) FROM retort_log"), Strings{"0"})
        << "no step may have started";
  }
  EXPECT_EQ(project.query_rows("SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                               "'retort replica watch'"),
            Strings{"1"})
      << "the run should still be waiting";

  replica.resume_replay();
  const ProcessResult done = run.wait();
  EXPECT_EQ(done.exit_code, 0) << shown(done) << views(project, replica);
  EXPECT_TRUE(has(done.err, "waiting before a1: replica lag above max_lag (1s): "));
  EXPECT_TRUE(has(done.err, "replica lag before a1: "));
  EXPECT_TRUE(has(done.err, "replica lag before b2: "));
  EXPECT_TRUE(has(done.err, replica_url()));
  EXPECT_TRUE(has(done.err, "upgrade a1"));
  EXPECT_TRUE(has(done.err, "upgrade b2"));
  EXPECT_EQ(project.version_rows(), (Strings{"b2"}));
  EXPECT_EQ(project.tables(), (Strings{"filler", "first_t", "second_t"}));
  const auto ledger = project.ledger();
  ASSERT_EQ(ledger.size(), 2U);
  EXPECT_EQ(ledger[0].revision, "a1");
  EXPECT_EQ(ledger[0].status, "ok");
  EXPECT_EQ(ledger[1].revision, "b2");
  EXPECT_EQ(ledger[1].status, "ok");
}

// ---- d. A run stops cleanly between steps after `wait` ----

TEST_F(ReplicaTest, ARunStopsBetweenStepsWhenTheReplicaStaysBehindPastWait) {
  write_config(project, "[retort.replicas]\nurls = [\"" + replica_url() +
                            "\"]\nmax_lag = \"1s\"\nwait = \"2s\"\n");
  const ProcessResult first = retort(project, {"upgrade", "a1"});
  ASSERT_EQ(first.exit_code, 0) << shown(first);
  lag_behind();

  const ProcessResult stopped = retort(project, {"upgrade", "head"});
  EXPECT_EQ(stopped.exit_code, 1) << shown(stopped) << views(project, replica);
  EXPECT_TRUE(has(stopped.err, "waiting before b2: replica lag above max_lag (1s): "));
  EXPECT_TRUE(has(stopped.err,
                  "stopped before revision b2: replica lag stayed above max_lag (1s) for 2s: "));
  EXPECT_TRUE(has(stopped.err, "the steps before it are applied; nothing of it ran"));
  EXPECT_TRUE(has(stopped.err, "then run the same command again"));
  EXPECT_TRUE(lacks(stopped.err, "upgrade b2"));
  EXPECT_EQ(project.version_rows(), (Strings{"a1"}));
  EXPECT_EQ(project.tables(), (Strings{"filler", "first_t"}));
  const auto ledger = project.ledger();
  ASSERT_EQ(ledger.size(), 1U) << "no ledger row for the stopped step";
  EXPECT_EQ(ledger[0].revision, "a1");
  EXPECT_EQ(ledger[0].status, "ok");
}

// The same with no [retort.replicas] urls: the primary streams to the replica, so the gate
// watches pg_stat_replication, and a paused replica with WAL waiting holds the run.
TEST_F(ReplicaTest, ARunStopsForAPausedReplicaThePrimaryStreamsTo) {
  write_config(project, "[retort.replicas]\nmax_lag = \"1s\"\nwait = \"2s\"\n");
  const ProcessResult first = retort(project, {"upgrade", "a1"});
  ASSERT_EQ(first.exit_code, 0) << shown(first);
  lag_behind();

  const ProcessResult stopped = retort(project, {"upgrade", "head"});
  EXPECT_EQ(stopped.exit_code, 1) << shown(stopped) << views(project, replica);
  EXPECT_TRUE(has(stopped.err,
                  "stopped before revision b2: replica lag stayed above max_lag (1s) for 2s: "
                  "retort_test_replica "));
  EXPECT_EQ(project.version_rows(), (Strings{"a1"}));
}

// ---- d. The URL points at the standby ----

// A hot standby answers every read preflight makes, so every check used to pass there, and
// the run then failed at its first write. Preflight fails instead, and the run's error says
// what state the database is in and where to point the URL.
TEST_F(ReplicaTest, OnTheStandbyPreflightFailsAndUpgradeSaysPointTheUrlAtThePrimary) {
  ASSERT_TRUE(replica.wait_caught_up()) << views(project, replica);
  write_config(project, "", replica_url());
  const Preflight on_standby = preflight(project);
  EXPECT_EQ(on_standby.process.exit_code, 1) << shown(on_standby.process);
  const Json primary = on_standby.check("primary");
  EXPECT_EQ(primary.value("status", ""), "fail") << on_standby.process.out;
  EXPECT_EQ(primary.value("message", ""),
            "database " + database_of(project) +
                " is served by a hot standby (pg_is_in_recovery() is true): it refuses every "
                "write, so the run would fail at its first");
  EXPECT_EQ(primary.value("fix", ""),
            "point the URL at the primary; the standby gets the migrated schema by replication");

  const ProcessResult up = retort(project, {"upgrade", "head"});
  EXPECT_EQ(up.exit_code, 1) << shown(up);
  EXPECT_TRUE(has(up.err, "read-only transaction")) << shown(up);
  EXPECT_TRUE(has(up.err, "\n  database: nothing was run; the database is as it was\n"));
  EXPECT_TRUE(has(up.err,
                  "\n  next: point the URL at the primary, then run the same command again "
                  "(retort preflight checks it first)\n"));

  write_config(project);
  const Preflight on_primary = preflight(project);
  EXPECT_EQ(on_primary.check("primary").value("status", ""), "pass") << on_primary.process.out;
  EXPECT_TRUE(nothing_applied()) << "the standby took nothing";
}

}  // namespace
}  // namespace retort::test
