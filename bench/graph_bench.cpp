// Hot functions of the revision graph at 10,000 revisions: build and validate, resolve a
// target, plan base -> head. Linear histories and branchy ones with merges.
#include "graph/revision_map.hpp"

#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

namespace {

using retort::graph::Revision;
using retort::graph::RevisionMap;

std::string id_of(std::size_t index) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%012zx", index * 2654435761U % 0xffffffffffffU);
  return buffer;
}

// A single line of n revisions.
std::vector<Revision> linear(std::size_t count) {
  std::vector<Revision> out;
  out.reserve(count);
  for (std::size_t rev_idx = 0; rev_idx < count; ++rev_idx) {
    Revision revision;
    revision.id = id_of(rev_idx);
    if (rev_idx > 0) {
      revision.down_revisions.push_back(id_of(rev_idx - 1));
    }
    revision.message = "revision " + std::to_string(rev_idx);
    out.push_back(std::move(revision));
  }
  return out;
}

// Branches of a few revisions that fork from the trunk and merge back, as teams produce them.
std::vector<Revision> branchy(std::size_t count) {
  std::vector<Revision> out;
  out.reserve(count);
  std::mt19937 rng(42);
  std::string trunk;
  std::size_t rev_idx = 0;
  auto add = [&](std::vector<std::string> parents) {
    Revision revision;
    revision.id = id_of(rev_idx++);
    revision.down_revisions = std::move(parents);
    revision.message = "revision";
    out.push_back(revision);
    return revision.id;
  };
  trunk = add({});
  while (rev_idx + 8 < count) {
    const std::string fork = trunk;
    std::string left = fork;
    std::string right = fork;
    const std::size_t length = 1 + rng() % 3;
    for (std::size_t step = 0; step < length; ++step) {
      left = add({left});
      right = add({right});
    }
    trunk = add({left, right});
  }
  while (rev_idx < count) {
    trunk = add({trunk});
  }
  return out;
}

void BM_BuildLinear(benchmark::State& state) {
  const auto revisions = linear(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    auto map = RevisionMap::build(revisions);
    benchmark::DoNotOptimize(map.ok());
  }
}
BENCHMARK(BM_BuildLinear)->Arg(10'000)->Unit(benchmark::kMillisecond);

void BM_BuildBranchy(benchmark::State& state) {
  const auto revisions = branchy(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    auto map = RevisionMap::build(revisions);
    benchmark::DoNotOptimize(map.ok());
  }
}
BENCHMARK(BM_BuildBranchy)->Arg(10'000)->Unit(benchmark::kMillisecond);

void BM_ResolvePrefix(benchmark::State& state) {
  auto map = RevisionMap::build(linear(10'000));
  const std::string prefix = id_of(5'000).substr(0, 8);
  for (auto _ : state) {
    auto resolved = map->resolve(prefix);
    benchmark::DoNotOptimize(resolved.ok());
  }
}
BENCHMARK(BM_ResolvePrefix)->Unit(benchmark::kMicrosecond);

void BM_ResolveRelative(benchmark::State& state) {
  auto map = RevisionMap::build(linear(10'000));
  const std::vector<std::string> current{id_of(9'000)};
  for (auto _ : state) {
    auto resolved = map->resolve("-500", current);
    benchmark::DoNotOptimize(resolved.ok());
  }
}
BENCHMARK(BM_ResolveRelative)->Unit(benchmark::kMicrosecond);

void BM_PlanBaseToHeadLinear(benchmark::State& state) {
  auto map = RevisionMap::build(linear(10'000));
  for (auto _ : state) {
    auto plan = map->plan_upgrade({}, "heads");
    benchmark::DoNotOptimize(plan.ok());
  }
}
BENCHMARK(BM_PlanBaseToHeadLinear)->Unit(benchmark::kMillisecond);

void BM_PlanBaseToHeadBranchy(benchmark::State& state) {
  auto map = RevisionMap::build(branchy(10'000));
  for (auto _ : state) {
    auto plan = map->plan_upgrade({}, "heads");
    benchmark::DoNotOptimize(plan.ok());
  }
}
BENCHMARK(BM_PlanBaseToHeadBranchy)->Unit(benchmark::kMillisecond);

void BM_PlanNothingPending(benchmark::State& state) {
  auto map = RevisionMap::build(linear(10'000));
  const std::vector<std::string> current = map->heads();
  for (auto _ : state) {
    auto plan = map->plan_upgrade(current, "heads");
    benchmark::DoNotOptimize(plan.ok());
  }
}
BENCHMARK(BM_PlanNothingPending)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
