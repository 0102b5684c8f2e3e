// The lock protocol between a managed process and its daemon (services/lock_wire.hpp).
#include <gtest/gtest.h>

#include "services/lock_wire.hpp"

namespace sm::services::lockwire {
namespace {

Message roundTrip(const Message& m) {
  auto line = encode(m);
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1) << line;
  line.pop_back();
  std::string error;
  auto parsed = parse(line, &error);
  EXPECT_TRUE(parsed) << error << " in " << line;
  return parsed ? *parsed : Message{};
}

TEST(LockWire, EveryMessageRoundTrips) {
  Message acquire{Kind::Acquire, "nightly-job", 2500, 0, 0, ""};
  auto a = roundTrip(acquire);
  EXPECT_EQ(a.kind, Kind::Acquire);
  EXPECT_EQ(a.name, "nightly-job");
  EXPECT_EQ(a.timeoutMs, 2500);
  auto held = roundTrip({Kind::Held, "x", -1, 42, 123456789012345ull, ""});
  EXPECT_EQ(held.token, 42);
  EXPECT_EQ(held.leaseUntilMonoNs, 123456789012345ull);
  EXPECT_EQ(roundTrip({Kind::Lease, "x", -1, 0, 7, ""}).leaseUntilMonoNs, 7u);
  EXPECT_EQ(roundTrip({Kind::Lost, "x", -1, 0, 0, "session expired: all gone"}).text,
            "session expired: all gone");
  EXPECT_EQ(roundTrip({Kind::Refused, "", -1, 0, 0, "peer: no"}).text, "peer: no");
  EXPECT_EQ(roundTrip({Kind::Released, "x", -1, 0, 0, ""}).kind, Kind::Released);
  EXPECT_EQ(roundTrip({Kind::Busy, "x", -1, 0, 0, ""}).kind, Kind::Busy);
}

TEST(LockWire, AnyNameTravelsAsData) {
  for (std::string name : {std::string(), std::string("a b\nc%d"), std::string("a/b"),
                           std::string(10000, 'n'), std::string("\xff\x00z", 3)}) {
    EXPECT_EQ(roundTrip({Kind::Release, name, -1, 0, 0, ""}).name, name);
  }
}

TEST(LockWire, BadLinesSayWhatIsWrong) {
  std::string error;
  EXPECT_FALSE(parse("", &error));
  EXPECT_EQ(error, "request: empty line");
  EXPECT_FALSE(parse("grab x", &error));
  EXPECT_EQ(error, "request: unknown message \"grab\"");
  EXPECT_FALSE(parse("acquire x", &error));
  EXPECT_EQ(error, "request: acquire takes 2 argument(s)");
  EXPECT_FALSE(parse("acquire -5 x", &error));
  EXPECT_EQ(error, "timeout: must be -1, 0 or a number of ms");
  EXPECT_FALSE(parse("release %4", &error));
  EXPECT_EQ(error, "name: bad percent-encoding");
  EXPECT_FALSE(parse("release " + std::string(kMaxLineBytes, 'x'), &error));
  EXPECT_EQ(error, "request: line too long");
}

}  // namespace
}  // namespace sm::services::lockwire
