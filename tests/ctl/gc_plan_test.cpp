#include "manager/ctl/gc_plan.hpp"

#include <gtest/gtest.h>

#include "config/root_data.hpp"

namespace sm::ctl {
namespace {

TreeNode node(std::string name, std::vector<TreeNode> children = {}, std::string data = "") {
  return TreeNode{std::move(name), std::move(data), false, std::move(children)};
}

// /fed with types `types` (each with logicalService0000000000), monitor lock dirs `monitors`
// (with `contenders` queued in each), create-locks `creates`, `hosts` live hosts.
TreeNode federation(const std::vector<std::string>& types, const std::vector<std::string>& monitors,
                    const std::vector<std::string>& creates, int contenders = 0, int hosts = 0,
                    std::string data = "") {
  std::vector<TreeNode> typeNodes, monitorNodes, createNodes, hostNodes;
  for (const auto& t : types) typeNodes.push_back(node(t, {node("logicalService0000000000")}));
  std::vector<TreeNode> queue;
  for (int i = 0; i < contenders; ++i) queue.push_back(node("lock-" + std::to_string(i)));
  for (const auto& m : monitors) monitorNodes.push_back(node(m, queue));
  for (const auto& c : creates) createNodes.push_back(node(c, queue));
  for (int i = 0; i < hosts; ++i) hostNodes.push_back(node("h" + std::to_string(i)));
  return node("/fed",
              {node("config", typeNodes), node("hosts", hostNodes),
               node("locks", {node("createPhysicalService", createNodes),
                              node("serviceConfigMonitor", monitorNodes)})},
              std::move(data));
}

const config::Layout kLayout("/fed");

TEST(GcPlan, NothingToReapInATidyFederation) {
  const auto tree = federation({"web"}, {"web"}, {"web_logicalService0000000000"});
  EXPECT_TRUE(planGc(kLayout, tree).empty());
}

TEST(GcPlan, ReapsTheMonitorLockAndCreateLocksOfADeletedType) {
  const auto tree = federation({"web"}, {"web", "db"}, {"db_logicalService0000000003"});
  const auto items = planGc(kLayout, tree);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].path, "/fed/locks/serviceConfigMonitor/db");
  EXPECT_EQ(items[0].reason, "service type db was deleted");
  EXPECT_FALSE(items[0].kept);
  EXPECT_EQ(items[1].path, "/fed/locks/createPhysicalService/db_logicalService0000000003");
  EXPECT_FALSE(items[1].kept);
}

TEST(GcPlan, ReapsTheCreateLockOfARemovedLogicalService) {
  const auto tree = federation({"web"}, {}, {"web_logicalService0000000004"});
  const auto items = planGc(kLayout, tree);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].reason, "logical service logicalService0000000004 no longer exists");
}

TEST(GcPlan, KeepsLocksWithContendersAndNamesItDoesNotKnow) {
  const auto tree = federation({}, {"db"}, {"db_logicalService0000000000", "garbage"}, 2);
  const auto items = planGc(kLayout, tree);
  ASSERT_EQ(items.size(), 3u);
  for (const auto& item : items) EXPECT_TRUE(item.kept) << item.path;
  EXPECT_NE(items[0].reason.find("2 contender(s) still queue"), std::string::npos);
}

TEST(GcFederations, ReapsOnlyFederationsWithoutHostsAndTypes) {
  const auto rootDoc = config::encodeRootData({"x"});
  auto gone = federation({}, {"web"}, {}, 0, 0, rootDoc);
  gone.name = "gone";
  auto configured = federation({"web"}, {}, {}, 0, 0, rootDoc);
  configured.name = "configured";
  auto hosted = federation({}, {}, {}, 0, 2, rootDoc);
  hosted.name = "hosted";
  auto foreign = federation({}, {}, {}, 0, 0, "not ours");
  foreign.name = "foreign";
  const auto items =
      planFederationGc("/parent", node("/parent", {configured, foreign, gone, hosted}));
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0].path, "/parent/configured");
  EXPECT_TRUE(items[0].kept);
  EXPECT_EQ(items[1].path, "/parent/gone");
  EXPECT_FALSE(items[1].kept);
  EXPECT_EQ(items[1].reason, "federation gone: no live host and no service type");
  EXPECT_EQ(items[2].path, "/parent/hosted");
  EXPECT_TRUE(items[2].kept);
}

}  // namespace
}  // namespace sm::ctl
