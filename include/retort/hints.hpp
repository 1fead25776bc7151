// Hints for front ends that report a name they do not know: "did you mean ...?".
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace retort {

// The candidate a mistyped name most likely meant (a command, a key, a label), or nothing when
// no candidate is a plausible typo of it, that is when each would change half of the word or
// more. Pure; thread-safe.
[[nodiscard]] std::optional<std::string> did_you_mean(std::string_view word,
                                                      const std::vector<std::string>& candidates);

}  // namespace retort
