// The one fork every command's output takes: with --json, one JSON document on stdout; else the
// text for people, which -q silences where the text only confirms what was done.
#pragma once

#include <nlohmann/json.hpp>

#include <ostream>
#include <utility>

namespace retort::cli {

// What the global flags ask of stdout.
struct OutputMode {
  bool json = false;   // --json: one JSON document and nothing else
  bool quiet = false;  // -q: errors and results only
};

// Whether -q silences a command's text. A text that is the result (current, doctor, preflight)
// is printed still; one that confirms what was done (init, a run's summary, restore) is not.
enum class OnQuiet { print, hide };

// A JSON document as every command prints it: indented by two, one trailing newline.
inline void write_json(std::ostream& out, const nlohmann::json& document) {
  out << document.dump(2) << "\n";
}

// Writes document() (a nlohmann::json) with --json, else text() (a string) unless -q hides it.
// Each is built only when it is written, so a command pays for one of them. Writes `out` from
// the calling thread only; one command writes stdout at a time.
template <typename Document, typename Text>
void emit(std::ostream& out, OutputMode mode, Document&& document, Text&& text,
          OnQuiet on_quiet = OnQuiet::print) {
  if (mode.json) {
    write_json(out, std::forward<Document>(document)());
  } else if (on_quiet == OnQuiet::print || !mode.quiet) {
    out << std::forward<Text>(text)();
  }
}

}  // namespace retort::cli
