#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include "manager/zk/client_log.hpp"
#include "manager/zk/session.hpp"
#include "manager/zkserver/free_port.hpp"
#include "tests/support/wait_for.hpp"
#include "tests/support/zookeeper_fixture.hpp"

namespace {

using namespace std::chrono_literals;
using sm::test::waitFor;
using namespace sm::zk;

class SessionTest : public sm::test::ZooKeeperTest {};

TEST_F(SessionTest, CreatesInEveryMode) {
  EXPECT_EQ(session_->create(path("p"), "data"), path("p"));
  auto ephemeral = session_->create(path("e"), "", CreateMode::Ephemeral);
  EXPECT_EQ(session_->exists(ephemeral)->ephemeralOwner, session_->id());
  EXPECT_EQ(session_->exists(path("p"))->ephemeralOwner, 0);

  auto ps1 = session_->create(path("ps-"), "", CreateMode::PersistentSequential);
  auto ps2 = session_->create(path("ps-"), "", CreateMode::PersistentSequential);
  EXPECT_EQ(ps1, path("ps-0000000002"));  // p and e took sequence numbers 0 and 1 of the parent
  EXPECT_EQ(ps2, path("ps-0000000003"));
  auto es = session_->create(path("es-"), "", CreateMode::EphemeralSequential);
  EXPECT_EQ(es, path("es-0000000004"));

  auto other = connect();
  auto mine = other->create(path("theirs"), "", CreateMode::Ephemeral);
  other->close();
  EXPECT_FALSE(session_->exists(mine)) << "an ephemeral node goes with its session";
  EXPECT_TRUE(session_->exists(path("p")));
}

TEST_F(SessionTest, GetSetDeleteWithVersions) {
  session_->create(path("n"), "one");
  auto node = session_->get(path("n"));
  ASSERT_TRUE(node);
  EXPECT_EQ(node->data, "one");
  EXPECT_EQ(node->stat.version, 0);

  auto stat = session_->set(path("n"), "two", 0);
  EXPECT_EQ(stat.version, 1);
  try {
    session_->set(path("n"), "stale", 0);
    FAIL() << "a stale version must be refused";
  } catch (const ZkError& e) {
    EXPECT_EQ(e.code(), Code::BadVersion);
    EXPECT_EQ(e.path(), path("n"));
    EXPECT_NE(std::string(e.what()).find(path("n")), std::string::npos);
  }
  EXPECT_EQ(session_->get(path("n"))->data, "two");
  EXPECT_THROW(session_->remove(path("n"), 0), ZkError);
  session_->remove(path("n"), 1);
  EXPECT_FALSE(session_->get(path("n")));
  EXPECT_FALSE(session_->exists(path("n")));
  EXPECT_FALSE(session_->children(path("n")));
}

TEST_F(SessionTest, LargeValuesRoundTrip) {
  std::string big(900 * 1024, 'x');
  big[12345] = '\0';  // binary data survives too
  session_->create(path("big"), big);
  EXPECT_EQ(session_->get(path("big"))->data, big);
}

TEST_F(SessionTest, ErrorsCarryCodeAndPath) {
  try {
    session_->create(path("missing/child"), "");
    FAIL();
  } catch (const ZkError& e) {
    EXPECT_EQ(e.code(), Code::NoNode);
    EXPECT_EQ(e.path(), path("missing/child"));
    EXPECT_EQ(e.op(), "create");
  }
  session_->create(path("dup"), "");
  try {
    session_->create(path("dup"), "");
    FAIL();
  } catch (const ZkError& e) {
    EXPECT_EQ(e.code(), Code::NodeExists);
  }
  session_->create(path("parent"), "");
  session_->create(path("parent/child"), "");
  try {
    session_->remove(path("parent"));
    FAIL();
  } catch (const ZkError& e) {
    EXPECT_EQ(e.code(), Code::NotEmpty);
  }
}

TEST_F(SessionTest, ChildrenAndRecursiveHelpers) {
  session_->ensurePath(path("a/b/c"), "leaf");
  EXPECT_EQ(session_->get(path("a/b/c"))->data, "leaf");
  session_->ensurePath(path("a/b/c"), "ignored");  // already there: left alone
  EXPECT_EQ(session_->get(path("a/b/c"))->data, "leaf");
  session_->create(path("a/b/d"), "");
  Stat stat;
  auto names = session_->children(path("a/b"), {}, &stat);
  ASSERT_TRUE(names);
  std::sort(names->begin(), names->end());
  EXPECT_EQ(*names, (std::vector<std::string>{"c", "d"}));
  EXPECT_EQ(stat.numChildren, 2);
  session_->removeRecursive(path("a"));
  EXPECT_FALSE(session_->exists(path("a")));
  session_->removeRecursive(path("a"));  // already gone: fine
}

TEST_F(SessionTest, WatchesFireOnceOnTheDispatcherWhereSyncCallsWork) {
  session_->create(path("w"), "v0");
  std::atomic<int> fired{0};
  std::atomic<bool> sawUpdate{false};
  std::atomic<bool> onDispatcher{false};
  session_->get(path("w"), [&](const WatchEvent& event) {
    EXPECT_EQ(event.type, EventType::DataChanged);
    EXPECT_EQ(event.path, path("w"));
    onDispatcher = session_->onDispatcherThread();
    // A synchronous call from inside a watcher would deadlock on the C client's own thread.
    sawUpdate = session_->get(path("w"))->data == "v1";
    ++fired;
  });
  session_->set(path("w"), "v1");
  ASSERT_TRUE(waitFor([&] { return fired == 1; }));
  EXPECT_TRUE(onDispatcher);
  EXPECT_TRUE(sawUpdate);
  session_->set(path("w"), "v2");
  session_->sync(path("w"));
  session_->drain();
  EXPECT_EQ(fired, 1) << "watches are one-shot";
}

TEST_F(SessionTest, ChildExistsAndDeleteWatches) {
  session_->create(path("dir"), "");
  std::atomic<int> childEvents{0}, created{0}, deleted{0};
  session_->children(path("dir"), [&](const WatchEvent& e) {
    if (e.type == EventType::ChildrenChanged) ++childEvents;
  });
  EXPECT_FALSE(session_->exists(path("later"), [&](const WatchEvent& e) {
    if (e.type == EventType::Created) ++created;
  }));
  session_->create(path("dir/x"), "");
  session_->create(path("later"), "");
  session_->get(path("later"), [&](const WatchEvent& e) {
    if (e.type == EventType::Deleted) ++deleted;
  });
  session_->remove(path("later"));
  EXPECT_TRUE(waitFor([&] { return childEvents == 1 && created == 1 && deleted == 1; }));
}

TEST_F(SessionTest, WatchOnAMissingNodeFromGetIsNotLeftArmed) {
  std::atomic<int> fired{0};
  EXPECT_FALSE(session_->get(path("absent"), [&](const WatchEvent&) { ++fired; }));
  session_->create(path("absent"), "");
  session_->sync(path("absent"));
  session_->drain();
  EXPECT_EQ(fired, 0);
}

TEST_F(SessionTest, TheLastOwnerMayDropTheSessionFromItsOwnCallback) {
  auto owner = connect();
  owner->create(path("x"), "");
  std::atomic<bool> done{false};
  std::shared_ptr<Session> last = owner;
  owner->get(path("x"), [&last, &done](const WatchEvent&) {
    last.reset();  // destroys the session on its own dispatcher thread
    done = true;
  });
  const auto id = owner->id();
  owner.reset();
  session_->set(path("x"), "1");
  ASSERT_TRUE(waitFor([&] { return done.load(); }));
  EXPECT_NE(id, session_->id());
  EXPECT_TRUE(waitFor([&] { return session_->exists(path("x")).has_value(); }));
}

TEST_F(SessionTest, MultiIsAllOrNothing) {
  session_->create(path("m"), "0");
  auto results = session_->multi({Op::create(path("m1"), "a"),
                                  Op::create(path("seq-"), "", CreateMode::PersistentSequential),
                                  Op::set(path("m"), "1", 0), Op::check(path("m"), 1)});
  ASSERT_EQ(results.size(), 4u);
  EXPECT_EQ(results[0].createdPath, path("m1"));
  EXPECT_EQ(results[1].createdPath.rfind(path("seq-"), 0), 0u);
  EXPECT_EQ(results[2].stat.version, 1);

  try {
    session_->multi({Op::create(path("m2"), ""), Op::remove(path("m1")),
                     Op::set(path("m"), "stale", 0), Op::create(path("m3"), "")});
    FAIL() << "the stale set must fail the whole multi";
  } catch (const MultiError& e) {
    EXPECT_EQ(e.failedIndex(), 2u);
    EXPECT_EQ(e.code(), Code::BadVersion);
    EXPECT_EQ(e.path(), path("m"));
  }
  EXPECT_FALSE(session_->exists(path("m2")));
  EXPECT_TRUE(session_->exists(path("m1")));
  EXPECT_EQ(session_->get(path("m"))->data, "1");
}

TEST_F(SessionTest, SyncBringsAnotherSessionsWriteIntoView) {
  auto writer = connect();
  writer->create(path("s"), "x");
  session_->sync(path("s"));
  EXPECT_TRUE(session_->exists(path("s")));
}

TEST_F(SessionTest, DigestCredentialsProtectWhatTheyCreate) {
  SessionOptions owner;
  owner.hosts = hosts();
  owner.credentials = {{"servicesmgr", "s3cret"}};
  auto admin = Session::connect(owner);
  admin->create(path("guarded"), "v");
  admin->create(path("guarded/child"), "c");
  auto acl = admin->getAcl(path("guarded"));
  ASSERT_EQ(acl.size(), 2u);
  EXPECT_EQ(acl[0].scheme, "digest");
  EXPECT_EQ(acl[0].id.rfind("servicesmgr:", 0), 0u);
  EXPECT_EQ(acl[0].perms, perm::All);
  EXPECT_EQ(acl[1], (Acl{perm::Read, "world", "anyone"}));

  auto anonymous = connect();
  EXPECT_EQ(anonymous->get(path("guarded"))->data, "v") << "reads stay open";
  auto expectNoAuth = [](const std::function<void()>& change) {
    try {
      change();
      ADD_FAILURE() << "a client without the credentials changed a guarded node";
    } catch (const ZkError& e) {
      EXPECT_EQ(e.code(), Code::NoAuth);
    }
  };
  expectNoAuth([&] { anonymous->set(path("guarded"), "defaced"); });
  // Creating and deleting children are the parent's permissions.
  expectNoAuth([&] { anonymous->create(path("guarded/intruder"), ""); });
  expectNoAuth([&] { anonymous->remove(path("guarded/child")); });
  expectNoAuth([&] { anonymous->setAcl(path("guarded"), openAcl()); });

  SessionOptions intruder = owner;
  intruder.credentials = {{"servicesmgr", "wrong"}};
  auto wrong = Session::connect(intruder);
  expectNoAuth([&] { wrong->set(path("guarded"), "x"); });

  auto again = Session::connect(owner);
  again->set(path("guarded"), "updated");
  again->setAcl(path("guarded"), openAcl());
  anonymous->set(path("guarded"), "now open");
  EXPECT_EQ(session_->get(path("guarded"))->data, "now open");
}

TEST_F(SessionTest, ConnectingWhereNoServerListensFailsClearlyAfterTheTimeout) {
  const int port = sm::zkserver::freeLoopbackPort();
  SessionOptions options;
  options.hosts = "127.0.0.1:" + std::to_string(port);
  options.connectTimeout = 1500ms;
  const auto start = std::chrono::steady_clock::now();
  try {
    Session::connect(options);
    FAIL() << "nothing listens there";
  } catch (const ZkError& e) {
    auto waited = std::chrono::steady_clock::now() - start;
    EXPECT_GE(waited, 1400ms);
    EXPECT_LT(waited, 6s);
    EXPECT_EQ(e.code(), Code::OperationTimeout);
    const std::string message = e.what();
    EXPECT_NE(message.find("127.0.0.1:" + std::to_string(port)), std::string::npos) << message;
    EXPECT_NE(message.find("within 1500 ms"), std::string::npos) << message;
  }
}

TEST_F(SessionTest, ABadConnectStringIsRefused) {
  SessionOptions options;
  options.hosts = "";
  EXPECT_THROW(Session::connect(options), ZkError);
}

TEST_F(SessionTest, ExpiryIsReportedAndReopenGivesANewSession) {
  auto victim = connect();
  auto ephemeral = victim->create(path("mine"), "", CreateMode::Ephemeral);
  std::mutex mutex;
  std::vector<SessionState> seen;
  victim->addStateListener([&](SessionState s) {
    std::lock_guard lock(mutex);
    seen.push_back(s);
  });
  std::atomic<int> watchFired{0};
  victim->exists(path("never"), [&](const WatchEvent&) { ++watchFired; });

  ASSERT_TRUE(sm::test::expireSession(hosts(), *victim));
  ASSERT_TRUE(waitFor([&] { return victim->state() == SessionState::Expired; }, 15s));
  EXPECT_FALSE(victim->usable());
  EXPECT_TRUE(waitFor([&] {
    std::lock_guard lock(mutex);
    return !seen.empty() && seen.back() == SessionState::Expired;
  }));
  EXPECT_FALSE(session_->exists(ephemeral)) << "the server dropped the expired session's nodes";
  EXPECT_THROW(victim->get(path("mine")), ZkError);

  auto fresh = victim->reopen();
  EXPECT_TRUE(fresh->connected());
  EXPECT_NE(fresh->id(), victim->id());
  fresh->create(path("mine"), "", CreateMode::Ephemeral);
  session_->create(path("never"), "");
  session_->sync(path("never"));
  victim->drain();
  EXPECT_EQ(watchFired, 0) << "an expired session's watches never fire";
}

TEST_F(SessionTest, AttachingToAnExpiredSessionFails) {
  auto victim = connect();
  auto credentials = victim->credentials();
  victim->close();
  SessionOptions options;
  options.hosts = hosts();
  options.attach = credentials;
  try {
    Session::connect(options);
    FAIL();
  } catch (const ZkError& e) {
    EXPECT_EQ(e.code(), Code::SessionExpired);
  }
}

TEST_F(SessionTest, NegotiatedTimeoutAndConnectedHostAreReported) {
  auto s = connect(3000ms);
  EXPECT_EQ(s->negotiatedTimeout(), 3000ms);
  EXPECT_EQ(s->connectedHost(), hosts());
}

// Captures what a block of code writes to the process's stderr (file descriptor 2).
class StderrCapture {
 public:
  StderrCapture() : file_(std::filesystem::temp_directory_path() / "sm-stderr-capture") {
    std::fflush(stderr);
    saved_ = ::dup(STDERR_FILENO);
    int fd = ::open(file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(fd, STDERR_FILENO);
    ::close(fd);
  }
  std::string finish() {
    std::fflush(stderr);
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
    std::ifstream in(file_);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::filesystem::remove(file_);
    return text;
  }

 private:
  std::filesystem::path file_;
  int saved_;
};

TEST_F(SessionTest, TheCClientLogsThroughSpdlogNotToStderr) {
  auto sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(500);
  auto logger = clientLogger();
  auto oldSinks = logger->sinks();
  auto oldLevel = logger->level();
  logger->sinks() = {sink};
  logger->set_level(spdlog::level::info);

  StderrCapture capture;
  {
    SessionOptions options;
    options.hosts = hosts();
    Session::connect(options)->close();
  }
  const std::string raw = capture.finish();

  logger->sinks() = oldSinks;
  logger->set_level(oldLevel);
  syncClientLogLevel();

  auto lines = sink->last_formatted();
  EXPECT_GE(lines.size(), 3u) << "the C client's INFO lines reach spdlog";
  bool sawInfo = false;
  for (const auto& line : lines) sawInfo |= line.find("[info]") != std::string::npos;
  EXPECT_TRUE(sawInfo);
  EXPECT_EQ(raw.find("ZOO_INFO"), std::string::npos) << "nothing raw on stderr: " << raw;
}

TEST_F(SessionTest, AnEarlyWatcherRunsOnTheClientsThreadBeforeTheDispatchersOne) {
  session_->create(path("w"), "one");
  std::mutex mutex;
  std::vector<std::string> order;
  std::atomic<bool> earlyOnDispatcher{false};
  session_->get(
      path("w"),
      EarlyWatcher{[&](const WatchEvent& event) {
        if (session_->onDispatcherThread()) earlyOnDispatcher = true;
        std::lock_guard lock(mutex);
        order.push_back("early " + event.path);
      }},
      [&](const WatchEvent&) {
        std::lock_guard lock(mutex);
        order.push_back("later");
      });
  // Only early: nothing is posted to the dispatcher.
  session_->children(root(), EarlyWatcher{[&](const WatchEvent&) {
                       std::lock_guard lock(mutex);
                       order.push_back("children");
                     }});
  connect()->set(path("w"), "two");
  ASSERT_TRUE(waitFor([&] {
    std::lock_guard lock(mutex);
    return order.size() == 2;
  }));
  session_->drain();
  {
    std::lock_guard lock(mutex);
    EXPECT_EQ(order, (std::vector<std::string>{"early " + path("w"), "later"}));
  }
  EXPECT_FALSE(earlyOnDispatcher);
  connect()->remove(path("w"));
  ASSERT_TRUE(waitFor([&] {
    std::lock_guard lock(mutex);
    return order.size() == 3;
  }));
  std::lock_guard lock(mutex);
  EXPECT_EQ(order.back(), "children");
}

TEST_F(SessionTest, ReadManyAnswersEachReadAsGetAndChildrenWouldAndArmsItsWatches) {
  session_->create(path("a"), "one");
  session_->create(path("dir"), "");
  session_->create(path("dir/x"), "");
  session_->create(path("dir/y"), "");
  std::atomic<int> dataFired{0}, childrenFired{0};
  std::vector<Session::Read> reads;
  reads.push_back({path("a"), false, EarlyWatcher{[&](const WatchEvent&) { ++dataFired; }}});
  reads.push_back({path("dir"), true, EarlyWatcher{[&](const WatchEvent&) { ++childrenFired; }}});
  reads.push_back({path("absent"), false, {}});
  reads.push_back({path("absent"), true, {}});
  const auto answers = session_->readMany(reads);

  ASSERT_EQ(answers.size(), 4u);
  EXPECT_EQ(answers[0].code, Code::Ok);
  ASSERT_TRUE(answers[0].node.has_value());
  EXPECT_EQ(answers[0].node->data, "one");
  EXPECT_EQ(answers[0].node->stat.version, 0);
  EXPECT_EQ(answers[1].code, Code::Ok);
  ASSERT_TRUE(answers[1].names.has_value());
  auto names = *answers[1].names;
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(answers[2].code, Code::NoNode);
  EXPECT_FALSE(answers[2].node.has_value());
  EXPECT_EQ(answers[3].code, Code::NoNode);
  EXPECT_FALSE(answers[3].names.has_value());

  auto other = connect();
  other->set(path("a"), "two");
  other->create(path("dir/z"), "");
  EXPECT_TRUE(waitFor([&] { return dataFired == 1 && childrenFired == 1; }));
}

TEST_F(SessionTest, ReadManyExistsAnswersWithTheStatAndWatchesAMissingNodeForItsCreation) {
  session_->create(path("here"), "data");
  std::atomic<int> hereFired{0}, absentFired{0};
  std::vector<Session::Read> reads;
  reads.push_back(
      {path("here"), false, EarlyWatcher{[&](const WatchEvent&) { ++hereFired; }}, true});
  reads.push_back(
      {path("absent"), false, EarlyWatcher{[&](const WatchEvent&) { ++absentFired; }}, true});
  const auto answers = session_->readMany(reads);

  ASSERT_EQ(answers.size(), 2u);
  EXPECT_EQ(answers[0].code, Code::Ok);
  ASSERT_TRUE(answers[0].node.has_value());
  EXPECT_EQ(answers[0].node->data, "");  // the stat only
  EXPECT_EQ(answers[0].node->stat.dataLength, 4);
  EXPECT_EQ(answers[1].code, Code::NoNode);
  EXPECT_FALSE(answers[1].node.has_value());

  // Unlike a getData answered NoNode, the exists leaves its watch: the creation fires it.
  auto other = connect();
  other->create(path("absent"), "");
  other->set(path("here"), "changed");
  EXPECT_TRUE(waitFor([&] { return hereFired == 1 && absentFired == 1; }));
}

TEST_F(SessionTest, ReadManyOnAClosedSessionThrowsBeforeSendingAnything) {
  auto closed = connect();
  closed->close();
  try {
    closed->readMany({{path("a"), false, {}}, {root(), true, {}}});
    FAIL() << "a closed session read";
  } catch (const ZkError& e) {
    EXPECT_EQ(e.code(), Code::Closing);
  }
}

}  // namespace
