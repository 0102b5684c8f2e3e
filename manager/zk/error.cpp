#include "manager/zk/error.hpp"

#include <zookeeper/zookeeper.h>

#include <fmt/format.h>

namespace sm::zk {

std::string codeName(Code code) {
  const char* text = zerror(static_cast<int>(code));
  return fmt::format("{} ({})", text ? text : "unknown error", static_cast<int>(code));
}

ZkError::ZkError(Code code, std::string op, std::string path, const std::string& detail)
    : std::runtime_error(fmt::format("zookeeper {} {}: {}{}{}", op, path.empty() ? "-" : path,
                                     codeName(code), detail.empty() ? "" : ": ", detail)),
      code_(code),
      op_(std::move(op)),
      path_(std::move(path)) {}

bool ZkError::isConnectionLoss() const {
  return code_ == Code::ConnectionLoss || code_ == Code::OperationTimeout ||
         code_ == Code::SessionMoved || code_ == Code::Throttled;
}

bool ZkError::isSessionLost() const {
  return code_ == Code::SessionExpired || code_ == Code::AuthFailed || code_ == Code::Closing ||
         code_ == Code::InvalidState;
}

MultiError::MultiError(Code code, size_t failedIndex, const std::string& failedPath)
    : ZkError(code, fmt::format("multi[op {}]", failedIndex), failedPath),
      failedIndex_(failedIndex) {}

}  // namespace sm::zk
