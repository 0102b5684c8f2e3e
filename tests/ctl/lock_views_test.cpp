// `servicesctl get locks` and describe's Locks section (manager/ctl/lock_views.hpp): pure
// renderers.
#include <gtest/gtest.h>

#include "manager/ctl/lock_views.hpp"

namespace sm::ctl {
namespace {

const std::string kUuid = "0f8fad5b-d9cb-469f-a165-70867728950e";

model::ResourceLockContender contender(std::int64_t sequence, const std::string& type, const std::string& host,
                        std::int64_t pid, std::optional<std::int64_t> heldSince) {
  model::ResourceLockContender c;
  c.node = "lock-" + kUuid + "-000000000" + std::to_string(sequence);
  c.sequence = sequence;
  c.data = config::ResourceLockData{type, 2, kUuid, host, pid, 1000, heldSince};
  return c;
}

std::vector<model::ResourceLockView> sample() {
  model::ResourceLockView held{"nightly-job",
                {contender(7, "Locked", "h1", 4242, 60000 - 12000),
                 contender(8, "Other", "h2", 77, std::nullopt)}};
  model::ResourceLockContender bad;
  bad.node = "lock-" + kUuid + "-0000000003";
  bad.sequence = 3;
  bad.error = "/z/locks/resources/odd/x: pid: must be an integer >= 1, got 0";
  model::ResourceLockView odd{"odd", {bad}};
  return {held, odd};
}

TEST(LockViews, TableShowsHolderTokenWaitersAndHeldFor) {
  EXPECT_EQ(locksTable(sample(), 60000),
            "NAME          HOLDER           TOKEN   WAITERS   HELD-FOR\n"
            "nightly-job   Locked/h1/4242   7       1         12s\n"
            "odd           ?                3       0         -\n"
            "error: /z/locks/resources/odd/x: pid: must be an integer >= 1, got 0\n");
}

TEST(LockViews, JsonNamesHolderAndWaiters) {
  const auto doc = locksDocument(sample(), 60000);
  ASSERT_EQ(doc.size(), 2u);
  EXPECT_EQ(doc[0]["name"], "nightly-job");
  EXPECT_EQ(doc[0]["token"], 7);
  EXPECT_EQ(doc[0]["waiters"], 1);
  EXPECT_EQ(doc[0]["heldForMs"], 12000);
  EXPECT_EQ(doc[0]["holder"]["host"], "h1");
  EXPECT_EQ(doc[0]["holder"]["pid"], 4242);
  EXPECT_EQ(doc[0]["holder"]["logicalService"], "logicalService0000000002");
  EXPECT_EQ(doc[0]["waiting"][0]["type"], "Other");
  EXPECT_TRUE(doc[1]["holder"].contains("error"));
}

TEST(LockViews, DescribeSectionOnlyForTheTypesOwnLocks) {
  EXPECT_EQ(typeLocksSection(sample(), "Other", 60000),
            "Locks:\n"
            "  LOCK          PROCESS   STATE               TOKEN   HELD-FOR\n"
            "  nightly-job   h2/77     waiting (1 ahead)   -       -\n");
  EXPECT_EQ(typeLocksSection(sample(), "Nobody", 60000), "");
}

}  // namespace
}  // namespace sm::ctl
