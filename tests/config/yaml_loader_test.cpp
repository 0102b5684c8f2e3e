// The YAML loader: defaults, every field, and the exact message (with line:column and field path)
// for each kind of bad input that `servicesctl apply` must refuse.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "config/names.hpp"
#include "config/yaml_loader.hpp"

namespace sm::config {
namespace {

const std::string kHeader =
    "apiVersion: servicesmgr/v1\n"
    "kind: ServiceType\n"
    "metadata:\n"
    "  name: A\n"
    "spec:\n";  // the spec's fields start on line 6

std::vector<std::string> errorsOf(std::string_view text) {
  auto result = loadServiceTypesText(text, "data.yaml");
  std::vector<std::string> out;
  for (const auto& d : result.errors()) out.push_back(d.str());
  return out;
}

ServiceType loadOne(const std::string& text) {
  auto result = loadServiceTypesText(text, "data.yaml");
  if (!result) ADD_FAILURE() << result.errorText();
  if (!result || result.value().size() != 1) return {};
  return result.value()[0];
}

using Lines = std::vector<std::string>;

TEST(YamlLoader, MinimalDocumentGetsEveryDefault) {
  const auto t = loadOne(kHeader + "  command: [/bin/app]\n");
  EXPECT_EQ(t.name, "A");
  ServiceSpec expected;
  expected.command = {"/bin/app"};
  EXPECT_EQ(t.spec, expected);
  EXPECT_EQ(t.spec.serviceCount, 1);
  EXPECT_EQ(t.spec.replicationCount, 1);
  EXPECT_EQ(t.spec.restart.policy, RestartPolicy::Always);
  EXPECT_EQ(t.spec.restart.backoffInitialMs, 100);
  EXPECT_EQ(t.spec.restart.backoffMaxMs, 30000);
  EXPECT_EQ(t.spec.restart.crashLoop, (CrashLoop{5, 60}));
  EXPECT_EQ(t.spec.stop, (Stop{"SIGTERM", 5000}));
  EXPECT_TRUE(t.spec.roleChange.signal.empty());
  EXPECT_TRUE(t.spec.roleChange.exec.empty());
  EXPECT_FALSE(t.spec.health.has_value());
  EXPECT_FALSE(t.spec.constraints.maxPerHost.has_value());
  EXPECT_FALSE(t.spec.constraints.maxLoadAverage.has_value());
  EXPECT_EQ(t.spec.constraints.minFreeMemoryMB, 0);
}

TEST(YamlLoader, TheIssueExampleReadsEveryField) {
  const auto t = loadOne(R"(apiVersion: servicesmgr/v1
kind: ServiceType
metadata:
  name: DataServer
spec:
  serviceCount: 2
  replicationCount: 3
  command: ["/usr/bin/my-data-server", "--flag"]
  env: {KEY: value, RETRIES: 3, DEBUG: true}
  workingDir: /var/lib/x
  constraints:
    allowHosts: ["ds*"]
    denyHosts: [ds9]
    hostLabels: {zone: a}
    maxPerHost: 1
    minFreeMemoryMB: 256
    maxLoadAverage: 4.0
    dependsOn: [TransactionServer]
    masterHosts: ["ds[12]"]
    masterLabels: {disk: ssd}
  restart: {policy: on-failure, backoffInitialMs: 200, backoffMaxMs: 30000,
            crashLoop: {failures: 4, windowSeconds: 30}}
  stop: {signal: INT, timeoutMs: 2000}
  roleChange: {signal: sigusr1}
  ports: [http, admin]
  health: {exec: ["/bin/check", 5], intervalMs: 1500, timeoutMs: 400, failureThreshold: 2}
)");
  EXPECT_EQ(t.name, "DataServer");
  const auto& s = t.spec;
  EXPECT_EQ(s.serviceCount, 2);
  EXPECT_EQ(s.replicationCount, 3);
  EXPECT_EQ(s.command, (Lines{"/usr/bin/my-data-server", "--flag"}));
  EXPECT_EQ(s.env, (std::map<std::string, std::string>{
                       {"DEBUG", "true"}, {"KEY", "value"}, {"RETRIES", "3"}}));
  EXPECT_EQ(s.workingDir, "/var/lib/x");
  EXPECT_EQ(s.constraints.allowHosts, (Lines{"ds*"}));
  EXPECT_EQ(s.constraints.denyHosts, (Lines{"ds9"}));
  EXPECT_EQ(s.constraints.hostLabels, (std::map<std::string, std::string>{{"zone", "a"}}));
  EXPECT_EQ(s.constraints.maxPerHost, 1);
  EXPECT_EQ(s.constraints.minFreeMemoryMB, 256);
  EXPECT_EQ(s.constraints.maxLoadAverage, 4.0);
  EXPECT_EQ(s.constraints.dependsOn, (Lines{"TransactionServer"}));
  EXPECT_EQ(s.constraints.masterHosts, (Lines{"ds[12]"}));
  EXPECT_EQ(s.constraints.masterLabels, (std::map<std::string, std::string>{{"disk", "ssd"}}));
  EXPECT_EQ(s.restart.policy, RestartPolicy::OnFailure);
  EXPECT_EQ(s.restart.backoffInitialMs, 200);
  EXPECT_EQ(s.restart.crashLoop, (CrashLoop{4, 30}));
  EXPECT_EQ(s.stop, (Stop{"SIGINT", 2000}));  // "INT" is stored canonically
  EXPECT_EQ(s.roleChange.signal, "SIGUSR1");
  EXPECT_EQ(s.ports, (Lines{"http", "admin"}));
  ASSERT_TRUE(s.health.has_value());
  EXPECT_EQ(s.health->exec, (Lines{"/bin/check", "5"}));
  EXPECT_EQ(s.health->intervalMs, 1500);
  EXPECT_EQ(s.health->timeoutMs, 400);
  EXPECT_EQ(s.health->failureThreshold, 2);
}

TEST(YamlLoader, PromotionReadsEveryFieldAndDefaults) {
  const auto full = loadOne(kHeader +
                            "  command: [a]\n"
                            "  promotion:\n"
                            "    score: {exec: [/usr/local/bin/redis-offset, 7], timeoutMs: 200}\n"
                            "    waitMs: 0\n"
                            "    maxLag: 1000\n"
                            "    refreshMs: 2000\n");
  ASSERT_TRUE(full.spec.promotion.has_value());
  EXPECT_EQ(full.spec.promotion->scoreExec, (Lines{"/usr/local/bin/redis-offset", "7"}));
  EXPECT_EQ(full.spec.promotion->scoreTimeoutMs, 200);
  EXPECT_EQ(full.spec.promotion->waitMs, 0);
  EXPECT_EQ(full.spec.promotion->maxLag, 1000);
  EXPECT_EQ(full.spec.promotion->refreshMs, 2000);
  const auto defaults = loadOne(kHeader + "  command: [a]\n  promotion: {score: {exec: [s]}}\n");
  ASSERT_TRUE(defaults.spec.promotion.has_value());
  EXPECT_EQ(defaults.spec.promotion->scoreTimeoutMs, 500);
  EXPECT_EQ(defaults.spec.promotion->waitMs, 300);
  EXPECT_FALSE(defaults.spec.promotion->maxLag.has_value());
  EXPECT_EQ(defaults.spec.promotion->refreshMs, 10000);
  EXPECT_FALSE(loadOne(kHeader + "  command: [a]\n").spec.promotion.has_value());
}

TEST(YamlLoader, PersistentTypeWithItsGrace) {
  auto t = loadOne(kHeader + "  command: [/bin/db]\n  persistent: true\n");
  EXPECT_TRUE(t.spec.persistent);
  EXPECT_EQ(t.spec.hostLossGraceSeconds, 300) << "the default";
  t = loadOne(kHeader + "  command: [/bin/db]\n  persistent: true\n  hostLossGraceSeconds: 5\n");
  EXPECT_EQ(t.spec.hostLossGraceSeconds, 5);
  EXPECT_FALSE(loadOne(kHeader + "  command: [/bin/db]\n  persistent: false\n").spec.persistent);
}

TEST(YamlLoader, MultiDocumentFileKeepsOrderAndSkipsEmptyDocuments) {
  auto result = loadServiceTypesText(
      "---\n" + kHeader + "  command: [a]\n---\n---\n" +
          "apiVersion: servicesmgr/v1\nkind: ServiceType\nmetadata: {name: B}\n"
          "spec: {command: [b], roleChange: {exec: [/hook, x]}}\n---\n",
      "data.yaml");
  ASSERT_TRUE(result) << result.errorText();
  ASSERT_EQ(result.value().size(), 2u);
  EXPECT_EQ(result.value()[0].name, "A");
  EXPECT_EQ(result.value()[1].name, "B");
  EXPECT_EQ(result.value()[1].spec.roleChange.exec, (Lines{"/hook", "x"}));
}

TEST(YamlLoader, ExampleDemoFileLoads) {
  auto result =
      loadServiceTypesFile(std::filesystem::path(SM_SOURCE_DIR) / "examples/basic/demo.yaml");
  ASSERT_TRUE(result) << result.errorText();
  ASSERT_EQ(result.value().size(), 1u);
  const auto& t = result.value()[0];
  EXPECT_EQ(t.spec.command, (Lines{"sm-demo-service"}));
  EXPECT_EQ(t.spec.ports, (Lines{"http"}));
}

TEST(YamlLoader, StreamAndByteOrderMark) {
  std::istringstream in("\xEF\xBB\xBF" + kHeader + "  command: [a]\n");
  auto result = loadServiceTypesStream(in, "<stdin>");
  ASSERT_TRUE(result) << result.errorText();
  EXPECT_EQ(result.value()[0].name, "A");
}

// ---- Bad inputs: each is a case `servicesctl apply` answers with exit 2 and exactly this text.
// ----

struct BadCase {
  std::string name;
  std::string text;
  Lines expected;
};

std::vector<BadCase> badCases() {
  const std::string h = kHeader;
  return {
      {"YamlSyntax",
       "apiVersion: servicesmgr/v1\nkind: [ServiceType\nmetadata: x\n",
       {"data.yaml:3:9: invalid YAML: end of sequence flow not found"}},
      // yaml-cpp 0.7's LoadAll alone would loop forever on these, eating memory.
      {"StrayCommaDocument", ",a: b\n", {"data.yaml:1:1: invalid YAML: unexpected \",\""}},
      {"StrayCommaSecondDocument",
       "a: 1\n---\n,\n",
       {"data.yaml:3:1: invalid YAML: unexpected \",\""}},
      {"WrongTypeInteger",
       h + "  command: [a]\n  replicationCount: three\n",
       {"data.yaml:7:21: spec.replicationCount: must be an integer >= 1, got \"three\""}},
      {"QuotedIntegerIsAString",
       h + "  command: [a]\n  replicationCount: \"3\"\n",
       {"data.yaml:7:21: spec.replicationCount: must be an integer >= 1, got \"3\""}},
      {"FloatForInteger",
       h + "  command: [a]\n  serviceCount: 2.5\n",
       {"data.yaml:7:17: spec.serviceCount: must be an integer >= 1, got 2.5"}},
      {"UnknownFieldsWithSuggestion",
       h + "  command: [a]\n  replicas: 3\n  foo: 1\n",
       {"data.yaml:7:3: spec.replicas: unknown field; did you mean \"replicationCount\"?",
        "data.yaml:8:3: spec.foo: unknown field; expected one of: serviceCount, replicationCount, "
        "command, env, "
        "workingDir, constraints, restart, stop, roleChange, ports, health, persistent, "
        "hostLossGraceSeconds, promotion"}},
      {"NearMissOfALongField",
       h + "  command: [a]\n  replicaCount: 3\n",
       {"data.yaml:7:3: spec.replicaCount: unknown field; did you mean \"replicationCount\"?"}},
      {"UnknownTopLevelAndMetadataField",
       "apiVersion: servicesmgr/v1\nkind: ServiceType\nmetadata: {name: A, labels: {}}\nspec: "
       "{command: [a]}\n"
       "status: {}\n",
       {"data.yaml:3:21: metadata.labels: unknown field; expected one of: name",
        "data.yaml:5:1: status: unknown field; expected one of: apiVersion, kind, metadata, spec"}},
      {"NameWithSlash",
       "apiVersion: servicesmgr/v1\nkind: ServiceType\nmetadata:\n  name: a/b\nspec: {command: "
       "[a]}\n",
       {"data.yaml:4:9: metadata.name: may contain only letters, digits, '.', '_' and '-', got "
        "\"a/b\""}},
      {"NameDotDot",
       "apiVersion: servicesmgr/v1\nkind: ServiceType\nmetadata:\n  name: \"..\"\nspec: {command: "
       "[a]}\n",
       {"data.yaml:4:9: metadata.name: must not be \".\" or \"..\", got \"..\""}},
      {"NameTooLong",
       "apiVersion: servicesmgr/v1\nkind: ServiceType\nmetadata:\n  name: " +
           std::string(129, 'x') + "\nspec: {command: [a]}\n",
       {"data.yaml:4:9: metadata.name: must be at most 128 characters, got \"" +
        std::string(60, 'x') + "...\""}},
      {"NameNotAString",
       "apiVersion: servicesmgr/v1\nkind: ServiceType\nmetadata:\n  name: 42\nspec: {command: "
       "[a]}\n",
       {"data.yaml:4:9: metadata.name: must be a string, got 42"}},
      {"NegativeAndZeroCounts",
       h + "  command: [a]\n  serviceCount: -1\n  replicationCount: 0\n",
       {"data.yaml:7:17: spec.serviceCount: must be an integer >= 1, got -1",
        "data.yaml:8:21: spec.replicationCount: must be an integer >= 1, got 0"}},
      {"HugeCounts",
       h + "  command: [a]\n  serviceCount: 99999999999999999999999\n  replicationCount: 5000\n",
       {"data.yaml:7:17: spec.serviceCount: must be an integer >= 1, got 99999999999999999999999",
        "data.yaml:8:21: spec.replicationCount: must be an integer <= 1000, got 5000"}},
      {"EmptyCommand",
       h + "  command: []\n",
       {"data.yaml:6:12: spec.command: must not be empty: give at least the program to run"}},
      {"EmptyProgram",
       h + "  command: [\"\", x]\n",
       {"data.yaml:6:13: spec.command[0]: the program must not be empty, got \"\""}},
      {"ShellStringCommand",
       h + "  command: /bin/app --flag\n",
       {"data.yaml:6:12: spec.command: must be a list (argv, not a shell string), e.g. "
        "[\"/bin/app\", \"--flag\"], "
        "got \"/bin/app --flag\""}},
      {"MissingCommand",
       h + "  serviceCount: 2\n",
       {"data.yaml:6:3: spec.command: required field is missing"}},
      {"MissingEnvelopeFields",
       "apiVersion: servicesmgr/v1\nkind: ServiceType\n",
       {"data.yaml:1:1: metadata: required field is missing",
        "data.yaml:1:1: spec: required field is missing"}},
      {"DuplicateNamesInOneFile",
       "---\n" + h + "  command: [a]\n---\n" + h + "  command: [b]\n",
       {"data.yaml:12:9: metadata.name: duplicate service type \"A\" (first defined at line 5)"}},
      {"DuplicateKey",
       h + "  command: [a]\n  serviceCount: 1\n  serviceCount: 2\n",
       {"data.yaml:8:3: spec.serviceCount: duplicate field (first set at line 7)"}},
      {"UnknownSignal",
       h + "  command: [a]\n  stop: {signal: SIGFOO}\n",
       {"data.yaml:7:18: spec.stop.signal: unknown signal (use a name such as SIGTERM or TERM), "
        "got \"SIGFOO\""}},
      {"NumericSignal",
       h + "  command: [a]\n  stop: {signal: 15}\n",
       {"data.yaml:7:18: spec.stop.signal: must be a string, got 15"}},
      {"UncatchableRoleChangeSignal",
       h + "  command: [a]\n  roleChange: {signal: KILL}\n",
       {"data.yaml:7:24: spec.roleChange.signal: SIGKILL cannot be caught by the process, got "
        "\"KILL\""}},
      {"StopSignalThatDoesNotStop",
       h + "  command: [a]\n  stop: {signal: SIGSTOP}\n",
       {"data.yaml:7:18: spec.stop.signal: SIGSTOP suspends or resumes a process rather than "
        "stopping it, got "
        "\"SIGSTOP\""}},
      {"BadRestartPolicy",
       h + "  command: [a]\n  restart: {policy: sometimes}\n",
       {"data.yaml:7:21: spec.restart.policy: must be one of always, on-failure, never, got "
        "\"sometimes\""}},
      {"BackoffInitialAboveMax",
       h + "  command: [a]\n  restart: {backoffInitialMs: 50000, backoffMaxMs: 1000}\n",
       {"data.yaml:7:31: spec.restart.backoffInitialMs: backoffInitialMs (50000) must not exceed "
        "backoffMaxMs "
        "(1000)"}},
      {"BackoffInitialAboveDefaultMax",
       h + "  command: [a]\n  restart: {backoffInitialMs: 50000}\n",
       {"data.yaml:7:31: spec.restart.backoffInitialMs: backoffInitialMs (50000) must not exceed "
        "backoffMaxMs "
        "(30000, the default)"}},
      {"CrashLoopZero",
       h + "  command: [a]\n  restart: {crashLoop: {failures: 0}}\n",
       {"data.yaml:7:35: spec.restart.crashLoop.failures: must be an integer >= 1, got 0"}},
      {"BadPortNames",
       h + "  command: [a]\n  ports: [http-alt, \"\"]\n",
       {"data.yaml:7:11: spec.ports[0]: may contain only letters, digits and '_' (it becomes the "
        "variable "
        "SM_PORT_<NAME>), got \"http-alt\"",
        "data.yaml:7:21: spec.ports[1]: must not be empty, got \"\""}},
      {"DuplicatePort",
       h + "  command: [a]\n  ports: [http, admin, http]\n",
       {"data.yaml:7:24: spec.ports[2]: duplicate entry \"http\""}},
      {"PortsSameVariable",
       h + "  command: [a]\n  ports: [http, HTTP]\n",
       {"data.yaml:7:17: spec.ports[1]: duplicate port: \"http\" and \"HTTP\" both become "
        "SM_PORT_HTTP"}},
      {"DependsOnItself",
       h + "  command: [a]\n  constraints: {dependsOn: [B, A]}\n",
       {"data.yaml:7:32: spec.constraints.dependsOn[1]: a service type cannot depend on itself "
        "(\"A\")"}},
      {"HealthBoth",
       h + "  command: [a]\n  ports: [http]\n  health: {exec: [/bin/check], tcp: http}\n",
       {"data.yaml:8:11: spec.health: give either exec or tcp, not both"}},
      {"HealthNeither",
       h + "  command: [a]\n  health: {intervalMs: 5}\n",
       {"data.yaml:7:11: spec.health: give a check: exec (argv) or tcp (a port name)"}},
      {"HealthSendWithoutTcp",
       h + "  command: [a]\n  health: {exec: [/bin/check], send: PING, expect: PONG}\n",
       {"data.yaml:7:38: spec.health.send: send goes with tcp",
        "data.yaml:7:52: spec.health.expect: expect goes with tcp"}},
      {"HealthUndeclaredPort",
       h + "  command: [a]\n  health: {tcp: admin}\n",
       {"data.yaml:7:17: spec.health.tcp: port \"admin\" is not declared in spec.ports"}},
      {"RoleChangeBoth",
       h + "  command: [a]\n  roleChange: {signal: SIGUSR1, exec: [/hook]}\n",
       {"data.yaml:7:15: spec.roleChange: give either signal or exec, not both"}},
      {"UnknownConstraintKeysAndBadValues",
       h + "  command: [a]\n  constraints: {allowHost: [x], zone: a, maxPerHost: 0, "
           "maxLoadAverage: -1, "
           "allowHosts: [\"ds[0-9\"]}\n",
       {"data.yaml:7:17: spec.constraints.allowHost: unknown field; did you mean \"allowHosts\"?",
        "data.yaml:7:33: spec.constraints.zone: unknown field; expected one of: allowHosts, "
        "denyHosts, hostLabels, "
        "maxPerHost, minFreeMemoryMB, maxLoadAverage, dependsOn, masterHosts, "
        "masterLabels",
        "data.yaml:7:54: spec.constraints.maxPerHost: must be an integer >= 1, got 0",
        "data.yaml:7:73: spec.constraints.maxLoadAverage: must be a number > 0 and <= 1000000, got "
        "-1",
        "data.yaml:7:90: spec.constraints.allowHosts[0]: has an unterminated '[' (write \\[ for a "
        "literal "
        "bracket), got \"ds[0-9\""}},
      {"EnvValuesMustBeScalars",
       h + "  command: [a]\n  env: {A: 1, C: [1], D: {x: 1}, 9X: a, SM_PORT: b, E: ~}\n",
       {"data.yaml:7:18: spec.env.C: must be a string or another scalar, got a sequence",
        "data.yaml:7:26: spec.env.D: must be a string or another scalar, got a mapping",
        "data.yaml:7:34: spec.env.9X: bad key: must be a valid environment variable name "
        "([A-Za-z_][A-Za-z0-9_]*)",
        "data.yaml:7:41: spec.env.SM_PORT: bad key: names starting with SM_ are reserved for the "
        "manager",
        "data.yaml:7:56: spec.env.E: must be a string or another scalar, got null"}},
      {"RelativeWorkingDir",
       h + "  command: [a]\n  workingDir: relative/dir\n",
       {"data.yaml:7:15: spec.workingDir: must be an absolute path, got \"relative/dir\""}},
      {"SectionNotAMapping",
       h + "  command: [a]\n  restart: always\n",
       {"data.yaml:7:12: spec.restart: must be a mapping, got \"always\""}},
      {"WrongApiVersionAndKind",
       "apiVersion: servicesmgr/v2\nkind: Service\nmetadata: {name: A}\nspec: {command: [a]}\n",
       {"data.yaml:1:13: apiVersion: must be \"servicesmgr/v1\", got \"servicesmgr/v2\"",
        "data.yaml:2:7: kind: must be \"ServiceType\", got \"Service\""}},
      {"DocumentNotAMapping",
       "- a\n- b\n",
       {"data.yaml:1:1: document 1 must be a mapping with apiVersion, kind, metadata and spec, got "
        "a sequence"}},
      {"ScalarDocument",
       "hello\n",
       {"data.yaml:1:1: document 1 must be a mapping with apiVersion, kind, metadata and spec, got "
        "\"hello\""}},
      {"EmptyFile", "", {"data.yaml: no documents: expected at least one ServiceType document"}},
      {"OnlyComments",
       "# nothing here\n---\n",
       {"data.yaml: no documents: expected at least one ServiceType document"}},
      {"InvalidUtf8",
       "apiVersion: servicesmgr/v1\nkind: \xff\xfe\n",
       {"data.yaml:2:7: not a text file: invalid UTF-8 byte 0xff"}},
      {"BinaryGarbage",
       std::string("\x7f"
                   "ELF\x02\x01\x01\0\0\0",
                   10),
       {"data.yaml:1:1: not a text file: control character 0x7f"}},
      {"HugeFile",
       std::string(1024 * 1024 + 1, '#'),
       {"data.yaml: file is too large: more than 1048576 bytes (limit 1048576 bytes)"}},
      {"GraceOnATypeThatIsNotPersistent",
       h + "  command: [a]\n  hostLossGraceSeconds: 60\n",
       {"data.yaml:7:25: spec.hostLossGraceSeconds: only a persistent type has a host-loss grace: "
        "set persistent: true, or remove it"}},
      {"NegativeGrace",
       h + "  command: [a]\n  persistent: true\n  hostLossGraceSeconds: -1\n",
       {"data.yaml:8:25: spec.hostLossGraceSeconds: must be an integer >= 0, got -1"}},
      {"PersistentAsAString",
       h + "  command: [a]\n  persistent: \"yes\"\n  hostLossGraceSeconds: 60\n",
       {"data.yaml:7:15: spec.persistent: must be true or false, got \"yes\""}},
      {"PromotionWithoutScore",
       h + "  command: [a]\n  promotion: {waitMs: 100}\n",
       {"data.yaml:7:14: spec.promotion.score: required field is missing"}},
      {"PromotionScoreWithoutExec",
       h + "  command: [a]\n  promotion:\n    score: {timeoutMs: 100}\n",
       {"data.yaml:8:12: spec.promotion.score.exec: required field is missing"}},
      {"PromotionBadNumbers",
       h + "  command: [a]\n  promotion:\n    score: {exec: [s], timeoutMs: 0}\n"
           "    waitMs: 70000\n    maxLag: -1\n    refreshMs: 5\n",
       {"data.yaml:8:35: spec.promotion.score.timeoutMs: must be an integer >= 1, got 0",
        "data.yaml:9:13: spec.promotion.waitMs: must be an integer <= 60000, got 70000",
        "data.yaml:10:13: spec.promotion.maxLag: must be an integer >= 0, got -1",
        "data.yaml:11:16: spec.promotion.refreshMs: must be an integer >= 100, got 5"}},
      {"PromotionUnknownField",
       h + "  command: [a]\n  promotion: {score: {exec: [s]}, maxlag: 5}\n",
       {"data.yaml:7:35: spec.promotion.maxlag: unknown field; did you mean \"maxLag\"?"}},
      {"PromotionScoreExecNotAList",
       h + "  command: [a]\n  promotion: {score: {exec: /bin/score}}\n",
       {}},  // one positioned message, checked below
      {"DeepNesting",
       h + "  command: [a]\n  env: " + std::string(5000, '[') + "\n",
       {}},  // the exact text is yaml-cpp's; checked below to be one positioned YAML error
  };
}

class BadInput : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadInput, GivesExactlyTheseMessages) {
  const auto& c = GetParam();
  const auto errors = errorsOf(c.text);
  if (c.expected.empty()) {
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_TRUE(errors[0].starts_with("data.yaml:")) << errors[0];
    return;
  }
  EXPECT_EQ(errors, c.expected);
}

INSTANTIATE_TEST_SUITE_P(Loader, BadInput, ::testing::ValuesIn(badCases()),
                         [](const auto& info) { return info.param.name; });

TEST(YamlLoader, AtLeastTwentyFiveDistinctBadInputs) {
  EXPECT_GE(badCases().size(), 25u);
}

TEST(YamlLoader, ErrorsInSeveralDocumentsAreAllReported) {
  const auto errors = errorsOf("---\n" + kHeader + "  command: []\n---\n" + kHeader +
                               "  command: [a]\n  ports: [a-b]\n");
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0],
            "data.yaml:7:12: spec.command: must not be empty: give at least the program to run");
  EXPECT_EQ(
      errors[1],
      "data.yaml:12:9: metadata.name: duplicate service type \"A\" (first defined at line 5)");
  EXPECT_EQ(errors[2],
            "data.yaml:15:11: spec.ports[0]: may contain only letters, digits and '_' (it becomes "
            "the variable SM_PORT_<NAME>), got \"a-b\"");
}

TEST(YamlLoader, TooManyErrorsAreCapped) {
  std::string text = kHeader + "  command: [a]\n  ports: [";
  for (int i = 0; i < 300; ++i) text += "\"-\", ";
  text += "x]\n";
  const auto errors = errorsOf(text);
  ASSERT_EQ(errors.size(), 101u);
  EXPECT_EQ(errors.back(), "data.yaml: too many errors; stopping after 100");
}

TEST(YamlLoader, MissingFileAndDirectoryNameTheFile) {
  auto missing = loadServiceTypesFile("/nonexistent/x.yaml");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.errors()[0].str(),
            "/nonexistent/x.yaml: cannot read: No such file or directory");
  auto dir = loadServiceTypesFile("/tmp");
  ASSERT_FALSE(dir);
  EXPECT_EQ(dir.errors()[0].str(), "/tmp: cannot read: is a directory");
}

TEST(YamlLoader, HugeFileOnDiskNamesTheFile) {
  const auto path = std::filesystem::temp_directory_path() / "sm_config_huge_test.yaml";
  {
    std::ofstream out(path);
    out << std::string(2 * 1024 * 1024, '#');
  }
  auto result = loadServiceTypesFile(path);
  std::filesystem::remove(path);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.errors()[0].str(),
            path.string() + ": file is too large: more than 1048576 bytes (limit 1048576 bytes)");
}

TEST(YamlLoader, ValueErrorThrowsNothingOnValueAccess) {
  auto result = loadServiceTypesText("", "x.yaml");
  ASSERT_FALSE(result);
  EXPECT_THROW((void)result.value(), std::logic_error);
}

}  // namespace
}  // namespace sm::config
