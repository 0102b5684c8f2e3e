// sm-local-zookeeper: runs a private ZooKeeper (standalone or an ensemble) from the Debian package
// in the foreground, prints the connect string, and stops it on Ctrl-C or SIGTERM.
#include <signal.h>

#include <cstdio>
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>

#include "manager/zkserver/local_zookeeper.hpp"

int main(int argc, char** argv) {
  CLI::App app{"Run a private ZooKeeper on 127.0.0.1 until interrupted"};
  size_t servers = 1;
  std::string dir;
  std::string connectFile;
  app.add_option("--servers", servers, "1 for a standalone server, 3 (or 5) for an ensemble")
      ->check(CLI::IsMember({1, 3, 5}));
  app.add_option("--dir", dir, "folder for the servers' data and logs (default: a temp folder)");
  app.add_option("--connect-file", connectFile, "also write the connect string to this file");
  CLI11_PARSE(app, argc, argv);

  // Block the stop signals before the servers start so that we, not the default action, get them.
  sigset_t stopSignals;
  sigemptyset(&stopSignals);
  sigaddset(&stopSignals, SIGINT);
  sigaddset(&stopSignals, SIGTERM);
  sigaddset(&stopSignals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);

  try {
    sm::zkserver::LocalZooKeeperOptions options;
    options.baseDir = dir;
    std::unique_ptr<sm::zkserver::LocalZooKeeper> standalone;
    std::unique_ptr<sm::zkserver::LocalEnsemble> ensemble;
    std::string connect;
    if (servers == 1) {
      standalone = std::make_unique<sm::zkserver::LocalZooKeeper>(options);
      connect = standalone->connectString();
      std::cerr << "ZooKeeper serving at " << connect << " (pid " << standalone->pid() << ")\n";
    } else {
      ensemble = std::make_unique<sm::zkserver::LocalEnsemble>(servers, options);
      connect = ensemble->connectString();
      std::cerr << "ZooKeeper ensemble of " << servers << " serving at " << connect << "\n";
    }
    if (!connectFile.empty()) {
      std::FILE* f = std::fopen(connectFile.c_str(), "w");
      if (f) {
        std::fprintf(f, "%s\n", connect.c_str());
        std::fclose(f);
      }
    }
    std::cout << connect << std::endl;
    int signal = 0;
    sigwait(&stopSignals, &signal);
    std::cerr << "stopping ZooKeeper\n";
  } catch (const std::exception& e) {
    std::cerr << "sm-local-zookeeper: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
