// Sharding by the fixed 64-bit FNV-1a of the tenant id: the published test vectors, and for
// 10,000 ids every shard count of the Kubernetes recipe splits them disjoint, complete,
// independent of order and balanced.
#include "retort/fleet.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace retort {
namespace {

TEST(FleetShard, Fnv1a64MatchesThePublishedVectors) {
  // From the reference (Fowler, Noll, Vo): any change here moves tenants between shards.
  EXPECT_EQ(fnv1a_64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(fnv1a_64("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(fnv1a_64("foobar"), 0x85944171f73967e8ULL);
}

std::vector<std::string> tenant_ids(int count) {
  std::vector<std::string> ids;
  ids.reserve(static_cast<std::size_t>(count));
  for (int n = 0; n < count; ++n) {
    ids.push_back("tenant_" + std::to_string(n));
  }
  return ids;
}

// The ids of shard `index`, taking them in the given order.
std::vector<std::string> shard(const std::vector<std::string>& ids, int index, int count) {
  std::vector<std::string> kept;
  for (const std::string& id : ids) {
    if (shard_of(id, count) == index) {
      kept.push_back(id);
    }
  }
  return kept;
}

TEST(FleetShard, TenThousandIdsSplitDisjointCompleteOrderFreeAndBalanced) {
  const std::vector<std::string> ids = tenant_ids(10000);
  std::vector<std::string> shuffled = ids;
  std::mt19937 rng(22);
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  for (const int count : {1, 3, 7, 16}) {
    SCOPED_TRACE("S = " + std::to_string(count));
    std::multiset<std::string> seen;
    std::size_t largest = 0;
    for (int index = 0; index < count; ++index) {
      std::vector<std::string> part = shard(ids, index, count);
      std::vector<std::string> part_shuffled = shard(shuffled, index, count);
      std::sort(part.begin(), part.end());
      std::sort(part_shuffled.begin(), part_shuffled.end());
      EXPECT_EQ(part, part_shuffled) << "shard " << index << " depends on the order";
      largest = std::max(largest, part.size());
      seen.insert(part.begin(), part.end());
    }
    EXPECT_EQ(seen.size(), ids.size());  // complete, and with the next line, disjoint
    EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), ids.size());
    const double mean = static_cast<double>(ids.size()) / count;
    EXPECT_LE(static_cast<double>(largest), 1.2 * mean) << "largest shard " << largest;
  }
}

TEST(FleetShard, OneShardKeepsEveryTenant) {
  for (const std::string& id : tenant_ids(100)) {
    EXPECT_EQ(shard_of(id, 1), 0);
  }
}

TEST(FleetResults, StatusWordsReadBack) {
  for (const TenantStatus status :
       {TenantStatus::applied, TenantStatus::current, TenantStatus::pending, TenantStatus::failed,
        TenantStatus::busy, TenantStatus::skipped, TenantStatus::stopped}) {
    EXPECT_EQ(parse_tenant_status(to_string(status)), status);
  }
  EXPECT_EQ(parse_tenant_status("done"), std::nullopt);
}

TEST(FleetResults, ExitCodeIsOneForAnyFailureThreeForOnlyBusy) {
  FleetResult result;
  result.command = "upgrade";
  result.tenants.resize(3);
  result.tenants[0].status = TenantStatus::applied;
  result.tenants[1].status = TenantStatus::current;
  result.tenants[2].status = TenantStatus::current;
  EXPECT_EQ(result.exit_code(), ExitCode::ok);
  result.tenants[2].status = TenantStatus::busy;
  EXPECT_EQ(result.exit_code(), ExitCode::lock_busy);
  result.tenants[1].status = TenantStatus::failed;
  EXPECT_EQ(result.exit_code(), ExitCode::failed);
  result.command = "check";
  result.tenants = {TenantResult{}};
  result.tenants[0].status = TenantStatus::pending;
  EXPECT_EQ(result.exit_code(), ExitCode::failed);
}

}  // namespace
}  // namespace retort
