#include "config/detail/yaml_documents.hpp"

#include <fmt/format.h>
#include <yaml-cpp/anchor.h>
#include <yaml-cpp/eventhandler.h>

#include <sstream>
#include <string>

namespace sm::config::detail {
namespace {

// Remembers only where each document starts.
class DocumentStarts : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override { start = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

  YAML::Mark start = YAML::Mark::null_mark();
};

// True when the parser stops by itself; false (reported) when it keeps returning documents without
// consuming input.
bool parserMakesProgress(std::string_view text, DiagnosticSink& sink) {
  std::istringstream in{std::string(text)};
  YAML::Parser parser(in);
  DocumentStarts handler;
  // Even "---\n" repeated cannot give more documents than this.
  const std::size_t maxDocuments = text.size() / 3 + 2;
  int previousStart = -1;
  for (std::size_t count = 0; parser.HandleNextDocument(handler); ++count) {
    if (handler.start.pos == previousStart || count > maxDocuments) {
      const auto pos = static_cast<std::size_t>(std::max(handler.start.pos, 0));
      sink.add(handler.start, "",
               pos < text.size() ? fmt::format("invalid YAML: unexpected \"{}\"", text[pos])
                                 : std::string("invalid YAML: the parser cannot continue"));
      return false;
    }
    previousStart = handler.start.pos;
  }
  return true;
}

}  // namespace

std::optional<std::vector<YAML::Node>> loadAllDocuments(std::string_view text,
                                                        DiagnosticSink& sink) {
  try {
    if (!parserMakesProgress(text, sink)) return std::nullopt;
    return YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& e) {
    sink.add(e.mark, "", "invalid YAML: " + e.msg);
  } catch (const std::exception& e) {
    sink.add("", std::string("invalid YAML: ") + e.what());
  }
  return std::nullopt;
}

}  // namespace sm::config::detail
