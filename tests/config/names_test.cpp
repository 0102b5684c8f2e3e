// Names, signals, globs and text checks used by the loader and the layout.

#include <gtest/gtest.h>

#include <fnmatch.h>
#include <signal.h>

#include <algorithm>

#include "config/glob.hpp"
#include "config/names.hpp"
#include "config/signals.hpp"
#include "config/utf8.hpp"

namespace sm::config {
namespace {

TEST(Names, ServiceTypeNames) {
  for (auto ok : {"A", "DataServer", "com.bigdata.service.jini.DataServer", "a_b-c.9", "..."}) {
    EXPECT_TRUE(isValidServiceTypeName(ok)) << ok;
  }
  EXPECT_EQ(checkServiceTypeName(""), "must not be empty");
  EXPECT_EQ(checkServiceTypeName("."), "must not be \".\" or \"..\"");
  EXPECT_EQ(checkServiceTypeName(".."), "must not be \".\" or \"..\"");
  EXPECT_TRUE(checkServiceTypeName("a b"));
  EXPECT_TRUE(checkServiceTypeName("a/b"));
  EXPECT_TRUE(checkServiceTypeName("caf\xc3\xa9"));
  EXPECT_TRUE(isValidServiceTypeName(std::string(128, 'a')));
  EXPECT_EQ(checkServiceTypeName(std::string(129, 'a')), "must be at most 128 characters");
  EXPECT_TRUE(isValidHostId(std::string(253, 'h')));
  EXPECT_FALSE(isValidHostId(std::string(254, 'h')));
}

TEST(Names, LockNames) {
  for (const std::string& ok :
       {std::string("a"), std::string("nightly-job"), std::string("db.migrations_v2"),
        std::string(128, 'x')}) {
    EXPECT_FALSE(checkLockName(ok)) << ok;
  }
  EXPECT_EQ(checkLockName(""), "must not be empty");
  EXPECT_EQ(checkLockName(std::string(10000, 'a')), "must be at most 128 characters");
  EXPECT_EQ(checkLockName("a/b"), "may contain only letters, digits, '.', '_' and '-'");
  EXPECT_EQ(checkLockName("a b"), "may contain only letters, digits, '.', '_' and '-'");
  EXPECT_EQ(checkLockName(".."), "must not be \".\" or \"..\"");
}

TEST(Names, PortsAndEnvironment) {
  EXPECT_FALSE(checkPortName("http"));
  EXPECT_FALSE(checkPortName("admin_2"));
  EXPECT_FALSE(checkPortName("8080"));  // SM_PORT_8080 is a valid variable name
  EXPECT_TRUE(checkPortName("http-alt"));
  EXPECT_TRUE(checkPortName(""));
  EXPECT_TRUE(checkPortName(std::string(33, 'p')));
  EXPECT_EQ(portEnvVar("http"), "SM_PORT_HTTP");
  EXPECT_EQ(portEnvVar("Admin_2"), "SM_PORT_ADMIN_2");
  EXPECT_FALSE(checkEnvName("PATH"));
  EXPECT_FALSE(checkEnvName("_x1"));
  EXPECT_TRUE(checkEnvName("1X"));
  EXPECT_TRUE(checkEnvName("A-B"));
  EXPECT_EQ(checkEnvName("SM_ZK"), "names starting with SM_ are reserved for the manager");
  EXPECT_FALSE(checkLabelKey("topology.kubernetes.io/zone"));
  EXPECT_TRUE(checkLabelKey(""));
  EXPECT_FALSE(checkLabelValue(""));
  EXPECT_TRUE(checkLabelValue("a b"));
}

TEST(Names, Uuids) {
  EXPECT_TRUE(isValidUuid("0f8fad5b-d9cb-469f-a165-70867728950e"));
  EXPECT_FALSE(isValidUuid("0F8FAD5B-D9CB-469F-A165-70867728950E"));
  EXPECT_FALSE(isValidUuid("0f8fad5b-d9cb-469f-a165-70867728950"));
  EXPECT_FALSE(isValidUuid("0f8fad5bd9cb-469f-a165-70867728950e0"));
  EXPECT_FALSE(isValidUuid("0f8fad5b-d9cb-469f-a165-70867728950g"));
}

TEST(Signals, AcceptsBothFormsAndAnyCase) {
  EXPECT_EQ(canonicalSignalName("SIGTERM"), "SIGTERM");
  EXPECT_EQ(canonicalSignalName("TERM"), "SIGTERM");
  EXPECT_EQ(canonicalSignalName("sigusr1"), "SIGUSR1");
  EXPECT_EQ(canonicalSignalName("hup"), "SIGHUP");
  EXPECT_FALSE(canonicalSignalName("SIGFOO"));
  EXPECT_FALSE(canonicalSignalName("15"));
  EXPECT_FALSE(canonicalSignalName(""));
  EXPECT_FALSE(canonicalSignalName("SIG"));
  EXPECT_EQ(signalNumber("SIGTERM"), SIGTERM);
  EXPECT_EQ(signalNumber("USR2"), SIGUSR2);
  EXPECT_EQ(signalNumber("KILL"), SIGKILL);
  EXPECT_FALSE(signalNumber("NOPE"));
}

TEST(Signals, ListIsTheSystemsOwn) {
  const auto& names = knownSignalNames();
  EXPECT_GE(names.size(), 28u);
  for (auto expected : {"SIGHUP", "SIGINT", "SIGQUIT", "SIGKILL", "SIGUSR1", "SIGUSR2", "SIGTERM",
                        "SIGCHLD", "SIGWINCH"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), expected), names.end()) << expected;
  }
  for (const auto& name : names) EXPECT_EQ(canonicalSignalName(name), name);
}

TEST(Glob, FnmatchSemantics) {
  EXPECT_TRUE(globMatch("ds*", "ds1"));
  EXPECT_TRUE(globMatch("ds*", "ds"));
  EXPECT_FALSE(globMatch("ds*", "xds1"));
  EXPECT_TRUE(globMatch("h?", "h1"));
  EXPECT_FALSE(globMatch("h?", "h10"));
  EXPECT_TRUE(globMatch("h[0-9]", "h7"));
  EXPECT_FALSE(globMatch("h[0-9]", "ha"));
  EXPECT_TRUE(globMatch("h[!0-9]", "ha"));
  EXPECT_FALSE(globMatch("h[!0-9]", "h1"));
  EXPECT_TRUE(globMatch("h[^0-9]", "hb"));
  EXPECT_TRUE(globMatch("a\\*", "a*"));
  EXPECT_FALSE(globMatch("a\\*", "ab"));
  EXPECT_TRUE(globMatch("*", "anything.example.com"));
  EXPECT_TRUE(globMatch("[]]x", "]x"));
  EXPECT_FALSE(globMatch("DS*", "ds1"));  // case-sensitive
}

TEST(Glob, PatternValidation) {
  EXPECT_FALSE(checkGlob("ds*"));
  EXPECT_FALSE(checkGlob("h[0-9]"));
  EXPECT_FALSE(checkGlob("[]]"));
  EXPECT_FALSE(checkGlob("a\\["));
  EXPECT_EQ(checkGlob(""), "must not be an empty pattern");
  EXPECT_EQ(checkGlob("ds[0-9"), "has an unterminated '[' (write \\[ for a literal bracket)");
  EXPECT_TRUE(checkGlob("[!"));
}

TEST(Utf8, FindsFirstBadByte) {
  EXPECT_FALSE(findInvalidUtf8("plain ascii"));
  EXPECT_FALSE(findInvalidUtf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_EQ(findInvalidUtf8("ab\xff"), 2u);
  EXPECT_EQ(findInvalidUtf8("a\xc3"), 1u);             // truncated
  EXPECT_EQ(findInvalidUtf8("\xc0\xaf"), 0u);          // overlong
  EXPECT_EQ(findInvalidUtf8("x\xed\xa0\x80"), 1u);     // surrogate
  EXPECT_EQ(findInvalidUtf8("\xf4\x90\x80\x80"), 0u);  // > U+10FFFF
  EXPECT_EQ(findInvalidUtf8("\xe2\x28\xa1"), 0u);      // bad continuation
  EXPECT_FALSE(findBinaryControl("tab\tnewline\nreturn\r"));
  EXPECT_EQ(findBinaryControl(std::string("ab\0", 3)), 2u);
  EXPECT_EQ(findBinaryControl("\x1b[0m"), 0u);
}

}  // namespace
}  // namespace sm::config
