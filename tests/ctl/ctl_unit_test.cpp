// The pure parts of servicesctl: apply plans and their diff, tables, get/describe renderers, the
// watch diff, readiness (wait --ready, apply --wait). No ZooKeeper.
#include <gtest/gtest.h>

#include "config/yaml_loader.hpp"
#include "manager/ctl/apply_plan.hpp"
#include "manager/ctl/describe_view.hpp"
#include "manager/ctl/get_views.hpp"
#include "manager/ctl/output_format.hpp"
#include "manager/ctl/readiness.hpp"
#include "manager/ctl/table.hpp"
#include "manager/ctl/tree.hpp"
#include "manager/ctl/watch_diff.hpp"
#include "tests/model/snapshot_builder.hpp"

namespace {

using namespace sm::ctl;
using sm::config::ServiceType;
using sm::daemon::testutil::SnapshotBuilder;
using sm::model::ClusterSnapshot;

ServiceType typeNamed(const std::string& name, std::int64_t replicas = 1) {
  ServiceType t;
  t.name = name;
  t.spec.command = {"/bin/" + name, "--flag"};
  t.spec.replicationCount = replicas;
  return t;
}

CurrentType storedAs(const ServiceType& t, std::int64_t generation, int version) {
  CurrentType c;
  c.version = version;
  c.stored = sm::config::StoredServiceType{t, generation};
  return c;
}

TEST(ApplyPlan, CreateChangeUnchangedAndGarbage) {
  auto a = typeNamed("A");
  EXPECT_EQ(planEntry(a, std::nullopt, false).action, PlanAction::Create);
  EXPECT_EQ(planEntry(a, std::nullopt, false).generation, 1);

  auto same = planEntry(a, storedAs(a, 4, 7), false);
  EXPECT_EQ(same.action, PlanAction::Unchanged);
  EXPECT_EQ(same.generation, 4);
  EXPECT_EQ(same.version, 7);

  auto changed = planEntry(typeNamed("A", 3), storedAs(a, 4, 7), false);
  EXPECT_EQ(changed.action, PlanAction::Update);
  EXPECT_EQ(changed.generation, 5);
  ASSERT_EQ(changed.changes.size(), 1u);
  EXPECT_EQ(changed.changes[0].path, "spec.replicationCount");
  EXPECT_EQ(changed.changes[0].before, "1");
  EXPECT_EQ(changed.changes[0].after, "3");

  CurrentType garbage;
  garbage.version = 2;
  garbage.problem = "/r/config/A: not JSON";
  garbage.garbageGeneration = 9;
  EXPECT_EQ(planEntry(a, garbage, false).action, PlanAction::Refuse);
  auto replaced = planEntry(a, garbage, true);
  EXPECT_EQ(replaced.action, PlanAction::Replace);
  EXPECT_EQ(replaced.generation, 10) << "a replacement keeps the generation growing";
  garbage.garbageGeneration.reset();
  EXPECT_EQ(planEntry(a, garbage, true).generation, 1);
}

TEST(ApplyPlan, DiffNamesEveryChangedLeaf) {
  auto before =
      nlohmann::ordered_json::parse(R"({"a":1,"env":{"X":"1","Y":"2"},"list":[1,2],"gone":true})");
  auto after =
      nlohmann::ordered_json::parse(R"({"a":1,"env":{"X":"9","Y":"2"},"list":[2,1],"new":"v"})");
  auto changes = diffDocuments(before, after, "spec");
  ASSERT_EQ(changes.size(), 4u);
  EXPECT_EQ(changes[0].path, "spec.env.X");
  EXPECT_EQ(changes[1].path, "spec.list");
  EXPECT_EQ(changes[2].path, "spec.gone");
  EXPECT_EQ(changes[2].after, "");
  EXPECT_EQ(changes[3].path, "spec.new");
  EXPECT_EQ(changes[3].before, "");
}

TEST(ApplyPlan, RenderedDiffAndOps) {
  sm::config::Layout layout("/fed");
  ApplyPlan plan;
  plan.missingKeyZnodes = {"/fed", "/fed/config"};
  plan.rootData = "{\"format\":1,\"federation\":\"fed\"}";
  plan.entries.push_back(planEntry(typeNamed("New"), std::nullopt, false));
  plan.entries.push_back(
      planEntry(typeNamed("Grown", 2), storedAs(typeNamed("Grown"), 1, 0), false));
  plan.entries.push_back(planEntry(typeNamed("Same"), storedAs(typeNamed("Same"), 3, 5), false));
  EXPECT_TRUE(plan.writes());
  EXPECT_FALSE(plan.refused());
  EXPECT_EQ(renderPlan(plan, true),
            "dry run: nothing is written\n"
            "would create key znodes: /fed, /fed/config\n"
            "New: would be created, generation 1\n"
            "Grown: would change, generation 1 -> 2\n"
            "  spec.replicationCount: 1 -> 2\n"
            "Same: unchanged, generation 3\n");
  EXPECT_EQ(renderPlan(plan, false),
            "created key znodes: /fed, /fed/config\n"
            "New: created, generation 1\n"
            "Grown: changed, generation 1 -> 2\n"
            "  spec.replicationCount: 1 -> 2\n"
            "Same: unchanged, generation 3\n");

  auto ops = planOps(plan, layout);
  ASSERT_EQ(ops.ops.size(), 5u);
  EXPECT_EQ(ops.ops[0].kind, sm::zk::Op::Kind::Create);
  EXPECT_EQ(ops.ops[0].data, plan.rootData);
  EXPECT_EQ(ops.ops[1].data, "");
  EXPECT_EQ(ops.ops[2].kind, sm::zk::Op::Kind::Create);
  EXPECT_EQ(ops.ops[2].path, "/fed/config/New");
  EXPECT_EQ(ops.ops[3].kind, sm::zk::Op::Kind::Set);
  EXPECT_EQ(ops.ops[3].version, 0);
  EXPECT_EQ(ops.ops[4].kind, sm::zk::Op::Kind::Check)
      << "unchanged types are version-checked, not written";
  EXPECT_EQ(ops.ops[4].version, 5);
  EXPECT_EQ(ops.entryOf[0], nullptr);
  EXPECT_EQ(ops.entryOf[3]->desired.name, "Grown");
}

TEST(ApplyPlan, NothingToWriteWhenAllUnchanged) {
  ApplyPlan plan;
  plan.entries.push_back(planEntry(typeNamed("Same"), storedAs(typeNamed("Same"), 3, 5), false));
  EXPECT_FALSE(plan.writes());
}

TEST(Tree, RemovesChildrenBeforeParentsAndAnElectionHighestSequenceFirst) {
  // Read sorted by name, the election's master (sequence 4) comes first; removed first, its
  // successor would be master for a moment while it still believed it was.
  TreeNode election{"election", "", false,
                    {{"lock-1111-0000000004", "", true, {}},
                     {"lock-9999-0000000005", "", true, {}},
                     {"lock-5555-0000000006", "", true, {}}}};
  TreeNode logical{"logicalService0000000000", "", false, {election, {"status", "", false, {}}}};
  std::vector<std::string> removed;
  for (const auto& op : removeSubtreeOps(logical, "/T/L")) {
    EXPECT_EQ(op.kind, sm::zk::Op::Kind::Remove);
    removed.push_back(op.path);
  }
  EXPECT_EQ(removed, (std::vector<std::string>{
                         "/T/L/election/lock-5555-0000000006", "/T/L/election/lock-9999-0000000005",
                         "/T/L/election/lock-1111-0000000004", "/T/L/election", "/T/L/status",
                         "/T/L"}));
}

TEST(Table, AlignsColumnsWithoutTrailingSpaces) {
  Table t({"NAME", "X", "LAST"});
  t.addRow({"long-name", "1", ""});
  t.addRow({"a", "22", "z"});
  EXPECT_EQ(t.render(), "NAME        X    LAST\nlong-name   1\na           22   z\n");
}

TEST(Table, AgesLikeKubectl) {
  EXPECT_EQ(formatAge(-5), "0s");
  EXPECT_EQ(formatAge(45'000), "45s");
  EXPECT_EQ(formatAge(312'000), "5m12s");
  EXPECT_EQ(formatAge(42 * 60'000), "42m");
  EXPECT_EQ(formatAge((5 * 60 + 3) * 60'000LL), "5h3m");
  EXPECT_EQ(formatAge(20 * 3'600'000LL), "20h");
  EXPECT_EQ(formatAge(76 * 3'600'000LL), "3d4h");
  EXPECT_EQ(formatAge(12 * 86'400'000LL), "12d");
  EXPECT_EQ(formatTime(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(oneLine("a\nb\x01", 10), "a\\nb\\x01");
}

TEST(OutputFormat, YamlQuotesStringsAndKeepsNumbers) {
  auto doc =
      nlohmann::ordered_json::parse(R"([{"name":"A","count":3,"ok":true,"n":null,"list":["1"]}])");
  EXPECT_EQ(toYaml(doc), "- name: \"A\"\n  count: 3\n  ok: true\n  n: ~\n  list:\n    - \"1\"\n");
}

// A snapshot as the reader would build it: type A (two logical services: one with a master and a
// secondary, one empty with a status), type Bad (garbage), two hosts (one garbage).
constexpr std::int64_t kNow = 1'700'000'000'000;
const sm::config::LogicalServiceId kA0{"A", 0};
const sm::config::LogicalServiceId kA1{"A", 1};
const std::string kMaster = "aaaaaaaa-0000-0000-0000-000000000001";
const std::string kSecondary = "aaaaaaaa-0000-0000-0000-000000000002";

sm::config::PhysicalServiceData instanceData(const std::string& host, std::int64_t pid,
                                             sm::config::PhysicalState state) {
  return sm::config::PhysicalServiceData{host, pid, {{"http", 8080}}, kNow - 65'000, 3, state};
}

SnapshotBuilder sampleBuilder() {
  auto a = sm::config::StoredServiceType{typeNamed("A", 2), 3};
  a.type.spec.serviceCount = 2;
  SnapshotBuilder builder;
  builder.type(a, 2)
      .logicalData(kA0, {"11111111-1111-1111-1111-111111111111", kNow - 3'600'000})
      .instance(kA0, kMaster, instanceData("ds1", 1234, sm::config::PhysicalState::Running))
      .instance(kA0, kSecondary, instanceData("ds2", 99, sm::config::PhysicalState::Starting))
      .electionFrom(kA0, 7)
      .logicalData(kA1, {"22222222-2222-2222-2222-222222222222", kNow - 120'000})
      .status(kA1, sm::config::StatusData{kNow,
                                          2,
                                          0,
                                          "no feasible host",
                                          {{"ds3", "denyHosts matches \"ds3\""}},
                                          {{kNow - 1000, "ds1", "exited with status 1"}}})
      .unreadableType("Bad", "/r/config/Bad: not valid JSON", 0)
      .host("ds1",
            sm::config::HostData{
                {{"zone", "a"}}, {2, 4096, 1024}, 0.5, 1, "0.1.0", kNow - 7'200'000, {}, ""})
      .unreadableHost("ds2", "/r/hosts/ds2: not valid JSON")
      .unreadableCordon("ds2");  // cordons/ds2 exists, whatever hosts/ds2 says
  return builder;
}

ClusterSnapshot sampleView() {
  return sampleBuilder().build();
}

TEST(GetViews, TypesTable) {
  EXPECT_EQ(renderGetTable(sampleView(), GetKind::Types, kNow),
            "NAME   GENERATION   SERVICES   INSTANCES   MASTERS   COMMAND\n"
            "A      3            2/2        2/4         1/2       /bin/A --flag\n"
            "Bad    ?            0/?        0/?         0/?       <invalid data, see below>\n"
            "error: /r/config/Bad: not valid JSON\n");
}

TEST(GetViews, LogicalPhysicalAndHostTables) {
  EXPECT_EQ(
      renderGetTable(sampleView(), GetKind::Logical, kNow),
      "TYPE   LOGICAL                    INSTANCES   MASTER     EPOCH   AGE   STATUS\n"
      "A      logicalService0000000000   2/2         ds1/1234   7       60m   -\n"
      "A      logicalService0000000001   0/2         -          -       2m    no feasible host\n");
  EXPECT_EQ(renderGetTable(sampleView(), GetKind::Physical, kNow),
            "TYPE   LOGICAL                    UUID                                   HOST   PID   "
            " STATE      ROLE"
            "        EPOCH   GENERATION   UPTIME\n"
            "A      logicalService0000000000   aaaaaaaa-0000-0000-0000-000000000001   ds1    1234  "
            " running    master"
            "      7       3            65s\n"
            "A      logicalService0000000000   aaaaaaaa-0000-0000-0000-000000000002   ds2    99    "
            " starting   secondary"
            "   -       3            65s\n");
  EXPECT_EQ(renderGetTable(sampleView(), GetKind::Hosts, kNow),
            "HOST   CORDONED   RUNNING   LOAD   CPUS   MEMORY-MB   FREE-MB   VERSION   UPTIME   "
            "LABELS\n"
            "ds1    -          1         0.50   2      4096        1024      0.1.0     120m     "
            "zone=a\n"
            "ds2    yes        ?         ?      ?      ?           ?         ?         ?        "
            "<invalid data, see below>\n"
            "error: /r/hosts/ds2: not valid JSON\n");
}

TEST(GetViews, JsonKeepsTheBadTypeWithItsError) {
  auto doc = getDocument(sampleView(), GetKind::Types);
  ASSERT_EQ(doc.size(), 2u);
  EXPECT_EQ(doc[0]["generation"], 3);
  EXPECT_EQ(doc[0]["spec"]["replicationCount"], 2);
  EXPECT_EQ(doc[1]["error"], "/r/config/Bad: not valid JSON");
  auto physical = getDocument(sampleView(), GetKind::Physical);
  EXPECT_EQ(physical[0]["role"], "master");
  EXPECT_EQ(physical[0]["epoch"], 7);
  EXPECT_TRUE(physical[1]["epoch"].is_null());
}

TEST(DescribeView, ShowsAPersistentTypesIdentitiesWithTheirStateAndData) {
  sm::config::PersistentServiceData lost;
  lost.logical = 1;
  lost.host = "ds2";
  lost.dataDir = "/var/lib/servicesmgr/A/aaaaaaaa-0000-0000-0000-000000000009";
  lost.state = sm::config::PersistentState::Lost;
  lost.lostSince = kNow - 20'000;
  const auto view =
      sampleBuilder()
          .identity("A", "aaaaaaaa-0000-0000-0000-000000000009", lost)
          .unreadableIdentity("A", "aaaaaaaa-0000-0000-0000-00000000000a", "/x: state: bad")
          .build();
  const auto text = renderDescribe(view, *view.type("A"), kNow);
  EXPECT_NE(text.find("Persistent instances:\n  TYPE   LOGICAL                    UUID"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  A      logicalService0000000001   aaaaaaaa-0000-0000-0000-000000000009   "
                      "ds2    lost    20s ago     /var/lib/servicesmgr/A/"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  error: /x: state: bad"), std::string::npos) << text;
  const auto without = sampleView();
  EXPECT_EQ(renderDescribe(without, *without.type("A"), kNow).find("Persistent"), std::string::npos)
      << "nothing about identities for a type that is not persistent";
}

TEST(DescribeView, ShowsSpecInstancesStatusAndEvents) {
  const auto view =
      sampleBuilder()
          .event(1, R"({"format":1,"type":"A","time":1700000000000,"host":"ds1","kind":"placed",)"
                    R"("logical":0,"uuid":"aaaaaaaa-0000-0000-0000-000000000001",)"
                    R"("message":"placed on ds1"})")
          .build();
  const auto text = renderDescribe(view, *view.type("A"), kNow);
  EXPECT_NE(
      text.find(
          "Name:         A\nGeneration:   3\nSpec:\n  serviceCount: 2\n  replicationCount: 2\n"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("  logicalService0000000000   instances 2/2, master ds1/1234, epoch 7\n"),
            std::string::npos);
  EXPECT_NE(text.find("      master      7       ds1    1234   running    3            65s      "
                      "aaaaaaaa-0000-0000-0000-000000000001\n"),
            std::string::npos)
      << text;
  EXPECT_NE(
      text.find("    Status: 0 of 2 registered: no feasible host (updated 2023-11-14T22:13:20Z)\n"
                "      ds3: denyHosts matches \"ds3\"\n"
                "    Recent failures:\n"
                "      2023-11-14T22:13:19Z   ds1   exited with status 1\n"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("Events:\n  TIME                   AGE   HOST   KIND     OBJECT         MESSAGE\n"
                      "  2023-11-14T22:13:20Z   0s    "),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("ds1    placed   A/0 aaaaaaaa   placed on ds1\n"), std::string::npos) << text;
  // Which events are the type's is the reader's choice (model_tree_reader); the view shows what it
  // is given, an undecodable one with its error.
  const auto garbage = sampleBuilder().event(3, "garbage").build();
  EXPECT_NE(renderDescribe(garbage, *garbage.type("A"), kNow)
                .find("event-0000000003   cannot be read: events: invalid JSON"),
            std::string::npos);

  const auto without = sampleView();
  const auto bad = renderDescribe(without, *without.type("Bad"), kNow);
  EXPECT_EQ(
      bad,
      "Name:         Bad\nSpec:         cannot be read\n  error: /r/config/Bad: not valid JSON\n"
      "Logical services: 0 of ?\nEvents: none\n");
}

TEST(WatchDiff, InitialStateThenChanges) {
  auto before = sampleView();
  auto initial = diffViews(ClusterSnapshot{}, before);
  ASSERT_FALSE(initial.empty());
  EXPECT_EQ(initial.front(), "type A created, generation 3");

  auto after = before;
  auto& l0 = after.types["A"].logical[0];
  // The master goes; the secondary, next in line, takes over.
  l0.physical.erase(kMaster);
  l0.election.erase(l0.election.begin());
  SnapshotBuilder::physical(after, kA0, kSecondary).data->state =
      sm::config::PhysicalState::Running;
  after.types["A"].stored->generation = 4;
  after.hosts.erase("ds2");
  EXPECT_EQ(diffViews(before, after),
            (std::vector<std::string>{
                "type A changed, generation 3 -> 4",
                "A/logicalService0000000000 instance down: ds1/1234 "
                "(aaaaaaaa-0000-0000-0000-000000000001)",
                "A/logicalService0000000000 instance ds2/99 "
                "(aaaaaaaa-0000-0000-0000-000000000002): starting -> running",
                "A/logicalService0000000000 master: ds2/99 (aaaaaaaa-0000-0000-0000-000000000002) "
                "epoch 8",
                "host ds2 down",
            }));
  EXPECT_TRUE(diffViews(after, after).empty()) << "no change, no line";
}

// sampleView() made ready: both instances of A/0 running, A/1 with a master and a secondary.
const std::string kMaster1 = "bbbbbbbb-0000-0000-0000-000000000001";
const std::string kSecondary1 = "bbbbbbbb-0000-0000-0000-000000000002";

SnapshotBuilder readyBuilder() {
  auto builder = sampleBuilder();
  builder.state(kA0, kSecondary, sm::config::PhysicalState::Running)
      .instance(kA1, kMaster1, instanceData("ds2", 1234, sm::config::PhysicalState::Running))
      .instance(kA1, kSecondary1, instanceData("ds1", 99, sm::config::PhysicalState::Running))
      .electionFrom(kA1, 3);
  return builder;
}

ClusterSnapshot readyView() {
  return readyBuilder().build();
}

TEST(Readiness, SaysWhatIsMissingPerLogicalService) {
  const auto r = assessType(sampleView(), "A");
  EXPECT_TRUE(r.exists);
  EXPECT_FALSE(r.ready());
  EXPECT_EQ(progressLine(r), "A: 0/2 logical services ready, 1/4 instances running");
  EXPECT_EQ(missingLines(r),
            (std::vector<std::string>{
                "A/logicalService0000000000: 1/2 instances running, 1 starting or stopping",
                "A/logicalService0000000001: 0/2 instances running, no master"}));
  EXPECT_EQ(endpointLines(r),
            std::vector<std::string>{"A/logicalService0000000000 master ds1 pid 1234 epoch 7 "
                                     "http=8080"});
}

TEST(Readiness, ReadyWhenEveryLogicalServiceHasItsReplicasAndAMaster) {
  const auto r = assessType(readyView(), "A");
  EXPECT_TRUE(r.ready()) << testing::PrintToString(missingLines(r));
  EXPECT_EQ(progressLine(r), "A: 2/2 logical services ready, 4/4 instances running");
  EXPECT_TRUE(missingLines(r).empty());
  EXPECT_EQ(endpointLines(r),
            (std::vector<std::string>{
                "A/logicalService0000000000 master ds1 pid 1234 epoch 7 http=8080",
                "A/logicalService0000000001 master ds2 pid 1234 epoch 3 http=8080"}));
}

TEST(Readiness, AnOlderGenerationOrAMasterNotRunningIsNotReady) {
  auto stale = readyBuilder().generation(kA1, kSecondary1, 2).build();
  auto r = assessType(stale, "A");
  EXPECT_FALSE(r.ready());
  EXPECT_EQ(missingLines(r),
            std::vector<std::string>{"A/logicalService0000000001: 1/2 instances running, 1 "
                                     "instance of an older generation"});

  auto stopping = readyBuilder().state(kA0, kMaster, sm::config::PhysicalState::Stopping).build();
  r = assessType(stopping, "A");
  EXPECT_FALSE(r.ready());
  EXPECT_EQ(missingLines(r), std::vector<std::string>{
                                 "A/logicalService0000000000: 1/2 instances running, 1 starting "
                                 "or stopping, no master"});

  auto surplus = readyBuilder()
                     .instance(kA0, "aaaaaaaa-0000-0000-0000-000000000003",
                               instanceData("ds2", 100, sm::config::PhysicalState::Running))
                     .build();
  EXPECT_FALSE(assessType(surplus, "A").ready()) << "3 running where 2 are wanted";
}

TEST(Readiness, CountsLogicalServicesAgainstServiceCount) {
  auto fewer = readyView();
  fewer.types["A"].logical.erase(1);
  auto r = assessType(fewer, "A");
  EXPECT_FALSE(r.ready());
  EXPECT_EQ(progressLine(r), "A: 1/2 logical services ready, 2/4 instances running");
  EXPECT_EQ(missingLines(r), std::vector<std::string>{"A: 1 of 2 logical services exist"});

  auto more = readyView();
  more.types["A"].stored->type.spec.serviceCount = 1;
  r = assessType(more, "A");
  EXPECT_FALSE(r.ready());
  EXPECT_EQ(missingLines(r),
            std::vector<std::string>{"A: 2 logical services, 1 wanted: the surplus is still being "
                                     "removed"});
}

TEST(Readiness, MissingOrUnreadableType) {
  auto r = assessType(sampleView(), "Nope");
  EXPECT_FALSE(r.exists);
  EXPECT_FALSE(r.ready());
  EXPECT_EQ(missingLines(r), std::vector<std::string>{"Nope: the service type does not exist"});
  r = assessType(sampleView(), "Bad");
  EXPECT_FALSE(r.ready());
  EXPECT_EQ(missingLines(r),
            std::vector<std::string>{"Bad: config cannot be read: /r/config/Bad: not valid JSON"});
}

TEST(Readiness, EndpointUsesTheHostsAddress) {
  auto view = readyView();
  view.hosts.at("ds1").data->address = "10.0.0.5";
  EXPECT_EQ(endpointLines(assessType(view, "A")).front(),
            "A/logicalService0000000000 master ds1 address 10.0.0.5 pid 1234 epoch 7 "
            "http=10.0.0.5:8080");
}

TEST(Readiness, Durations) {
  EXPECT_EQ(parseDurationMs("90"), 90'000);
  EXPECT_EQ(parseDurationMs("90s"), 90'000);
  EXPECT_EQ(parseDurationMs("1.5s"), 1'500);
  EXPECT_EQ(parseDurationMs("500ms"), 500);
  EXPECT_EQ(parseDurationMs("2m"), 120'000);
  EXPECT_EQ(parseDurationMs("1h"), 3'600'000);
  for (const char* bad : {"", "s", "-1s", "0", "10x", " 5s", "inf", "0.1ms"}) {
    EXPECT_EQ(parseDurationMs(bad), std::nullopt) << bad;
  }
}

}  // namespace
