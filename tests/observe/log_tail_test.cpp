#include "manager/observe/log_tail.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace sm::test {
namespace {

class LogTail : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("sm-log-tail-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "x.log").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write(const std::string& text, bool append = false) {
    std::ofstream out(path_, append ? std::ios::app : std::ios::trunc);
    out << text;
  }
  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(LogTail, LastLines) {
  write("a\nb\nc\n");
  EXPECT_EQ(observe::readLogTail(path_, 1)->text, "c\n");
  EXPECT_EQ(observe::readLogTail(path_, 2)->text, "b\nc\n");
  EXPECT_EQ(observe::readLogTail(path_, 10)->text, "a\nb\nc\n");
  EXPECT_EQ(observe::readLogTail(path_, 0)->text, "");
  write("a\nb");
  EXPECT_EQ(observe::readLogTail(path_, 1)->text, "b");
  EXPECT_EQ(observe::readLogTail(path_, 2)->text, "a\nb");
  EXPECT_FALSE(observe::readLogTail((dir_ / "missing").string(), 3));
}

TEST_F(LogTail, BoundedByBytes) {
  write(std::string(100, 'x') + "\nshort\n");
  EXPECT_EQ(observe::readLogTail(path_, 2, 50)->text, "short\n");
}

TEST_F(LogTail, FollowsAppendsAndRotation) {
  write("one\n");
  auto first = observe::readLogTail(path_, 10);
  write("two\n", true);
  auto more = observe::readLogSince(path_, first->endOffset);
  EXPECT_EQ(more->text, "two\n");
  write("n\n");  // rotated: shorter than the offset
  EXPECT_EQ(observe::readLogSince(path_, more->endOffset)->text, "n\n");
}

}  // namespace
}  // namespace sm::test
