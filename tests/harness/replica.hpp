// A real streaming replica of the test PostgreSQL server: pg_basebackup -R -X stream into a temp
// dir, a hot standby on a free loopback port, replay paused and resumed on demand.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace retort::test {

// One hot standby of PostgresServer::instance(), started by the constructor and stopped (and its
// directory removed) by the destructor. It connects to the primary as the server's admin user
// over 127.0.0.1 with application_name `application_name`, which is how the primary's
// pg_stat_replication names it. The primary's postgresql.conf (the backup copies it) with its own
// port and socket directory, fsync off and hot_standby on; PostgreSQL's defaults for the rest
// (wal_receiver_status_interval 10s, no replication slot, no hot_standby_feedback).
//
// Run as the `postgres` OS user when the tests run as root. A launcher process owns the server,
// as PostgresServer's does: when the test binary ends in any way, even by SIGKILL, the replica
// gets SIGQUIT and its directory goes (kept when RETORT_KEEP_TEMP is set).
class StreamingReplica {
 public:
  static constexpr std::string_view k_default_name = "retort_test_replica";

  // Takes the base backup, starts the standby and returns once it is in recovery and the
  // primary shows it `streaming`. Fails the test loudly (never skips) and throws, with the
  // replica's log, when any of that fails or takes more than 60 s.
  explicit StreamingReplica(std::string application_name = std::string(k_default_name));
  // Immediate shutdown (SIGQUIT), wait, removal of the directory.
  ~StreamingReplica();
  StreamingReplica(const StreamingReplica&) = delete;
  StreamingReplica& operator=(const StreamingReplica&) = delete;

  // postgresql://USER@127.0.0.1:PORT/DATABASE on the replica, USER as in PostgresServer::url().
  [[nodiscard]] std::string url(std::string_view database) const;
  [[nodiscard]] int port() const;
  [[nodiscard]] const std::string& application_name() const;
  // The replica's postgres log.
  [[nodiscard]] std::filesystem::path log_path() const;

  // Runs SQL on the replica (database `postgres`) through psql, as PostgresServer::psql does.
  std::string psql(std::string_view sql);

  // SELECT pg_wal_replay_pause() on the replica. WAL keeps arriving and is written there;
  // none of it is replayed until resume_replay().
  void pause_replay();
  // SELECT pg_wal_replay_resume() on the replica.
  void resume_replay();
  // Waits until the replica has replayed all WAL the primary had inserted when called (commits
  // not yet flushed under synchronous_commit = off included), as the replica itself says
  // (pg_last_wal_replay_lsn()); false after timeout. The primary's pg_stat_replication shows
  // that replay_lsn soon after (a standby reports once it runs out of WAL to replay), but keeps
  // the replay_lag it last measured until the standby's next status message: up to
  // wal_receiver_status_interval (10 s) on a primary that writes nothing meanwhile.
  [[nodiscard]] bool wait_caught_up(std::chrono::milliseconds timeout = std::chrono::seconds(30));

 private:
  struct State;
  std::unique_ptr<State> m_state;
};

}  // namespace retort::test
