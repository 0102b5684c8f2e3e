#pragma once
#include <memory>

#include <spdlog/logger.h>

namespace sm::zk {

// The logger that receives the C client's own messages ("zookeeper-c").
std::shared_ptr<spdlog::logger> clientLogger();
// Called by the C client for each of its log lines; re-emits them through spdlog.
void forwardClientLog(const char* message);
// Makes the C client produce only what the "zookeeper-c" logger would print.
void syncClientLogLevel();

}  // namespace sm::zk
