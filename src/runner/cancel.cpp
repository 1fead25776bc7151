// Cancellation per run: each CancelScope owns a state, which a thread-local pointer finds for
// the code of its run (the runner's loop, the lock wait, recovery), and which a registry of the
// live states lets request_cancel() reach from any thread.
#include "runner/cancel.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <utility>
#include <vector>

namespace retort::runner {

class CancelState {
 public:
  void request() noexcept {
    m_requested = true;
    const std::lock_guard<std::mutex> guard(m_mutex);
    if (m_target != nullptr) {
      m_target->cancel();
    }
  }
  [[nodiscard]] bool requested() const noexcept { return m_requested; }
  void target(driver::Connection* connection) noexcept {
    const std::lock_guard<std::mutex> guard(m_mutex);
    m_target = connection;
  }
  // Sets the connection a request interrupts and returns the one before.
  driver::Connection* exchange_target(driver::Connection* connection) noexcept {
    const std::lock_guard<std::mutex> guard(m_mutex);
    return std::exchange(m_target, connection);
  }

 private:
  std::mutex m_mutex;
  driver::Connection* m_target = nullptr;  // guarded by m_mutex
  std::atomic<bool> m_requested{false};
};

namespace {

std::mutex g_mutex;
std::vector<CancelState*> g_live;  // guarded by g_mutex: every state request_cancel() reaches
std::atomic<int> g_scopes{0};
thread_local CancelHandle t_current;  // this thread's run

void enlist(CancelState* state) {
  const std::lock_guard<std::mutex> guard(g_mutex);
  g_live.push_back(state);
}

void delist(CancelState* state) noexcept {
  const std::lock_guard<std::mutex> guard(g_mutex);
  g_live.erase(std::remove(g_live.begin(), g_live.end(), state), g_live.end());
}

}  // namespace

CancelScope::CancelScope() : m_state(std::make_shared<CancelState>()), m_previous(t_current) {
  enlist(m_state.get());
  t_current = m_state;
  ++g_scopes;
}

CancelScope::~CancelScope() {
  --g_scopes;
  t_current = m_previous;
  delist(m_state.get());
}

CancelJoin::CancelJoin(CancelHandle run) : m_previous(std::move(t_current)) {
  t_current = std::move(run);
}

CancelJoin::~CancelJoin() { t_current = std::move(m_previous); }

CancelTarget::CancelTarget(driver::Connection& connection) {
  if (t_current) {
    m_state = t_current;
  } else {
    m_state = std::make_shared<CancelState>();
    m_own_state = true;
    enlist(m_state.get());
  }
  m_state->target(&connection);
}

CancelTarget::~CancelTarget() {
  m_state->target(nullptr);
  if (m_own_state) {
    delist(m_state.get());
  }
}

CancelDeferred::CancelDeferred() : m_state(t_current) {
  if (m_state) {
    m_target = m_state->exchange_target(nullptr);
  }
}

CancelDeferred::~CancelDeferred() {
  if (m_state) {
    (void)m_state->exchange_target(m_target);
  }
}

bool request_cancel() noexcept {
  const std::lock_guard<std::mutex> guard(g_mutex);
  for (CancelState* state : g_live) {
    state->request();
  }
  return g_scopes > 0;
}

bool cancel_requested() noexcept { return t_current && t_current->requested(); }

CancelHandle current_run() noexcept { return t_current; }

void request_cancel(const CancelHandle& run) noexcept {
  if (run) {
    run->request();
  }
}

}  // namespace retort::runner
