// The stored form of a service type (config/<name>), its generation rule, and decoding of foreign
// data.

#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>

#include "config/generation.hpp"
#include "config/service_type_codec.hpp"
#include "config/yaml_loader.hpp"

namespace sm::config {
namespace {

const std::string kZnode = "/fed/config/DataServer";

ServiceType fullType() {
  ServiceType t;
  t.name = "DataServer";
  auto& s = t.spec;
  s.serviceCount = 2;
  s.replicationCount = 3;
  s.command = {"/usr/bin/server", "--flag", "x y", "5"};
  s.env = {{"KEY", "value"}, {"MULTI", "line\nbreak \"quoted\" é"}};
  s.workingDir = "/var/lib/x";
  s.constraints.allowHosts = {"ds*", "h[0-9]"};
  s.constraints.denyHosts = {"ds9"};
  s.constraints.hostLabels = {{"zone", "a"}, {"rack", "r1"}};
  s.constraints.maxPerHost = 2;
  s.constraints.minFreeMemoryMB = 256;
  s.constraints.maxLoadAverage = 0.1;  // not exact in binary: must still round-trip exactly
  s.constraints.dependsOn = {"TransactionServer", "Meta.Server"};
  s.restart = {RestartPolicy::OnFailure, 150, 20000, {7, 90}};
  s.stop = {"SIGINT", 2500};
  s.roleChange.signal = "SIGUSR2";
  s.ports = {"http", "admin"};
  s.health = Health{{}, "admin", 1200, 300, 4, "PING\r\n", "+PONG"};
  return t;
}

StoredServiceType roundTrip(const ServiceType& t, std::int64_t generation) {
  auto decoded = decodeServiceType(encodeServiceType(t, generation), "/fed/config/" + t.name);
  if (!decoded) ADD_FAILURE() << decoded.errorText();
  return decoded ? decoded.value() : StoredServiceType{};
}

TEST(ServiceTypeCodec, RoundTripsEveryField) {
  const auto t = fullType();
  EXPECT_EQ(roundTrip(t, 7), (StoredServiceType{t, 7}));
}

TEST(ServiceTypeCodec, RoundTripsMasterEligibilityAndTheRestartStamp) {
  ServiceType t{"A", {}};
  t.spec.command = {"a"};
  t.spec.constraints.masterHosts = {"db[12]"};
  t.spec.constraints.masterLabels = {{"disk", "ssd"}};
  auto decoded = decodeServiceType(encodeServiceType(t, 3, 1700000000000), "/fed/config/A");
  ASSERT_TRUE(decoded) << decoded.errorText();
  EXPECT_EQ(decoded.value(), (StoredServiceType{t, 3, 1700000000000}));
  // Unset: not written, so that documents stored before read back the same.
  ServiceType bare{"A", {}};
  bare.spec.command = {"a"};
  const auto plain = encodeServiceType(bare, 1);
  EXPECT_EQ(plain.find("masterHosts"), std::string::npos);
  EXPECT_EQ(plain.find("restartedAt"), std::string::npos);
}

TEST(ServiceTypeCodec, TemplateGenerationIsWrittenOnlyWhenItDiffers) {
  ServiceType t{"A", {}};
  t.spec.command = {"a"};
  auto decoded = decodeServiceType(encodeServiceType(t, 3, 0, 2), "/fed/config/A");
  ASSERT_TRUE(decoded) << decoded.errorText();
  EXPECT_EQ(decoded.value(), (StoredServiceType{t, 3, 0, 2}));
  // The same as the generation, or absent (documents stored before): the generation.
  EXPECT_EQ(encodeServiceType(t, 3, 0, 3).find("templateGeneration"), std::string::npos);
  EXPECT_EQ(decodeServiceType(encodeServiceType(t, 3), "/fed/config/A").value().templateFrom(), 3);
  // Later than the generation: refused, naming the field.
  auto j = nlohmann::json::parse(encodeServiceType(t, 3));
  j["templateGeneration"] = 4;
  const auto bad = decodeServiceType(j.dump(), "/fed/config/A");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.errorText().find("templateGeneration"), std::string::npos) << bad.errorText();
  EXPECT_NE(bad.errorText().find("/fed/config/A"), std::string::npos) << bad.errorText();
}

TEST(ServiceTypeCodec, RoundTripsPromotionAndLeavesItOutWhenUnset) {
  ServiceType t{"A", {}};
  t.spec.command = {"a"};
  Promotion promotion;
  promotion.scoreExec = {"/bin/score", "-x"};
  promotion.scoreTimeoutMs = 200;
  promotion.waitMs = 0;
  promotion.maxLag = 1000;
  promotion.refreshMs = 3000;
  t.spec.promotion = promotion;
  EXPECT_EQ(roundTrip(t, 2), (StoredServiceType{t, 2}));
  t.spec.promotion->maxLag.reset();
  EXPECT_EQ(roundTrip(t, 2), (StoredServiceType{t, 2}));
  ServiceType bare{"A", {}};
  bare.spec.command = {"a"};
  EXPECT_EQ(encodeServiceType(bare, 1).find("promotion"), std::string::npos);
  // Not part of the process template: changing it restarts nothing.
  EXPECT_TRUE(sameProcessTemplate(t.spec, bare.spec));
}

TEST(ServiceTypeCodec, RoundTripsDefaultsAndTheOtherVariants) {
  ServiceType t{"A", {}};
  t.spec.command = {"a"};
  EXPECT_EQ(roundTrip(t, 1), (StoredServiceType{t, 1}));
  t.spec.roleChange.exec = {"/hook", "--role"};
  t.spec.health = Health{{"/bin/check", "-q"}, "", 1000, 500, 3, "", ""};
  t.spec.restart.policy = RestartPolicy::Never;
  EXPECT_EQ(roundTrip(t, 9007199254740991), (StoredServiceType{t, 9007199254740991}));
}

TEST(ServiceTypeCodec, EncodedFormIsDocumentedJson) {
  const auto j = nlohmann::json::parse(encodeServiceType(fullType(), 4));
  EXPECT_EQ(j["format"], 1);
  EXPECT_EQ(j["name"], "DataServer");
  EXPECT_EQ(j["generation"], 4);
  EXPECT_EQ(j["spec"]["replicationCount"], 3);
  EXPECT_EQ(j["spec"]["restart"]["policy"], "on-failure");
  EXPECT_EQ(j["spec"]["constraints"]["hostLabels"]["zone"], "a");
  EXPECT_EQ(j["spec"]["health"]["tcp"], "admin");
  EXPECT_EQ(j["spec"]["health"]["send"], "PING\r\n");
  EXPECT_EQ(j["spec"]["health"]["expect"], "+PONG");
  EXPECT_FALSE(j["spec"]["health"].contains("exec"));
  ServiceType minimal{"A", {}};
  minimal.spec.command = {"a"};
  const auto m = nlohmann::json::parse(encodeServiceType(minimal, 1));
  EXPECT_FALSE(m["spec"].contains("workingDir"));
  EXPECT_FALSE(m["spec"].contains("health"));
  EXPECT_FALSE(m["spec"].contains("roleChange"));
  EXPECT_FALSE(m["spec"]["constraints"].contains("maxPerHost"));
  EXPECT_EQ(m["spec"]["stop"]["signal"], "SIGTERM");
}

// Every field, changed one at a time, makes the spec different (and so bumps the generation).
TEST(Generation, EveryFieldChangeBumpsAndNoChangeKeeps) {
  const auto base = fullType();
  const StoredServiceType stored{base, 5, 0, 4};
  EXPECT_EQ(decideGeneration(std::nullopt, base),
            (GenerationDecision{SpecChange::Created, 1, 1}));
  EXPECT_EQ(decideGeneration(stored, base), (GenerationDecision{SpecChange::Unchanged, 5, 4}));
  EXPECT_EQ(decideGeneration(roundTrip(base, 5), base),
            (GenerationDecision{SpecChange::Unchanged, 5, 5}));

  const std::vector<std::function<void(ServiceSpec&)>> edits = {
      [](ServiceSpec& s) { s.serviceCount = 3; },
      [](ServiceSpec& s) { s.replicationCount = 1; },
      [](ServiceSpec& s) { s.command.push_back("--more"); },
      [](ServiceSpec& s) { s.env["NEW"] = "1"; },
      [](ServiceSpec& s) { s.workingDir = "/tmp"; },
      [](ServiceSpec& s) { s.constraints.allowHosts = {"*"}; },
      [](ServiceSpec& s) { s.constraints.denyHosts.clear(); },
      [](ServiceSpec& s) { s.constraints.hostLabels["zone"] = "b"; },
      [](ServiceSpec& s) { s.constraints.maxPerHost.reset(); },
      [](ServiceSpec& s) { s.constraints.minFreeMemoryMB = 1; },
      [](ServiceSpec& s) { s.constraints.maxLoadAverage = 0.2; },
      [](ServiceSpec& s) { s.constraints.dependsOn.pop_back(); },
      [](ServiceSpec& s) { s.restart.policy = RestartPolicy::Always; },
      [](ServiceSpec& s) { s.restart.backoffInitialMs = 151; },
      [](ServiceSpec& s) { s.restart.backoffMaxMs = 20001; },
      [](ServiceSpec& s) { s.restart.crashLoop.failures = 8; },
      [](ServiceSpec& s) { s.restart.crashLoop.windowSeconds = 91; },
      [](ServiceSpec& s) { s.stop.signal = "SIGTERM"; },
      [](ServiceSpec& s) { s.stop.timeoutMs = 1; },
      [](ServiceSpec& s) {
        s.roleChange = {"", {"/hook"}};
      },
      [](ServiceSpec& s) {
        s.ports = {"admin", "http"};
      },
      [](ServiceSpec& s) { s.health->intervalMs = 999; },
      [](ServiceSpec& s) { s.health->timeoutMs = 301; },
      [](ServiceSpec& s) { s.health->failureThreshold = 5; },
      [](ServiceSpec& s) { s.health->tcpPort = "http"; },
      [](ServiceSpec& s) { s.health.reset(); },
  };
  for (std::size_t i = 0; i < edits.size(); ++i) {
    auto changed = base;
    edits[i](changed.spec);
    // The process template dates from generation 4 still, unless the edit changed the process.
    const auto templateGeneration = sameProcessTemplate(base.spec, changed.spec) ? 4 : 6;
    EXPECT_EQ(decideGeneration(stored, changed),
              (GenerationDecision{SpecChange::Changed, 6, templateGeneration}))
        << "edit " << i;
    // Every changed spec still encodes and decodes to itself.
    EXPECT_EQ(roundTrip(changed, 6).type, changed) << "edit " << i;
  }
}

TEST(Generation, ApplyingTheSameYamlTwiceKeepsTheGeneration) {
  const std::string yaml =
      "apiVersion: servicesmgr/v1\nkind: ServiceType\nmetadata: {name: A}\n"
      "spec: {command: [a], constraints: {maxLoadAverage: 2.7}}\n";
  const auto first = loadServiceTypesText(yaml, "a.yaml").value()[0];
  const auto stored = roundTrip(first, decideGeneration(std::nullopt, first).generation);
  const auto second = loadServiceTypesText(yaml, "a.yaml").value()[0];
  EXPECT_EQ(decideGeneration(stored, second), (GenerationDecision{SpecChange::Unchanged, 1, 1}));
}

TEST(ServiceTypeCodec, ProcessTemplateIgnoresScaleAndPlacement) {
  auto a = fullType().spec;
  auto b = a;
  b.serviceCount = 9;
  b.replicationCount = 9;
  b.constraints.maxPerHost = 9;
  b.restart.backoffMaxMs = 99999;
  EXPECT_TRUE(sameProcessTemplate(a, b));
  b.env["X"] = "1";
  EXPECT_FALSE(sameProcessTemplate(a, b));
}

std::string decodeError(std::string_view data, std::string_view znode = kZnode) {
  auto r = decodeServiceType(data, znode);
  return r ? std::string("decoded") : r.errorText();
}

const std::string kGood =
    R"({"format":1,"name":"DataServer","generation":2,"spec":{"command":["a"]}})";

TEST(ServiceTypeCodec, DecodesMinimalStoredDocumentWithDefaults) {
  auto r = decodeServiceType(kGood, kZnode);
  ASSERT_TRUE(r) << r.errorText();
  EXPECT_EQ(r.value().generation, 2);
  EXPECT_EQ(r.value().type.spec.replicationCount, 1);
}

TEST(ServiceTypeCodec, ForeignDataGivesAnErrorNamingTheZnode) {
  EXPECT_EQ(decodeError(""), "/fed/config/DataServer: no data (expected a JSON document)\n");
  EXPECT_EQ(decodeError("garbage"),
            "/fed/config/DataServer: invalid JSON: parse error at line 1, column 1: syntax error "
            "while parsing "
            "value - invalid literal; last read: 'g'\n");
  EXPECT_EQ(decodeError("\xff\xfe"),
            "/fed/config/DataServer: not JSON text: invalid UTF-8 byte 0xff at offset 0\n");
  EXPECT_EQ(decodeError("[1,2]"),
            "/fed/config/DataServer: must be a JSON object, got a sequence\n");
  EXPECT_EQ(decodeError("\"text\""),
            "/fed/config/DataServer: must be a JSON object, got \"text\"\n");
  EXPECT_EQ(decodeError(R"({"name":"DataServer"})"),
            "/fed/config/DataServer: format: required field is missing\n");
  EXPECT_EQ(decodeError(R"({"format":2,"name":"DataServer"})"),
            "/fed/config/DataServer: format: unsupported format 2 (this version reads format 1)\n");
  EXPECT_EQ(decodeError(R"({"format":"1"})"),
            "/fed/config/DataServer: format: must be an integer >= 1, got \"1\"\n");
  EXPECT_EQ(decodeError(R"({"format":1})"),
            "/fed/config/DataServer: name: required field is missing\n"
            "/fed/config/DataServer: generation: required field is missing\n"
            "/fed/config/DataServer: spec: required field is missing\n");
  EXPECT_EQ(decodeError(R"({"format":1,"name":"Other","generation":0,"spec":{"command":["a"]}})"),
            "/fed/config/DataServer: name: \"Other\" does not match the znode name \"DataServer\"\n"
            "/fed/config/DataServer: generation: must be an integer >= 1, got 0\n");
  EXPECT_EQ(decodeError(
                R"({"format":1,"name":"DataServer","generation":1e400,"spec":{"command":["a"]}})"),
            "/fed/config/DataServer: invalid JSON: number overflow parsing '1e400'\n");
  EXPECT_EQ(decodeError(R"({"format":1,"name":"DataServer","generation":1,"spec":{"command":["a"],)"
                        R"("replicationCount":"3","stop":{"signal":"SIGNOPE"},"extra":true}})"),
            "/fed/config/DataServer: spec.extra: unknown field; expected one of: serviceCount, "
            "replicationCount, "
            "command, env, workingDir, constraints, restart, stop, roleChange, ports, health, "
            "persistent, hostLossGraceSeconds, promotion\n"
            "/fed/config/DataServer: spec.replicationCount: must be an integer >= 1, got \"3\"\n"
            "/fed/config/DataServer: spec.stop.signal: unknown signal (use a name such as SIGTERM "
            "or TERM), got "
            "\"SIGNOPE\"\n");
  EXPECT_EQ(
      decodeError(
          R"({"format":1,"name":"DataServer","generation":1,"spec":{"command":["a\u0000b"]}})"),
      "/fed/config/DataServer: spec.command[0]: must not contain NUL characters\n");
  EXPECT_EQ(
      decodeError(R"({"format":1,"name":"DataServer","generation":1,"spec":{"command":[true]}})"),
      "/fed/config/DataServer: spec.command[0]: must be a string, got true\n");
}

TEST(ServiceTypeCodec, HostileSizesAndDepthsAreRefused) {
  EXPECT_EQ(decodeError(std::string(2 * 1024 * 1024, ' ')),
            "/fed/config/DataServer: data is too large: 2097152 bytes (limit 1048576)\n");
  EXPECT_EQ(decodeError(std::string(100000, '[') + std::string(100000, ']')),
            "/fed/config/DataServer: not a valid document: nested deeper than 32 levels\n");
  // Brackets inside strings do not count as nesting.
  const std::string deepString =
      R"({"format":1,"name":"DataServer","generation":1,"spec":{"command":[")" +
      std::string(100, '[') + R"("]}})";
  EXPECT_EQ(decodeError(deepString), "decoded");
  std::string manyPorts =
      R"({"format":1,"name":"DataServer","generation":1,"spec":{"command":["a"],"ports":[)";
  for (int i = 0; i < 2000; ++i) manyPorts += "\"p" + std::to_string(i) + "\",";
  manyPorts += R"("x"]}})";
  EXPECT_EQ(decodeError(manyPorts),
            "/fed/config/DataServer: spec.ports: must have at most 1024 entries, got 2001\n");
}

TEST(ServiceTypeCodec, ValidateRunsTheLoaderRulesOnTypesBuiltInCode) {
  auto t = fullType();
  EXPECT_TRUE(validateServiceType(t).empty());
  t.spec.replicationCount = 0;
  t.spec.ports.push_back("bad-port");
  const auto errors = validateServiceType(t);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].str(), "<DataServer>: spec.replicationCount: must be an integer >= 1, got 0");
  EXPECT_EQ(errors[1].str(),
            "<DataServer>: spec.ports[2]: may contain only letters, digits and '_' (it becomes the "
            "variable "
            "SM_PORT_<NAME>), got \"bad-port\"");
  ServiceType unnamed{"a/b", {}};
  EXPECT_EQ(validateServiceType(unnamed).at(0).str(),
            "<a/b>: name: may contain only letters, digits, '.', '_' and '-'");
}

}  // namespace
}  // namespace sm::config

namespace sm::config {
namespace {

// Mutated inputs (flipped bytes, truncations) must give a result or diagnostics, never an
// exception.
TEST(Robustness, MutatedYamlAndJsonNeverThrow) {
  const std::string yaml =
      "apiVersion: servicesmgr/v1\nkind: ServiceType\nmetadata: {name: A}\n"
      "spec: {command: [a, b], ports: [http], health: {tcp: http},\n"
      "  constraints: {allowHosts: [\"h[0-9]\"], hostLabels: {z: a}}, env: {K: v}}\n";
  const std::string json = encodeServiceType(fullType(), 3);
  std::uint32_t seed = 12345;
  auto next = [&seed] { return seed = seed * 1664525u + 1013904223u; };
  const std::string alphabet = "{}[]:,\"'-#&*!|>%@` \n\t\\0aZ9.\xff\xc3";
  for (int i = 0; i < 3000; ++i) {
    for (const std::string* original : {&yaml, &json}) {
      std::string text = *original;
      for (int k = 0, n = 1 + static_cast<int>(next() % 4); k < n; ++k) {
        text[next() % text.size()] = alphabet[next() % alphabet.size()];
      }
      if (next() % 5 == 0) text.resize(next() % text.size());
      EXPECT_NO_THROW({
        auto loaded = loadServiceTypesText(text, "m.yaml");
        EXPECT_TRUE(loaded.ok() || !loaded.errors().empty());
        auto decoded = decodeServiceType(text, kZnode);
        EXPECT_TRUE(decoded.ok() || !decoded.errors().empty());
      }) << text;
    }
  }
}

}  // namespace
}  // namespace sm::config
