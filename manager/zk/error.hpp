#pragma once
#include <stdexcept>
#include <string>

namespace sm::zk {

// The ZooKeeper result codes the layer's users act on; any other code keeps its number.
enum class Code : int {
  Ok = 0,
  SystemError = -1,
  RuntimeInconsistency = -2,
  DataInconsistency = -3,
  ConnectionLoss = -4,
  MarshallingError = -5,
  Unimplemented = -6,
  OperationTimeout = -7,
  BadArguments = -8,
  InvalidState = -9,
  NoNode = -101,
  NoAuth = -102,
  BadVersion = -103,
  NoChildrenForEphemerals = -108,
  NodeExists = -110,
  NotEmpty = -111,
  SessionExpired = -112,
  InvalidAcl = -114,
  AuthFailed = -115,
  Closing = -116,
  SessionMoved = -118,
  Throttled = -127,
};

std::string codeName(Code code);

// Every failure of a ZooKeeper call: the operation, the znode path and ZooKeeper's code.
class ZkError : public std::runtime_error {
 public:
  ZkError(Code code, std::string op, std::string path, const std::string& detail = "");
  Code code() const { return code_; }
  const std::string& op() const { return op_; }
  const std::string& path() const { return path_; }
  // The session may come back (same session id): worth retrying once connected again.
  bool isConnectionLoss() const;
  bool isSessionLost() const;

 private:
  Code code_;
  std::string op_;
  std::string path_;
};

// A multi() that failed: which operation (0-based) failed and why; nothing of it was applied.
class MultiError : public ZkError {
 public:
  MultiError(Code code, size_t failedIndex, const std::string& failedPath);
  size_t failedIndex() const { return failedIndex_; }

 private:
  size_t failedIndex_;
};

}  // namespace sm::zk
