// The small JSON documents of the tree: round trips of every field, and foreign data reported by
// znode.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "config/assignment_data.hpp"
#include "config/cordon_data.hpp"
#include "config/event_data.hpp"
#include "config/pause_data.hpp"
#include "config/switchover_data.hpp"
#include "config/create_lock_data.hpp"
#include "config/election_data.hpp"
#include "config/host_data.hpp"
#include "config/lock_contender_data.hpp"
#include "config/logical_service_data.hpp"
#include "config/persistent_service_data.hpp"
#include "config/resource_lock_data.hpp"
#include "config/physical_service_data.hpp"
#include "config/root_data.hpp"
#include "config/status_data.hpp"

namespace sm::config {
namespace {

const std::string kUuid = "0f8fad5b-d9cb-469f-a165-70867728950e";
const std::string kZ = "/fed/x";

template <class T, class Decode>
T roundTrip(const std::string& encoded, Decode decode) {
  EXPECT_EQ(nlohmann::json::parse(encoded)["format"], 1) << encoded;
  auto r = decode(encoded, kZ);
  if (!r) ADD_FAILURE() << r.errorText();
  return r ? r.value() : T{};
}

TEST(Documents, RootRoundTrip) {
  const RootData d{"prod-eu"};
  EXPECT_EQ(roundTrip<RootData>(encodeRootData(d), decodeRootData), d);
  EXPECT_EQ(encodeRootData(d), R"({"format":1,"federation":"prod-eu"})");
}

TEST(Documents, LogicalServiceRoundTrip) {
  const LogicalServiceData d{kUuid, 1700000000123};
  EXPECT_EQ(roundTrip<LogicalServiceData>(encodeLogicalServiceData(d), decodeLogicalServiceData),
            d);
}

TEST(Documents, PhysicalServiceRoundTripEveryState) {
  for (auto state : {PhysicalState::Starting, PhysicalState::Running, PhysicalState::Stopping,
                     PhysicalState::Restarting}) {
    const PhysicalServiceData d{"h1",          4242, {{"http", 8080}, {"admin", 9090}},
                                1700000000456, 3,    state};
    EXPECT_EQ(
        roundTrip<PhysicalServiceData>(encodePhysicalServiceData(d), decodePhysicalServiceData), d);
  }
  EXPECT_EQ(parsePhysicalState("running"), PhysicalState::Running);
  EXPECT_FALSE(parsePhysicalState("dead"));
}

TEST(Documents, PersistentServiceRoundTripEveryState) {
  for (auto state : {PersistentState::Running, PersistentState::Stopped, PersistentState::Lost,
                     PersistentState::Abandoned, PersistentState::Purging}) {
    const PersistentServiceData d{3,     "h1", "/var/lib/servicesmgr/db/" + std::string(kUuid),
                                  {{"http", 8080}}, 2, 1700000000000, 1700000000100,
                                  1700000000200, 1700000000300, state};
    EXPECT_EQ(roundTrip<PersistentServiceData>(encodePersistentServiceData(d),
                                               decodePersistentServiceData),
              d);
  }
  EXPECT_FALSE(parsePersistentState("dead"));
}

TEST(Documents, GarbageInAPersistentServiceNodeIsReportedFieldByField) {
  EXPECT_EQ(decodePersistentServiceData(
                R"({"format":1,"logical":-1,"host":"h1","dataDir":"relative","generation":1,)"
                R"("created":0,"state":"gone"})",
                kZ)
                .errorText(),
            "/fed/x: logical: must be an integer >= 0, got -1\n"
            "/fed/x: dataDir: must be an absolute path, got \"relative\"\n"
            "/fed/x: state: must be one of running, stopped, lost, abandoned, purging, got "
            "\"gone\"\n");
  EXPECT_FALSE(decodePersistentServiceData("not json", kZ));
}

TEST(Documents, ResourceLockRoundTripAndGarbage) {
  ResourceLockData d{"Worker", 3, kUuid, "h2", 4242, 1700000000000, std::nullopt};
  EXPECT_EQ(roundTrip<ResourceLockData>(encodeResourceLockData(d), decodeResourceLockData), d);
  d.heldSince = 1700000000123;
  EXPECT_EQ(roundTrip<ResourceLockData>(encodeResourceLockData(d), decodeResourceLockData), d);
  EXPECT_EQ(decodeResourceLockData(
                R"({"format":1,"type":"a/b","logical":1,"uuid":"x","host":"h1","pid":0,)"
                R"("queued":1,"later":true})",
                kZ)
                .errorText(),
            "/fed/x: type: may contain only letters, digits, '.', '_' and '-', got \"a/b\"\n"
            "/fed/x: uuid: must be a lowercase uuid (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx), got "
            "\"x\"\n"
            "/fed/x: pid: must be an integer >= 1, got 0\n");
  EXPECT_FALSE(decodeResourceLockData("not json", kZ));
}

TEST(Documents, CordonRoundTripAndGarbage) {
  const CordonData d{1700000000000, "disk swap"};
  EXPECT_EQ(roundTrip<CordonData>(encodeCordonData(d), decodeCordonData), d);
  EXPECT_EQ(decodeCordonData(R"({"format":1,"since":-5})", kZ).errorText(),
            "/fed/x: since: must be an integer >= 0, got -5\n");
}

TEST(Documents, DrainingCordonPauseAndSwitchoverRoundTrip) {
  const CordonData drain{1700000000000, "kernel", true, true};
  EXPECT_EQ(roundTrip<CordonData>(encodeCordonData(drain), decodeCordonData), drain);
  const PauseData pause{1700000000000, "disk repair"};
  EXPECT_EQ(roundTrip<PauseData>(encodePauseData(pause), decodePauseData), pause);
  SwitchoverData switchover{"3f2a0c1e-1b7d-4c1a-9d5e-0a1b2c3d4e5f", "from", 10, 20};
  switchover.force = true;
  switchover.reason = "servicesctl switchover --force";
  EXPECT_EQ(roundTrip<SwitchoverData>(encodeSwitchoverData(switchover), decodeSwitchoverData),
            switchover);
  EXPECT_EQ(decodeSwitchoverData(R"({"format":1,"target":"x","created":1,"deadline":2})", kZ)
                .errorText(),
            "/fed/x: target: must be a lowercase uuid (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx), got "
            "\"x\"\n");
}

TEST(Documents, EventRoundTripUnknownKeysAndGarbage) {
  using Events = std::vector<EventData>;
  EventData master{1700000000000, "h2", "master", "Demo", 1, kUuid, "told master", 7, 6, 12};
  EXPECT_EQ(roundTrip<Events>(encodeEventData(master), decodeEvents), Events{master});
  const EventData bare{1700000000000, "h1", "refused", "Demo", std::nullopt, "", "no feasible host",
                       std::nullopt, std::nullopt, std::nullopt};
  EXPECT_EQ(roundTrip<Events>(encodeEventData(bare), decodeEvents), Events{bare});
  EXPECT_EQ(encodeEventData(bare),
            R"({"format":1,"time":1700000000000,"host":"h1","kind":"refused","type":"Demo",)"
            R"("message":"no feasible host"})");
  // A newer daemon's field is ignored.
  auto newer = decodeEvents(R"({"format":1,"time":5,"kind":"x","reason":"later"})", kZ);
  ASSERT_TRUE(newer) << newer.errorText();
  EXPECT_EQ(newer.value().at(0).kind, "x");
  EXPECT_EQ(decodeEvents(R"({"format":1,"time":-1,"kind":"x"})", kZ).errorText(),
            "/fed/x: time: must be an integer >= 0, got -1\n");
  EXPECT_FALSE(decodeEvents(R"({"format":1,"time":1})", kZ));
  EXPECT_FALSE(decodeEvents("not json", kZ));
}

TEST(Documents, EventsWrittenTogetherShareANodeAndOneEventKeepsItsOwnForm) {
  using Events = std::vector<EventData>;
  const EventData placed{1700000000000, "h1",     "placed",     "Demo",       1,
                         kUuid,         "placed", std::nullopt, std::nullopt, std::nullopt};
  const EventData master{1700000000001, "h1", "master", "Demo", 1, kUuid, "told master", 7, 6, 12};
  EXPECT_EQ(roundTrip<Events>(encodeEvents({placed, master}), decodeEvents),
            (Events{placed, master}));
  EXPECT_EQ(encodeEvents({placed}), encodeEventData(placed));
  // One bad event refuses its node, named with the event's place.
  EXPECT_EQ(
      decodeEvents(R"({"format":1,"events":[{"time":1,"kind":"x"},{"time":-1,"kind":"y"}]})", kZ)
          .errorText(),
      "/fed/x: events[1].time: must be an integer >= 0, got -1\n");
  EXPECT_FALSE(decodeEvents(R"({"format":1,"events":{"time":1,"kind":"x"}})", kZ));
  EXPECT_FALSE(decodeEvents(R"({"format":1,"events":[{"kind":"x"}]})", kZ));
}

TEST(Documents, AHostsAssignmentsOfATypeShareANodeEachLogicalServiceOnce) {
  AssignmentsData named;
  named.named[3] = {1700000000000, 0, 0};
  named.named[12] = {1700000000001, 3000, 1};
  EXPECT_EQ(roundTrip<AssignmentsData>(encodeAssignmentsData(named), decodeAssignmentsData), named);
  EXPECT_EQ(roundTrip<AssignmentsData>(encodeAssignmentsData({}), decodeAssignmentsData),
            AssignmentsData{});
  // A bad entry refuses the node, named with the entry's place.
  EXPECT_EQ(
      decodeAssignmentsData(R"({"format":1,"named":[{"logicalService":1,"assigned":1,"delayMs":0},)"
                            R"({"logicalService":2,"assigned":1,"delayMs":-5}]})",
                            kZ)
          .errorText(),
      "/fed/x: named[1].delayMs: must be an integer >= 0, got -5\n");
  EXPECT_EQ(
      decodeAssignmentsData(R"({"format":1,"named":[{"logicalService":1,"assigned":1,"delayMs":0},)"
                            R"({"logicalService":1,"assigned":2,"delayMs":0}]})",
                            kZ)
          .errorText(),
      "/fed/x: named[1].logicalService: logical service 1 is named twice\n");
  EXPECT_FALSE(decodeAssignmentsData(R"({"format":1})", kZ));
  EXPECT_FALSE(decodeAssignmentsData(R"({"format":1,"named":[{"assigned":1,"delayMs":0}]})", kZ));
}

TEST(Documents, ElectionRoundTrip) {
  const ElectionData d{kUuid, "h2"};
  EXPECT_EQ(roundTrip<ElectionData>(encodeElectionData(d), decodeElectionData), d);
  EXPECT_EQ(encodeElectionData(d).find("round"), std::string::npos) << "plain without scores";
}

TEST(Documents, ElectionWithPromotionScoresRoundTrips) {
  ElectionData scored{kUuid, "h2"};
  scored.round = 7;
  scored.score = -42;
  scored.scoredAt = 1700000000000;
  scored.master = true;
  EXPECT_EQ(roundTrip<ElectionData>(encodeElectionData(scored), decodeElectionData), scored);
  ElectionData failed{kUuid, "h2"};
  failed.round = 0;
  failed.scoreError = "score hook failed: exit 3";
  failed.held = "it has score 1, 999 below the best seen (1000): more than maxLag 10";
  EXPECT_EQ(roundTrip<ElectionData>(encodeElectionData(failed), decodeElectionData), failed);
  // A score no JSON reader holds exactly is refused.
  EXPECT_FALSE(decodeElectionData(R"({"format":1,"physical":")" + kUuid +
                                      R"(","host":"h","score":9007199254740993})",
                                  kZ));
}

TEST(Documents, FederationNameFromRoot) {
  EXPECT_EQ(federationName(Layout("/a/prod-1")), "prod-1");
  EXPECT_EQ(federationName(Layout("/a/not valid")), "servicesmgr");
}

TEST(Documents, HostRoundTrip) {
  const HostData d{{{"zone", "a"}, {"disk", "ssd"}},
                   {8, 32768, 1024},
                   1.25,
                   7,
                   "0.1.0",
                   1700000000789,
                   {},
                   "10.0.0.7"};
  EXPECT_EQ(roundTrip<HostData>(encodeHostData(d), decodeHostData), d);
  // Cooldowns are optional: written only when there are some, read back when present.
  EXPECT_EQ(encodeHostData(d).find("cooldowns"), std::string::npos);
  HostData cooling = d;
  cooling.cooldowns = {{"DataServer", 1700000060000, "crash loop: 5 exits in 60 s"}};
  EXPECT_EQ(roundTrip<HostData>(encodeHostData(cooling), decodeHostData), cooling);
}

TEST(Documents, CreateLockRoundTrip) {
  const CreateLockData d{"/fed/config/A/logicalService0000000001"};
  EXPECT_EQ(roundTrip<CreateLockData>(encodeCreateLockData(d), decodeCreateLockData), d);
}

TEST(Documents, LockContenderRoundTripWithAndWithoutScore) {
  const LockContenderData withScore{"h3", -0.75};
  EXPECT_EQ(
      roundTrip<LockContenderData>(encodeLockContenderData(withScore), decodeLockContenderData),
      withScore);
  const LockContenderData without{"h3", std::nullopt};
  EXPECT_EQ(roundTrip<LockContenderData>(encodeLockContenderData(without), decodeLockContenderData),
            without);
  EXPECT_EQ(encodeLockContenderData(without), R"({"format":1,"host":"h3"})");
}

TEST(Documents, StatusRoundTrip) {
  const StatusData d{
      1700000001000,
      3,
      1,
      "no feasible host",
      {{"h1", "maxPerHost 1 reached"}, {"h2", "denyHosts matches \"h2\""}},
      {{1700000000000, "h1", "exited with status 1"}, {1700000000500, "h3", "crash loop"}}};
  EXPECT_EQ(roundTrip<StatusData>(encodeStatusData(d), decodeStatusData), d);
  const StatusData empty{};
  EXPECT_EQ(roundTrip<StatusData>(encodeStatusData(empty), decodeStatusData), empty);
}

TEST(Documents, NewerWritersMayAddFields) {
  auto r = decodeElectionData(
      R"({"format":1,"physical":")" + kUuid + R"(","host":"h1","priority":5})", kZ);
  ASSERT_TRUE(r) << r.errorText();
  EXPECT_EQ(r.value().host, "h1");
}

TEST(Documents, ForeignDataIsReportedNeverThrown) {
  EXPECT_EQ(decodeRootData("", kZ).errorText(), "/fed/x: no data (expected a JSON document)\n");
  EXPECT_EQ(decodeRootData("{", kZ).errorText(),
            "/fed/x: invalid JSON: parse error at line 1, column 2: syntax error while parsing "
            "object key - "
            "unexpected end of input; expected string literal\n");
  EXPECT_EQ(decodeLogicalServiceData(R"({"format":1,"uuid":"nope","created":-5})", kZ).errorText(),
            "/fed/x: uuid: must be a lowercase uuid (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx), got "
            "\"nope\"\n"
            "/fed/x: created: must be an integer >= 0, got -5\n");
  EXPECT_EQ(
      decodePhysicalServiceData(
          R"({"format":1,"host":"h1","pid":-1,"ports":{"http":70000,"a-b":1},"started":1,"generation":1,)"
          R"("state":"zombie"})",
          kZ)
          .errorText(),
      "/fed/x: pid: must be an integer >= 0, got -1\n"
      "/fed/x: ports.a-b: bad key: may contain only letters, digits and '_' (it becomes the "
      "variable "
      "SM_PORT_<NAME>)\n"
      "/fed/x: ports.http: must be an integer <= 65535, got 70000\n"
      "/fed/x: state: must be one of starting, running, stopping, restarting, got \"zombie\"\n");
  EXPECT_EQ(decodePhysicalServiceData(R"({"format":1})", kZ).errors().size(), 6u);
  EXPECT_EQ(
      decodeHostData(R"({"format":1,"labels":{"zone":[1]},"capacity":[],"load":"high","running":1,)"
                     R"("version":"x","started":1})",
                     kZ)
          .errorText(),
      "/fed/x: labels.zone: must be a string or another scalar, got a sequence\n"
      "/fed/x: capacity: must be a mapping, got a sequence\n"
      "/fed/x: load: must be a number >= 0 and <= 1000000, got \"high\"\n");
  EXPECT_EQ(decodeCreateLockData(R"({"format":1,"logicalService":"relative"})", kZ).errorText(),
            "/fed/x: logicalService: must be absolute (start with '/'), got \"relative\"\n");
  EXPECT_EQ(
      decodeLockContenderData(R"({"format":1,"host":"../etc","score":"x"})", kZ).errorText(),
      "/fed/x: host: may contain only letters, digits, '.', '_' and '-', got \"../etc\"\n"
      "/fed/x: score: must be a number >= -1000000000000000 and <= 1000000000000000, got \"x\"\n");
  EXPECT_EQ(decodeStatusData(R"({"format":1,"updated":1,"wanted":1,"registered":0,"reason":"",)"
                             R"("hosts":[{"host":"h1"},7],"failures":{}})",
                             kZ)
                .errorText(),
            "/fed/x: hosts[0].reason: required field is missing\n"
            "/fed/x: hosts[1]: must be a mapping, got 7\n"
            "/fed/x: failures: must be a list, got a mapping\n");
  EXPECT_EQ(decodeElectionData(R"({"format":1,"physical":null,"host":"h"})", kZ).errorText(),
            "/fed/x: physical: must be a string, got null\n");
}

}  // namespace
}  // namespace sm::config
