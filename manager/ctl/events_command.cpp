#include "manager/ctl/events_command.hpp"

#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "manager/ctl/armed_watches.hpp"
#include "manager/ctl/cli_error.hpp"
#include "manager/ctl/event_reader.hpp"
#include "manager/ctl/event_view.hpp"
#include "manager/ctl/output_format.hpp"
#include "manager/ctl/follow_loop.hpp"

namespace sm::ctl {

namespace {

struct EventsOptions {
  std::string type;
  bool follow = false;
  int limit = 100;
  std::string output = "table";
};

// Prints the rows of one read. A table's header comes with the first rows only; with --follow,
// JSON is one compact object per line and YAML one document per event, so that a consumer reads
// them as they come.
class EventPrinter {
 public:
  EventPrinter(OutputFormat format, bool follow) : format_(format), follow_(follow) {}

  void print(const std::vector<model::EventView>& rows) {
    if (format_ == OutputFormat::Table) {
      if (rows.empty()) return;
      std::cout << eventsTable(rows, nowMs(), !headerPrinted_);
      headerPrinted_ = true;
    } else if (!follow_) {
      auto list = nlohmann::ordered_json::array();
      for (const auto& row : rows) list.push_back(eventJson(row));
      std::cout << renderDocument(list, format_);
    } else {
      for (const auto& row : rows) {
        if (format_ == OutputFormat::Json) {
          std::cout << eventJson(row).dump() << "\n";
        } else {
          std::cout << "---\n" << toYaml(eventJson(row));
        }
      }
    }
    std::cout << std::flush;
  }

 private:
  OutputFormat format_;
  bool follow_;
  bool headerPrinted_ = false;
};

void requireType(Context& ctx, const std::string& type) {
  if (!ctx.session->exists(ctx.layout.serviceType(type))) {
    throw operationFailed(fmt::format("service type \"{}\" not found ({} does not exist)", type,
                                      ctx.layout.serviceType(type)));
  }
}

int runEvents(const GlobalOptions& global, const EventsOptions& options) {
  if (!options.type.empty()) requireTypeName(options.type);
  const auto format = parseOutputFormat(options.output);
  EventPrinter printer(format, options.follow);
  model::EventQuery query;
  if (!options.type.empty()) query.type = options.type;
  query.limit = static_cast<std::size_t>(options.limit);

  if (!options.follow) {
    auto ctx = connect(global);
    if (query.type) requireType(ctx, *query.type);
    ctx.session->sync(ctx.layout.eventsDir());
    const auto page = readEvents(*ctx.session, ctx.layout, query);
    if (page.events.empty() && format == OutputFormat::Table) {
      std::cout << (query.type ? fmt::format("No events of {}.\n", *query.type)
                               : std::string("No events.\n"));
      return kExitOk;
    }
    printer.print(page.events);
    return kExitOk;
  }

  const StopSignals stop;  // before connecting: the session's threads inherit the mask
  auto ctx = connect(global);
  FollowLoop loop(*ctx.session, "events", global.zk);
  if (query.type) requireType(ctx, *query.type);
  // Until SIGINT or SIGTERM (exit 0).
  loop.run(
      [&] {
        auto page = readEvents(*ctx.session, ctx.layout, query, &loop.watches());
        printer.print(page.events);
        query.after = page.newest;
        query.limit = 0;  // after the first listing: every new one
        return false;
      },
      FollowLoop::Clock::time_point::max(), &stop);
  return kExitOk;
}

}  // namespace

Command addEventsCommand(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<EventsOptions>();
  auto* sub = app.add_subcommand(
      "events", "what the managers did and saw: placements, exits, restarts, master changes, ...");
  sub->add_option("type", options->type, "only this service type's events");
  sub->add_flag("-f,--follow", options->follow,
                "after the listing, print new events as they come (until SIGINT/SIGTERM: exit 0)");
  sub->add_option("--limit", options->limit, "the newest N events (0: all kept)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  sub->add_option("-o,--output", options->output, "table | json | yaml")
      ->check(CLI::IsMember(
          std::vector<std::string>(std::begin(kOutputFormats), std::end(kOutputFormats))))
      ->capture_default_str();
  sub->footer(
      "Oldest first. The managers keep about the newest 1000 (events/ in the tree).\n"
      "-o json prints a list; with --follow one JSON object per line (YAML: one document each).");
  return {sub, [&global, options] { return runEvents(global, *options); }};
}

}  // namespace sm::ctl
