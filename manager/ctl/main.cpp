// servicesctl: the operator's command line for a servicesmgr tree in ZooKeeper.
#include <cstdlib>
#include <iostream>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "manager/ctl/tree.hpp"
#include "manager/zk/session.hpp"

namespace {

// Exit codes, as kubectl users expect them: 0 ok, 1 the operation failed, 2 usage or validation.
constexpr int kFailed = 1;
constexpr int kUsage = 2;

struct GlobalOptions {
  std::string zk = "127.0.0.1:2181";
  std::string root = "/servicesmgr";
  std::string auth;  // user:password for digest auth
  int timeoutMs = 10000;
};

std::shared_ptr<sm::zk::Session> connect(const GlobalOptions& global) {
  sm::zk::SessionOptions options;
  options.hosts = global.zk;
  options.connectTimeout = std::chrono::milliseconds(global.timeoutMs);
  if (!global.auth.empty()) {
    auto colon = global.auth.find(':');
    options.credentials.push_back({global.auth.substr(0, colon),
                                   colon == std::string::npos ? "" : global.auth.substr(colon + 1)});
  }
  return sm::zk::Session::connect(options);
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);
  CLI::App app{"servicesctl: declare service types and watch what servicesmgr makes of them"};
  app.require_subcommand(1);
  GlobalOptions global;
  app.add_option("--zk", global.zk, "ZooKeeper connect string")->envname("SERVICESMGR_ZK")->capture_default_str();
  app.add_option("--root", global.root, "the tree's root znode")->envname("SERVICESMGR_ROOT")->capture_default_str();
  app.add_option("--auth", global.auth, "digest credentials USER:PASSWORD")->envname("SERVICESMGR_AUTH");
  app.add_option("--timeout-ms", global.timeoutMs, "how long to wait for ZooKeeper")->capture_default_str();

  std::string treePath;
  auto* tree = app.add_subcommand("tree", "print the tree like bigdata's DumpZookeeper");
  tree->add_option("path", treePath, "where to start (default: the root)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : kUsage;
  }

  try {
    auto session = connect(global);
    if (*tree) {
      const std::string top = treePath.empty() ? global.root : treePath;
      auto node = sm::ctl::readTree(*session, top);
      if (!node) {
        std::cout << top << " does not exist yet\n";
        return 0;
      }
      std::cout << sm::ctl::renderTree(*node);
    }
  } catch (const std::exception& e) {
    std::cerr << "servicesctl: " << e.what() << "\n";
    return kFailed;
  }
  return 0;
}
