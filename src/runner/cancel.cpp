// Process-wide cancellation state: one command runs at a time in a process.
#include "runner/cancel.hpp"

#include <atomic>
#include <mutex>

namespace retort::runner {

namespace {

std::mutex g_mutex;
driver::Connection* g_target = nullptr;  // guarded by g_mutex
std::atomic<int> g_scopes{0};
std::atomic<bool> g_requested{false};

}  // namespace

CancelScope::CancelScope() {
  g_requested = false;
  ++g_scopes;
}

CancelScope::~CancelScope() { --g_scopes; }

CancelTarget::CancelTarget(driver::Connection& connection) {
  const std::lock_guard<std::mutex> guard(g_mutex);
  g_target = &connection;
}

CancelTarget::~CancelTarget() {
  const std::lock_guard<std::mutex> guard(g_mutex);
  g_target = nullptr;
}

CancelDeferred::CancelDeferred() {
  const std::lock_guard<std::mutex> guard(g_mutex);
  m_target = g_target;
  g_target = nullptr;
}

CancelDeferred::~CancelDeferred() {
  const std::lock_guard<std::mutex> guard(g_mutex);
  g_target = m_target;
}

bool request_cancel() noexcept {
  g_requested = true;
  const std::lock_guard<std::mutex> guard(g_mutex);
  if (g_target != nullptr) {
    g_target->cancel();
  }
  return g_scopes > 0;
}

bool cancel_requested() noexcept { return g_requested; }

}  // namespace retort::runner
