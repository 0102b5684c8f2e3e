// servicesctl as a user runs it: the real binary, a real ZooKeeper server, exit codes and output.
#include <signal.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "config/election_data.hpp"
#include "config/host_data.hpp"
#include "config/layout.hpp"
#include "config/logical_service_data.hpp"
#include "config/persistent_service_data.hpp"
#include "config/physical_service_data.hpp"
#include "config/status_data.hpp"
#include "config/yaml_loader.hpp"
#include "manager/ctl/apply_executor.hpp"
#include "manager/ctl/cli_error.hpp"
#include "manager/ctl/tree.hpp"
#include "tests/ctl/ctl_runner.hpp"
#include "tests/support/wait_for.hpp"
#include "tests/support/zookeeper_fixture.hpp"

namespace {

using namespace std::chrono_literals;
using sm::test::CtlResult;
using sm::test::readFile;
using sm::test::runCtl;
using sm::test::waitFor;
using sm::test::writeFile;

constexpr const char* kNow = "1700000000000";

std::string typeDoc(const std::string& name, int replicas, const std::string& extra = "") {
  return "apiVersion: servicesmgr/v1\nkind: ServiceType\nmetadata:\n  name: " + name +
         "\nspec:\n  replicationCount: " + std::to_string(replicas) + "\n  command: [\"/bin/" +
         name + "\", \"--x\"]\n" + extra;
}

const std::string kTwoTypes =
    "---\n" + typeDoc("Alpha", 3) + "---\n" + typeDoc("Beta", 1, "  serviceCount: 2\n");

class CtlTest : public sm::test::ZooKeeperTest {
 protected:
  void SetUp() override {
    ZooKeeperTest::SetUp();
    fedRoot_ = path("fed");
    layout_.emplace(fedRoot_);
    dir_ = std::filesystem::temp_directory_path() / ("sm-ctl-files-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
    ZooKeeperTest::TearDown();
  }

  const sm::config::Layout& layout() const { return *layout_; }

  CtlResult ctl(std::vector<std::string> args, const std::string& stdinText = "") {
    args.insert(args.begin(), {"--zk", hosts(), "--root", fedRoot_});
    return runCtl(args, stdinText, {std::string("SERVICESMGR_TEST_NOW_MS=") + kNow});
  }

  std::string file(const std::string& name, const std::string& text) {
    auto p = dir_ / name;
    writeFile(p, text);
    return p.string();
  }

  // Every node under the test's root with its data and version: equal dumps mean an unchanged tree.
  std::string dump() {
    std::string out;
    dumpInto(root(), out);
    return out;
  }
  void dumpInto(const std::string& p, std::string& out) {
    auto node = session_->get(p);
    if (!node) return;
    out += p + " v" + std::to_string(node->stat.version) + " " + node->data + "\n";
    auto children = session_->children(p);
    std::sort(children->begin(), children->end());
    for (const auto& c : *children) dumpInto(p + "/" + c, out);
  }

  std::int64_t generationOf(const std::string& type) {
    auto node = session_->get(layout().serviceType(type));
    auto decoded = sm::config::decodeServiceType(node->data, layout().serviceType(type));
    return decoded ? decoded.value().generation : -1;
  }

  // What a manager would register: a logical service with two instances (the first is master), a
  // status, and a host. Ephemeral nodes belong to `owner`.
  void registerInstances(sm::zk::Session& owner, const std::string& type) {
    using namespace sm::config;
    const std::int64_t now = std::atoll(kNow);
    auto created = session_->create(
        layout().logicalServicePrefix(type),
        encodeLogicalServiceData({"11111111-1111-4111-8111-111111111111", now - 3'600'000}),
        sm::zk::CreateMode::PersistentSequential);
    LogicalServiceId id = *layout().parseLogicalServicePath(created);
    session_->create(layout().physicalServicesDir(id), "");
    session_->create(layout().electionDir(id), "");
    session_->create(
        layout().status(id),
        encodeStatusData(
            {now, 3, 2, "no feasible host", {{"ds3", "denyHosts matches \"ds3\""}}, {}}));
    const std::string uuids[] = {"aaaaaaaa-0000-4000-8000-000000000001",
                                 "aaaaaaaa-0000-4000-8000-000000000002"};
    const std::string hostsOf[] = {"ds1", "ds2"};
    for (int i = 0; i < 2; ++i) {
      owner.create(layout().physicalService({id, uuids[i]}),
                   encodePhysicalServiceData({hostsOf[i],
                                              1000 + i,
                                              {{"http", 8080 + i}},
                                              now - 65'000,
                                              1,
                                              PhysicalState::Running}),
                   sm::zk::CreateMode::Ephemeral);
      owner.create(layout().electionMemberPrefix({id, uuids[i]}),
                   encodeElectionData({uuids[i], hostsOf[i]}),
                   sm::zk::CreateMode::EphemeralSequential);
    }
    owner.create(layout().host("ds1"),
                 encodeHostData(
                     {{{"zone", "a"}}, {2, 4096, 1024}, 0.5, 2, "0.1.0", now - 7'200'000, {}, ""}),
                 sm::zk::CreateMode::Ephemeral);
  }

  void expectGolden(const std::string& name, const std::string& actual) {
    const auto p = std::filesystem::path(SM_CTL_GOLDEN_DIR) / name;
    if (std::getenv("SM_UPDATE_GOLDEN")) writeFile(p, actual);
    EXPECT_EQ(actual, readFile(p)) << "golden " << p << " (SM_UPDATE_GOLDEN=1 rewrites it)";
  }

  std::string fedRoot_;
  std::optional<sm::config::Layout> layout_;
  std::filesystem::path dir_;
};

TEST_F(CtlTest, ApplyCreatesKeyZnodesAndTypesThenIsANoOp) {
  const auto f = file("two.yaml", kTwoTypes);
  auto first = ctl({"apply", "-f", f});
  ASSERT_EQ(first.exitCode, 0) << first.err;
  EXPECT_EQ(first.out, "created key znodes: " + fedRoot_ + ", " + fedRoot_ + "/config, " +
                           fedRoot_ + "/locks, " + fedRoot_ + "/locks/serviceConfigMonitor, " +
                           fedRoot_ + "/locks/createPhysicalService, " + fedRoot_ + "/hosts, " +
                           fedRoot_ +
                           "/events, " + fedRoot_ + "/services\n"
                           "Alpha: created, generation 1\nBeta: created, generation 1\n");
  for (const auto& key : layout().keyZnodes()) EXPECT_TRUE(session_->exists(key)) << key;
  EXPECT_EQ(session_->get(fedRoot_)->data, R"({"format":1,"federation":"fed"})");
  EXPECT_EQ(generationOf("Alpha"), 1);

  const auto before = dump();
  auto second = ctl({"apply", "-f", f});
  ASSERT_EQ(second.exitCode, 0) << second.err;
  EXPECT_EQ(second.out, "Alpha: unchanged, generation 1\nBeta: unchanged, generation 1\n");
  EXPECT_EQ(dump(), before) << "a second apply writes nothing";
}

TEST_F(CtlTest, ChangedFieldBumpsGenerationAndDryRunWritesNothing) {
  ASSERT_EQ(ctl({"apply", "-f", file("a.yaml", kTwoTypes)}).exitCode, 0);
  const auto changed =
      file("b.yaml", "---\n" + typeDoc("Alpha", 5) + "---\n" +
                         typeDoc("Beta", 1, "  serviceCount: 2\n") + "---\n" + typeDoc("Gamma", 1));
  const auto before = dump();
  auto dry = ctl({"apply", "--dry-run", "-f", changed});
  ASSERT_EQ(dry.exitCode, 0) << dry.err;
  EXPECT_EQ(dry.out,
            "dry run: nothing is written\n"
            "Alpha: would change, generation 1 -> 2\n"
            "  spec.replicationCount: 3 -> 5\n"
            "Beta: unchanged, generation 1\n"
            "Gamma: would be created, generation 1\n");
  EXPECT_EQ(dump(), before);

  auto real = ctl({"apply", "-f", changed});
  ASSERT_EQ(real.exitCode, 0) << real.err;
  EXPECT_EQ(generationOf("Alpha"), 2);
  EXPECT_EQ(generationOf("Beta"), 1);
  EXPECT_EQ(generationOf("Gamma"), 1);
}

TEST_F(CtlTest, DigestCredentialsGuardWhatApplyWrites) {
  const auto f = file("two.yaml", kTwoTypes);
  auto applied = ctl({"--auth", "operator:s3cret", "apply", "-f", f});
  ASSERT_EQ(applied.exitCode, 0) << applied.err;
  auto acl = session_->getAcl(layout().serviceType("Alpha"));
  ASSERT_EQ(acl.size(), 2u);
  EXPECT_EQ(acl[0].scheme, "digest");
  EXPECT_EQ(acl[0].id.rfind("operator:", 0), 0u);
  EXPECT_EQ(acl[1], (sm::zk::Acl{sm::zk::perm::Read, "world", "anyone"}));

  const auto changed = file("b.yaml", "---\n" + typeDoc("Alpha", 5) + "---\n" + typeDoc("Beta", 1));
  const auto before = dump();
  auto anonymous = ctl({"apply", "-f", changed});
  EXPECT_EQ(anonymous.exitCode, 1) << anonymous.out;
  EXPECT_NE(anonymous.err.find("not authenticated"), std::string::npos) << anonymous.err;
  auto wrong = ctl({"--auth", "operator:guess", "apply", "-f", changed});
  EXPECT_EQ(wrong.exitCode, 1);
  EXPECT_EQ(dump(), before) << "a client without the credentials changed nothing";
  EXPECT_EQ(ctl({"get", "types"}).exitCode, 0) << "reads stay open";

  auto owner = ctl({"--auth", "operator:s3cret", "apply", "-f", changed});
  ASSERT_EQ(owner.exitCode, 0) << owner.err;
  EXPECT_EQ(generationOf("Alpha"), 2);

  // Only the credentials may remove what they guard, so they clean up too.
  sm::zk::SessionOptions credentials;
  credentials.hosts = hosts();
  credentials.credentials = {{"operator", "s3cret"}};
  sm::zk::Session::connect(credentials)->removeRecursive(fedRoot_);
}

TEST_F(CtlTest, ApplyReadsStandardInput) {
  auto r = ctl({"apply", "-f", "-"}, typeDoc("FromStdin", 2));
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(generationOf("FromStdin"), 1);
  auto bad = ctl({"apply", "-f", "-"}, typeDoc("X", 0));
  EXPECT_EQ(bad.exitCode, 2);
  EXPECT_NE(bad.err.find("<stdin>:6:21: spec.replicationCount: must be an integer >= 1, got 0"),
            std::string::npos)
      << bad.err;
}

struct BadInput {
  std::string name;
  std::string text;
  std::string message;  // a line servicesctl must print on stderr
};

std::vector<BadInput> badInputs() {
  const std::string h =
      "apiVersion: servicesmgr/v1\nkind: ServiceType\nmetadata:\n  name: A\nspec:\n";
  return {
      {"YamlSyntax", "apiVersion: servicesmgr/v1\nkind: [ServiceType\nmetadata: x\n",
       "bad.yaml:3:9: invalid YAML: end of sequence flow not found"},
      {"StrayComma", ",a: b\n", "bad.yaml:1:1: invalid YAML: unexpected \",\""},
      {"WrongTypeInteger", h + "  command: [a]\n  replicationCount: three\n",
       "bad.yaml:7:21: spec.replicationCount: must be an integer >= 1, got \"three\""},
      {"QuotedInteger", h + "  command: [a]\n  replicationCount: \"3\"\n",
       "bad.yaml:7:21: spec.replicationCount: must be an integer >= 1, got \"3\""},
      {"FloatForInteger", h + "  command: [a]\n  serviceCount: 2.5\n",
       "bad.yaml:7:17: spec.serviceCount: must be an integer >= 1, got 2.5"},
      {"UnknownField", h + "  command: [a]\n  replicas: 3\n",
       "bad.yaml:7:3: spec.replicas: unknown field; did you mean \"replicationCount\"?"},
      {"UnknownTopLevelField",
       "apiVersion: servicesmgr/v1\nkind: ServiceType\nmetadata: {name: A}\nspec: {command: [a]}\n"
       "status: {}\n",
       "bad.yaml:5:1: status: unknown field; expected one of: apiVersion, kind, metadata, spec"},
      {"NameWithSlash",
       "apiVersion: servicesmgr/v1\nkind: ServiceType\nmetadata:\n  name: a/b\nspec: {command: "
       "[a]}\n",
       "bad.yaml:4:9: metadata.name: may contain only letters, digits, '.', '_' and '-', got "
       "\"a/b\""},
      {"NameDotDot",
       "apiVersion: servicesmgr/v1\nkind: ServiceType\nmetadata:\n  name: \"..\"\nspec: {command: "
       "[a]}\n",
       "bad.yaml:4:9: metadata.name: must not be \".\" or \"..\", got \"..\""},
      {"NegativeCount", h + "  command: [a]\n  serviceCount: -1\n",
       "bad.yaml:7:17: spec.serviceCount: must be an integer >= 1, got -1"},
      {"HugeCount", h + "  command: [a]\n  replicationCount: 5000\n",
       "bad.yaml:7:21: spec.replicationCount: must be an integer <= 1000, got 5000"},
      {"EmptyCommand", h + "  command: []\n",
       "bad.yaml:6:12: spec.command: must not be empty: give at least the program to run"},
      {"ShellStringCommand", h + "  command: /bin/app --flag\n",
       "bad.yaml:6:12: spec.command: must be a list (argv, not a shell string), e.g. "
       "[\"/bin/app\", \"--flag\"], "
       "got \"/bin/app --flag\""},
      {"MissingCommand", h + "  serviceCount: 2\n",
       "bad.yaml:6:3: spec.command: required field is missing"},
      {"DuplicateNames", "---\n" + h + "  command: [a]\n---\n" + h + "  command: [b]\n",
       "bad.yaml:12:9: metadata.name: duplicate service type \"A\" (first defined at line 5)"},
      {"DuplicateKey", h + "  command: [a]\n  serviceCount: 1\n  serviceCount: 2\n",
       "bad.yaml:8:3: spec.serviceCount: duplicate field (first set at line 7)"},
      {"UnknownSignal", h + "  command: [a]\n  stop: {signal: SIGFOO}\n",
       "bad.yaml:7:18: spec.stop.signal: unknown signal (use a name such as SIGTERM or TERM), got "
       "\"SIGFOO\""},
      {"UncatchableSignal", h + "  command: [a]\n  roleChange: {signal: KILL}\n",
       "bad.yaml:7:24: spec.roleChange.signal: SIGKILL cannot be caught by the process, got "
       "\"KILL\""},
      {"BadRestartPolicy", h + "  command: [a]\n  restart: {policy: sometimes}\n",
       "bad.yaml:7:21: spec.restart.policy: must be one of always, on-failure, never, got "
       "\"sometimes\""},
      {"BadPortName", h + "  command: [a]\n  ports: [http-alt]\n",
       "bad.yaml:7:11: spec.ports[0]: may contain only letters, digits and '_' (it becomes the "
       "variable "
       "SM_PORT_<NAME>), got \"http-alt\""},
      {"DependsOnItself", h + "  command: [a]\n  constraints: {dependsOn: [A]}\n",
       "bad.yaml:7:29: spec.constraints.dependsOn[0]: a service type cannot depend on itself "
       "(\"A\")"},
      {"RelativeWorkingDir", h + "  command: [a]\n  workingDir: relative/dir\n",
       "bad.yaml:7:15: spec.workingDir: must be an absolute path, got \"relative/dir\""},
      {"WrongApiVersion",
       "apiVersion: servicesmgr/v2\nkind: ServiceType\nmetadata: {name: A}\nspec: {command: [a]}\n",
       "bad.yaml:1:13: apiVersion: must be \"servicesmgr/v1\", got \"servicesmgr/v2\""},
      {"EmptyFile", "", "bad.yaml: no documents: expected at least one ServiceType document"},
      {"InvalidUtf8", "apiVersion: servicesmgr/v1\nkind: \xff\xfe\n",
       "bad.yaml:2:7: not a text file: invalid UTF-8 byte 0xff"},
      {"BinaryGarbage",
       std::string("\x7f"
                   "ELF\x02\x01\x01\0\0\0",
                   10),
       "bad.yaml:1:1: not a text file: control character 0x7f"},
      {"HugeFile", std::string(1024 * 1024 + 1, '#'),
       "bad.yaml: file is too large: more than 1048576 bytes (limit 1048576 bytes)"},
      {"HealthUndeclaredPort", h + "  command: [a]\n  health: {tcp: admin}\n",
       "bad.yaml:7:17: spec.health.tcp: port \"admin\" is not declared in spec.ports"},
      // A good document next to a bad one: nothing of the file is applied.
      {"GoodThenBad",
       "---\n" + typeDoc("Good", 1) + "---\n" + h + "  command: [a]\n  serviceCount: 0\n",
       "bad.yaml:16:17: spec.serviceCount: must be an integer >= 1, got 0"},
  };
}

TEST_F(CtlTest, BadInputsExitTwoWithAPreciseMessageAndLeaveTheTreeAlone) {
  ASSERT_EQ(ctl({"apply", "-f", file("good.yaml", kTwoTypes)}).exitCode, 0);
  const auto cases = badInputs();
  ASSERT_GE(cases.size(), 25u);
  const auto before = dump();
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto bad = dir_ / "bad.yaml";
    writeFile(bad, c.text);
    // Relative to the file's folder, so that the message names it as the user typed it.
    auto cwd = std::filesystem::current_path();
    std::filesystem::current_path(dir_);
    auto r = ctl({"apply", "-f", "bad.yaml"});
    std::filesystem::current_path(cwd);
    EXPECT_EQ(r.exitCode, 2) << r.err;
    EXPECT_NE(r.err.find(c.message + "\n"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("servicesctl: nothing was applied: the file has errors"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(dump(), before);
  }
}

TEST_F(CtlTest, UsageErrorsExitTwo) {
  const auto before = dump();
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{}, "A subcommand is required"},
      {{"apply"}, "--filename is required"},
      {{"apply", "-f", "/nonexistent/x.yaml"},
       "/nonexistent/x.yaml: cannot read: No such file or directory"},
      {{"frobnicate"}, "unknown command \"frobnicate\" (commands: apply, get, describe"},
      {{"get", "pods"}, "pods not in"},
      {{"get", "types", "-o", "xml"}, "xml not in"},
      {{"describe", "a/b"}, "service type name: may contain only letters"},
      {{"scale", "Alpha"}, "give --services and/or --replicas"},
      {{"scale", "Alpha", "--replicas", "many"}, "--replicas"},
      {{"tree", "relative"}, "tree \"relative\""},
      {{"watch", "--for", "-1"}, "--for"},
      {{"events", "--limit", "-1"}, "--limit"},
      {{"events", "a/b"}, "service type name: may contain only letters"},
      {{"events", "-o", "xml"}, "xml not in"},
      {{"wait"}, "type is required"},
      {{"wait", "Alpha"}, "wait: say what to wait for: --ready"},
      {{"wait", "a/b", "--ready"}, "service type name: may contain only letters"},
      {{"wait", "Alpha", "--ready", "--timeout", "soon"},
       "not a duration (e.g. 30s, 500ms, 2m): soon"},
      {{"apply", "-f", "x.yaml", "--wait", "--timeout", "0s"}, "not a duration"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.message);
    auto r = ctl(c.args);
    EXPECT_EQ(r.exitCode, 2) << r.out << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
  }
  auto badRoot = runCtl({"--zk", hosts(), "--root", "/zookeeper/x", "get", "types"});
  EXPECT_EQ(badRoot.exitCode, 2);
  EXPECT_NE(badRoot.err.find("--root \"/zookeeper/x\""), std::string::npos) << badRoot.err;
  EXPECT_EQ(dump(), before);
}

TEST_F(CtlTest, EveryCommandHasHelp) {
  for (std::string command :
       {"apply", "get", "describe", "scale", "delete", "tree", "watch", "wait", "gc", "forget",
        "cordon", "uncordon", "events"}) {
    auto r = runCtl({command, "--help"});
    EXPECT_EQ(r.exitCode, 0) << command;
    EXPECT_NE(r.out.find("Usage:"), std::string::npos) << command << r.out;
  }
  auto top = runCtl({"--help"});
  EXPECT_EQ(top.exitCode, 0);
  EXPECT_NE(top.out.find("Exit codes"), std::string::npos);
}

TEST_F(CtlTest, ZooKeeperDownExitsOneNamingTheAddress) {
  auto r = runCtl({"--zk", "127.0.0.1:1", "--timeout-ms", "300", "get", "types"});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.err.find("cannot reach ZooKeeper at 127.0.0.1:1"), std::string::npos) << r.err;
  // Refused everywhere: said at once (no session was tried, so no client log lines either).
  auto refused = runCtl({"--zk", "127.0.0.1:1,127.0.0.1:2", "get", "types"});
  EXPECT_EQ(refused.exitCode, 1);
  EXPECT_EQ(refused.err,
            "servicesctl: cannot reach ZooKeeper at 127.0.0.1:1,127.0.0.1:2: every server refused "
            "the connection (is it running?)\n");
  auto apply =
      runCtl({"--zk", "127.0.0.1:1", "--timeout-ms", "300", "apply", "-f", "-"}, typeDoc("A", 1));
  EXPECT_EQ(apply.exitCode, 1);
}

TEST_F(CtlTest, ConcurrentApplyOfTwoVersionsOneWins) {
  ASSERT_EQ(ctl({"apply", "-f", file("a.yaml", kTwoTypes)}).exitCode, 0);
  // The first apply reads, then pauses before its multi; the second runs to the end in between.
  const auto go = dir_ / "go";
  sm::test::CtlProcess slow(
      {"--zk", hosts(), "--root", fedRoot_, "apply", "-f", file("v2.yaml", typeDoc("Alpha", 7))},
      "", {"SERVICESMGR_TEST_APPLY_PAUSE=" + go.string()});
  ASSERT_TRUE(waitFor([&] { return std::filesystem::exists(go.string() + ".reached"); }, 20s))
      << slow.err();
  auto fast = ctl({"apply", "-f", file("v3.yaml", typeDoc("Alpha", 9))});
  ASSERT_EQ(fast.exitCode, 0) << fast.err;
  const auto afterFast = dump();
  writeFile(go, "");
  ASSERT_EQ(slow.wait(20s), std::optional<int>(1)) << slow.err();
  EXPECT_NE(
      slow.err().find(
          "conflict: service type \"Alpha\" was changed by another client since apply read it"),
      std::string::npos)
      << slow.err();
  EXPECT_EQ(dump(), afterFast) << "the loser writes nothing";
  EXPECT_EQ(generationOf("Alpha"), 2);
}

TEST_F(CtlTest, TwoPlansReadFirstCommitAfterExactlyOneWins) {
  using namespace sm::ctl;
  auto load = [](const std::string& text) {
    return sm::config::loadServiceTypesText(text, "t.yaml").value();
  };
  auto other = connect();
  ApplyExecutor a(*session_, layout());
  ApplyExecutor b(*other, layout());
  // Both create the same new type on an empty tree (key znodes included).
  auto planA = a.plan(load(typeDoc("Alpha", 2)), false);
  auto planB = b.plan(load(typeDoc("Alpha", 3)), false);
  a.commit(planA);
  try {
    b.commit(planB);
    FAIL() << "the second commit must fail";
  } catch (const CliError& e) {
    EXPECT_EQ(e.exitCode(), kExitFailed);
    EXPECT_NE(std::string(e.what()).find("conflict"), std::string::npos) << e.what();
  }
  // Both update it from the same read.
  planA = a.plan(load(typeDoc("Alpha", 4)), false);
  planB = b.plan(load(typeDoc("Alpha", 5)), false);
  b.commit(planB);
  try {
    a.commit(planA);
    FAIL() << "the second commit must fail";
  } catch (const CliError& e) {
    EXPECT_NE(std::string(e.what()).find("service type \"Alpha\" was changed by another client"),
              std::string::npos)
        << e.what();
  }
  auto stored = sm::config::decodeServiceType(session_->get(layout().serviceType("Alpha"))->data,
                                              layout().serviceType("Alpha"));
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored.value().type.spec.replicationCount, 5);
  EXPECT_EQ(stored.value().generation, 2);
}

TEST_F(CtlTest, GarbageInOneTypeIsReportedAndTheOthersStillShow) {
  ASSERT_EQ(ctl({"apply", "-f", file("a.yaml", kTwoTypes)}).exitCode, 0);
  // Readable JSON with a generation, but a spec no manager may run.
  session_->set(
      layout().serviceType("Beta"),
      R"({"format":1,"name":"Beta","generation":4,"spec":{"command":["/bin/b"],"replicas":3}})");
  auto get = ctl({"get", "types"});
  ASSERT_EQ(get.exitCode, 0) << get.err;
  EXPECT_NE(get.out.find("Alpha   1            0/1        0/3         0/1       /bin/Alpha --x\n"),
            std::string::npos)
      << get.out;
  EXPECT_NE(get.out.find("Beta    ?"), std::string::npos) << get.out;
  EXPECT_NE(get.out.find("error: " + layout().serviceType("Beta") + ":"), std::string::npos)
      << get.out;
  auto json = ctl({"get", "types", "-o", "json"});
  ASSERT_EQ(json.exitCode, 0);
  auto doc = nlohmann::json::parse(json.out);
  EXPECT_EQ(doc[0]["name"], "Alpha");
  EXPECT_TRUE(doc[1].contains("error"));

  auto describeGood = ctl({"describe", "Alpha"});
  EXPECT_EQ(describeGood.exitCode, 0);
  EXPECT_NE(describeGood.out.find("Generation:   1"), std::string::npos);
  auto describeBad = ctl({"describe", "Beta"});
  EXPECT_EQ(describeBad.exitCode, 0);
  EXPECT_NE(describeBad.out.find("Spec:         cannot be read\n  error: " +
                                 layout().serviceType("Beta")),
            std::string::npos)
      << describeBad.out;

  // apply refuses to overwrite what it cannot read, unless --force; the generation keeps growing.
  const auto before = dump();
  auto refused =
      ctl({"apply", "-f", file("b.yaml", typeDoc("Beta", 1) + "---\n" + typeDoc("Alpha", 1))});
  EXPECT_EQ(refused.exitCode, 1);
  EXPECT_NE(refused.err.find("Beta: refused: its stored data cannot be read; --force replaces it"),
            std::string::npos)
      << refused.err;
  EXPECT_EQ(dump(), before);
  auto forced = ctl({"apply", "--force", "-f", file("c.yaml", typeDoc("Beta", 1))});
  ASSERT_EQ(forced.exitCode, 0) << forced.err;
  EXPECT_EQ(generationOf("Beta"), 5);
}

TEST_F(CtlTest, GetAndDescribeGolden) {
  ASSERT_EQ(ctl({"apply", "-f", file("a.yaml", kTwoTypes)}).exitCode, 0);
  auto manager = connect();
  registerInstances(*manager, "Alpha");
  for (const auto& [kind, golden] :
       std::vector<std::pair<std::string, std::string>>{{"types", "get_types.txt"},
                                                        {"logical", "get_logical.txt"},
                                                        {"physical", "get_physical.txt"},
                                                        {"hosts", "get_hosts.txt"}}) {
    auto r = ctl({"get", kind});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    expectGolden(golden, r.out);
  }
  auto yaml = ctl({"get", "physical", "Alpha", "-o", "yaml"});
  ASSERT_EQ(yaml.exitCode, 0);
  expectGolden("get_physical.yaml", yaml.out);
  auto describe = ctl({"describe", "Alpha"});
  ASSERT_EQ(describe.exitCode, 0) << describe.err;
  expectGolden("describe_alpha.txt", describe.out);
  EXPECT_EQ(ctl({"get", "types", "Nope"}).exitCode, 1);
  EXPECT_EQ(ctl({"describe", "Nope"}).exitCode, 1);
  EXPECT_EQ(ctl({"get", "hosts", "nohost"}).exitCode, 1);

  // The master goes: the next in the election is master, with its own epoch.
  manager->close();
  auto after = ctl({"get", "physical"});
  EXPECT_EQ(after.out,
            "TYPE   LOGICAL   UUID   HOST   PID   STATE   ROLE   EPOCH   GENERATION   UPTIME\n");
}

TEST_F(CtlTest, ScaleIsVersionCheckedAndBumpsGeneration) {
  ASSERT_EQ(ctl({"apply", "-f", file("a.yaml", kTwoTypes)}).exitCode, 0);
  auto r = ctl({"scale", "Alpha", "--replicas", "5", "--services", "2"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(r.out,
            "Alpha: changed, generation 1 -> 2\n  spec.serviceCount: 1 -> 2\n  "
            "spec.replicationCount: 3 -> 5\n");
  EXPECT_EQ(generationOf("Alpha"), 2);
  auto same = ctl({"scale", "Alpha", "--replicas", "5"});
  EXPECT_EQ(same.out, "Alpha: unchanged, generation 2\n");

  const auto before = dump();
  auto zero = ctl({"scale", "Alpha", "--services", "0"});
  EXPECT_EQ(zero.exitCode, 2);
  EXPECT_NE(zero.err.find("spec.serviceCount: must be an integer >= 1, got 0"), std::string::npos)
      << zero.err;
  EXPECT_EQ(ctl({"scale", "Nope", "--replicas", "2"}).exitCode, 1);
  EXPECT_EQ(dump(), before);
}

TEST_F(CtlTest, DeleteRemovesTheTypeAndItsSubtreeAtOnce) {
  ASSERT_EQ(ctl({"apply", "-f", file("a.yaml", kTwoTypes)}).exitCode, 0);
  auto manager = connect();
  registerInstances(*manager, "Alpha");
  auto r = ctl({"delete", "Alpha"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(
      r.out,
      "Alpha: deleted (1 logical services, 2 registered instances: their managers stop them)\n");
  EXPECT_FALSE(session_->exists(layout().serviceType("Alpha")));
  EXPECT_TRUE(session_->exists(layout().serviceType("Beta")));
  auto again = ctl({"delete", "Alpha"});
  EXPECT_EQ(again.exitCode, 1);
  EXPECT_NE(again.err.find("service type \"Alpha\" not found"), std::string::npos);
}

// Identities of a persistent type, as its managers would have written them.
void writeIdentity(sm::zk::Session& session, const sm::config::Layout& layout,
                   const std::string& type, const std::string& uuid, const std::string& host,
                   sm::config::PersistentState state) {
  session.ensurePath(layout.persistentServicesDir(type));
  sm::config::PersistentServiceData data;
  data.host = host;
  data.dataDir = "/var/lib/servicesmgr/" + type + "/" + uuid;
  data.created = 1700000000000;
  data.lastStopped = 1700000000000;
  data.state = state;
  session.create(layout.persistentService(type, uuid), sm::config::encodePersistentServiceData(data));
}

const std::string kIdA = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";
const std::string kIdB = "3f2504e0-4f89-41d3-9a0c-0305e82c3302";

TEST_F(CtlTest, PersistentIdentitiesAreListedKeptByDeleteAndDroppedByPurgeOrForget) {
  const auto db = typeDoc("Db", 2, "  persistent: true\n");
  ASSERT_EQ(ctl({"apply", "-f", file("db.yaml", db)}).exitCode, 0);
  writeIdentity(*session_, layout(), "Db", kIdA, "h1", sm::config::PersistentState::Running);
  writeIdentity(*session_, layout(), "Db", kIdB, "h2", sm::config::PersistentState::Abandoned);

  auto table = ctl({"get", "instances", "Db"});
  ASSERT_EQ(table.exitCode, 0) << table.err;
  EXPECT_NE(table.out.find("UUID"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find(kIdA), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("abandoned"), std::string::npos) << table.out;
  auto json = ctl({"get", "instances", "-o", "json"});
  ASSERT_EQ(json.exitCode, 0) << json.err;
  const auto list = nlohmann::json::parse(json.out);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]["uuid"], kIdA);
  EXPECT_EQ(list[0]["host"], "h1");
  EXPECT_EQ(list[0]["state"], "running");
  EXPECT_EQ(list[0]["dataDir"], "/var/lib/servicesmgr/Db/" + kIdA);

  // Turning persistence off would drop the identities without a word: refused, even with --force.
  const auto plain = file("plain.yaml", typeDoc("Db", 2));
  for (const auto& args : {std::vector<std::string>{"apply", "-f", plain},
                           std::vector<std::string>{"apply", "--force", "-f", plain}}) {
    auto refused = ctl(args);
    EXPECT_EQ(refused.exitCode, 1);
    EXPECT_NE(refused.err.find("spec.persistent cannot change from true to false"),
              std::string::npos)
        << refused.err;
  }
  EXPECT_NE(session_->get(layout().serviceType("Db"))->data.find("\"persistent\":true"),
            std::string::npos)
      << "nothing was written";

  // Deleted: the identities stay, for the type applied again.
  auto deleted = ctl({"delete", "Db"});
  ASSERT_EQ(deleted.exitCode, 0) << deleted.err;
  EXPECT_NE(deleted.out.find("2 persistent identities kept"), std::string::npos) << deleted.out;
  EXPECT_TRUE(session_->exists(layout().persistentService("Db", kIdA)));
  EXPECT_EQ(ctl({"get", "instances", "Db"}).exitCode, 0) << "listed after the type is gone";

  // Forgotten one by one, or all with delete --purge.
  auto forgot = ctl({"forget", "Db", kIdB});
  ASSERT_EQ(forgot.exitCode, 0) << forgot.err;
  EXPECT_EQ(forgot.out, kIdB + ": forgotten; its data stays on h2 in /var/lib/servicesmgr/Db/" +
                            kIdB + "\n");
  EXPECT_FALSE(session_->exists(layout().persistentService("Db", kIdB)));
  auto missing = ctl({"forget", "Db", kIdB});
  EXPECT_EQ(missing.exitCode, 1);
  EXPECT_EQ(ctl({"forget", "Db", "not-a-uuid"}).exitCode, 2);
  ASSERT_EQ(ctl({"apply", "-f", file("db.yaml", db)}).exitCode, 0);
  auto purged = ctl({"delete", "--purge", "Db"});
  ASSERT_EQ(purged.exitCode, 0) << purged.err;
  EXPECT_NE(purged.out.find("1 persistent identities forgotten"), std::string::npos) << purged.out;
  EXPECT_FALSE(session_->exists(layout().persistentServicesDir("Db")));
}

TEST_F(CtlTest, ForgetWithPurgeDataLeavesTheRecordToItsHostToPurge) {
  writeIdentity(*session_, layout(), "Db", kIdA, "h9", sm::config::PersistentState::Abandoned);
  auto r = ctl({"forget", "--purge-data", "Db", kIdA});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(r.out, kIdA + ": forgotten; its host h9 is gone: it removes /var/lib/servicesmgr/Db/" +
                       kIdA + " when it is back (listed as purging until then)\n");
  const auto path = layout().persistentService("Db", kIdA);
  EXPECT_EQ(sm::config::decodePersistentServiceData(session_->get(path)->data, path).value().state,
            sm::config::PersistentState::Purging);
  auto listed = ctl({"get", "instances", "Db"});
  EXPECT_NE(listed.out.find("purging"), std::string::npos) << listed.out;

  // A record that cannot be read names no host to ask: refused, nothing changed.
  session_->set(path, "garbage");
  auto refused = ctl({"forget", "--purge-data", "Db", kIdA});
  EXPECT_EQ(refused.exitCode, 1);
  EXPECT_NE(refused.err.find("forget it without --purge-data"), std::string::npos) << refused.err;
  EXPECT_EQ(session_->get(path)->data, "garbage");
}

TEST_F(CtlTest, CordonMarksARegisteredHostUntilUncordon) {
  ASSERT_EQ(ctl({"apply", "-f", file("a.yaml", kTwoTypes)}).exitCode, 0);
  auto manager = connect();
  sm::config::HostData data;
  data.capacity = {2, 4096, 1024};
  manager->create(layout().host("h1"), sm::config::encodeHostData(data), sm::zk::CreateMode::Ephemeral);

  auto unknown = ctl({"cordon", "h9"});
  EXPECT_EQ(unknown.exitCode, 1);
  EXPECT_NE(unknown.err.find("host \"h9\" is not registered"), std::string::npos) << unknown.err;
  EXPECT_FALSE(session_->exists(layout().cordon("h9")));
  EXPECT_EQ(ctl({"cordon", "bad/host"}).exitCode, 2);

  auto cordoned = ctl({"cordon", "h1", "--reason", "disk swap"});
  ASSERT_EQ(cordoned.exitCode, 0) << cordoned.err;
  EXPECT_EQ(cordoned.out, "h1: cordoned (no new placements; what runs there keeps running)\n");
  EXPECT_EQ(ctl({"cordon", "h1"}).out, "h1: already cordoned\n");
  auto hosts = ctl({"get", "hosts", "-o", "json"});
  const auto list = nlohmann::json::parse(hosts.out);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["cordoned"], true);
  EXPECT_EQ(list[0]["cordon"]["reason"], "disk swap");

  // The mark outlives the host's session.
  manager->close();
  ASSERT_TRUE(waitFor([&] { return !session_->exists(layout().host("h1")); }, 10s, 10ms));
  EXPECT_TRUE(session_->exists(layout().cordon("h1")));
  EXPECT_EQ(ctl({"uncordon", "h1"}).out, "h1: uncordoned\n");
  EXPECT_EQ(ctl({"uncordon", "h1"}).out, "h1: not cordoned\n");
  EXPECT_FALSE(session_->exists(layout().cordon("h1")));
}

TEST_F(CtlTest, GlobalOptionsAreTakenAfterTheCommandToo) {
  auto r = runCtl({"apply", "-f", file("a.yaml", kTwoTypes), "--zk", hosts(), "--root", fedRoot_});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_TRUE(session_->exists(layout().serviceType("Alpha")));
  auto get = runCtl({"get", "types", "--root", fedRoot_, "--zk", hosts(), "-o", "json"});
  ASSERT_EQ(get.exitCode, 0) << get.err;
  EXPECT_EQ(nlohmann::json::parse(get.out).size(), 2u);
}

TEST_F(CtlTest, ForgetRefusesAnIdentityThatRuns) {
  ASSERT_EQ(ctl({"apply", "-f", file("db.yaml", typeDoc("Db", 1, "  persistent: true\n"))})
                .exitCode,
            0);
  writeIdentity(*session_, layout(), "Db", kIdA, "h1", sm::config::PersistentState::Running);
  // Its manager created the logical service and registered it.
  const sm::config::LogicalServiceId logical{"Db", 0};
  session_->create(layout().logicalService(logical), "");
  session_->create(layout().physicalServicesDir(logical), "");
  session_->create(layout().physicalService({logical, kIdA}), "");
  auto r = ctl({"forget", "Db", kIdA});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.err.find("runs on h1"), std::string::npos) << r.err;
  EXPECT_TRUE(session_->exists(layout().persistentService("Db", kIdA)));
}

TEST_F(CtlTest, TreeMarksEphemeralNodesAndShowsData) {
  ASSERT_EQ(ctl({"apply", "-f", file("a.yaml", typeDoc("Alpha", 1))}).exitCode, 0);
  auto manager = connect();
  registerInstances(*manager, "Alpha");
  auto r = ctl({"tree"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_TRUE(
      r.out.starts_with(fedRoot_ + " {\"format\":1,\"federation\":\"fed\"}\n  config\n    Alpha {"))
      << r.out;
  EXPECT_NE(
      r.out.find(
          "        physicalServices\n          physicalServiceaaaaaaaa-0000-4000-8000-000000000001 "
          "(ephemeral) {"),
      std::string::npos)
      << r.out;
  auto top = ctl({"tree", "/"});
  EXPECT_EQ(top.exitCode, 0);
  EXPECT_TRUE(top.out.starts_with("/\n")) << top.out.substr(0, 200);
}

TEST_F(CtlTest, WatchStreamsChangesAndStopsOnSignal) {
  ASSERT_EQ(ctl({"apply", "-f", file("a.yaml", typeDoc("Alpha", 2))}).exitCode, 0);
  sm::test::CtlProcess watch({"--zk", hosts(), "--root", fedRoot_, "watch", "--for", "30"});
  ASSERT_TRUE(waitFor(
      [&] { return watch.out().find("type Alpha created, generation 1\n") != std::string::npos; },
      10s))
      << watch.out() << watch.err();
  auto manager = connect();
  registerInstances(*manager, "Alpha");
  ASSERT_TRUE(waitFor(
      [&] {
        auto out = watch.out();
        return out.find("instance up: ds2/1001 (aaaaaaaa-0000-4000-8000-000000000002) running") !=
                   std::string::npos &&
               out.find("master: ds1/1000 (aaaaaaaa-0000-4000-8000-000000000001) epoch 0") !=
                   std::string::npos &&
               out.find("host ds1 up") != std::string::npos;
      },
      10s))
      << watch.out();
  ASSERT_EQ(ctl({"scale", "Alpha", "--replicas", "3"}).exitCode, 0);
  ASSERT_TRUE(waitFor(
      [&] {
        return watch.out().find("type Alpha changed, generation 1 -> 2") != std::string::npos;
      },
      10s))
      << watch.out();
  manager->close();  // the manager dies: its instances go, nobody is master
  ASSERT_TRUE(waitFor(
      [&] {
        auto out = watch.out();
        return out.find("instance down: ds1/1000") != std::string::npos &&
               out.find("master: none") != std::string::npos &&
               out.find("host ds1 down") != std::string::npos;
      },
      10s))
      << watch.out();
  watch.signal(SIGINT);
  EXPECT_EQ(watch.wait(10s), std::optional<int>(0)) << watch.err();
}

TEST_F(CtlTest, WatchIsBoundedByCountAndByTime) {
  ASSERT_EQ(ctl({"apply", "-f", file("a.yaml", kTwoTypes)}).exitCode, 0);
  auto counted = ctl({"watch", "--count", "1"});
  EXPECT_EQ(counted.exitCode, 0);
  EXPECT_EQ(counted.out, "type Alpha created, generation 1\n");
  auto timed = ctl({"watch", "Beta", "--for", "0.2"});
  EXPECT_EQ(timed.exitCode, 0);
  EXPECT_EQ(timed.out, "type Beta created, generation 1\n");
  sm::test::CtlProcess term({"--zk", hosts(), "--root", fedRoot_, "watch"});
  ASSERT_TRUE(waitFor([&] { return !term.out().empty(); }, 10s));
  term.signal(SIGTERM);
  EXPECT_EQ(term.wait(10s), std::optional<int>(0));
}

}  // namespace
