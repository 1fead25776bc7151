// PG403 prefer-text-over-char: char(n): pads with spaces and is never faster than text.
#include "lint/rules/rules.hpp"

namespace retort::lint {
namespace {

void check(const Pass& /*pass*/, const Stmt& /*stmt*/, Report& /*report*/) {}

}  // namespace

const Rule k_prefer_text_over_char{"PG403", "prefer-text-over-char", Level::warning,
                                   "char(n): pads with spaces and is never faster than text",
                                   check};

}  // namespace retort::lint
