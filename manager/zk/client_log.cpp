#include "manager/zk/client_log.hpp"

#include <zookeeper/zookeeper.h>

#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <spdlog/spdlog.h>

namespace sm::zk {

std::shared_ptr<spdlog::logger> clientLogger() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (!spdlog::get("zookeeper-c")) {
      auto logger = spdlog::default_logger()->clone("zookeeper-c");
      // The C client reports every connect and reconnect at INFO (about 15 lines a session); that
      // is debugging detail for us, and our own session log says what matters at info.
      logger->set_level(spdlog::level::warn);
      spdlog::register_logger(logger);
    }
  });
  return spdlog::get("zookeeper-c");
}

namespace {

struct ParsedLine {
  spdlog::level::level_enum level;
  std::string_view text;
};

// A C client line looks like "2026-11-22 01:39:22,082:1234(0x7f..):ZOO_INFO@log_env@1250: text".
ParsedLine parse(std::string_view line) {
  struct Marker {
    const char* tag;
    spdlog::level::level_enum level;
  };
  static constexpr Marker markers[] = {{"ZOO_ERROR@", spdlog::level::err},
                                       {"ZOO_WARN@", spdlog::level::warn},
                                       {"ZOO_INFO@", spdlog::level::info},
                                       {"ZOO_DEBUG@", spdlog::level::debug}};
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  for (const auto& m : markers) {
    auto at = line.find(m.tag);
    if (at == std::string_view::npos) continue;
    auto rest = line.substr(at + std::strlen(m.tag));
    return {m.level, rest};
  }
  return {spdlog::level::info, line};
}

// While no server answers, the C client logs the same refusal several times a second; one line per
// call site every few seconds, with a count of what was held back, says as much.
class RepeatFilter {
 public:
  // How many lines were held back since the last one let through, or nullopt to hold this back.
  std::optional<size_t> admit(std::string_view text) {
    auto site = std::string(text.substr(0, text.find(':')));
    auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(mutex_);
    auto& entry = sites_[site];
    if (entry.last.time_since_epoch().count() != 0 && now - entry.last < kWindow) {
      ++entry.held;
      return std::nullopt;
    }
    entry.last = now;
    return std::exchange(entry.held, 0);
  }

 private:
  static constexpr std::chrono::seconds kWindow{5};
  struct Site {
    std::chrono::steady_clock::time_point last{};
    size_t held = 0;
  };
  std::mutex mutex_;
  std::map<std::string, Site> sites_;
};

}  // namespace

void forwardClientLog(const char* message) {
  if (!message) return;
  static RepeatFilter filter;
  auto parsed = parse(message);
  auto logger = clientLogger();
  if (!logger->should_log(parsed.level)) return;
  auto held = filter.admit(parsed.text);
  if (!held) return;
  if (*held > 0) {
    logger->log(parsed.level, "{} ({} similar lines held back)", parsed.text, *held);
  } else {
    logger->log(parsed.level, "{}", parsed.text);
  }
}

void syncClientLogLevel() {
  auto level = clientLogger()->level();
  ZooLogLevel zooLevel = ZOO_LOG_LEVEL_ERROR;
  if (level <= spdlog::level::debug) {
    zooLevel = ZOO_LOG_LEVEL_DEBUG;
  } else if (level <= spdlog::level::info) {
    zooLevel = ZOO_LOG_LEVEL_INFO;
  } else if (level <= spdlog::level::warn) {
    zooLevel = ZOO_LOG_LEVEL_WARN;
  }
  zoo_set_debug_level(zooLevel);
}

}  // namespace sm::zk
