// libpg_query's typed (protobuf) parse tree, unpacked without overflowing the stack however
// deep the statement nests. The protobuf-c functions it needs are inside libpg_query.
#include "sql/tree.hpp"

#include <pg_query.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <pthread.h>
#include <string>
#include <vector>

namespace retort::sql {
namespace {

bool read_varint(const std::uint8_t*& at, const std::uint8_t* end, std::uint64_t& value) {
  value = 0;
  for (unsigned shift = 0; shift < 64 && at < end; shift += 7) {
    const std::uint8_t byte = *at++;
    value |= static_cast<std::uint64_t>(byte & 0x7FU) << shift;
    if ((byte & 0x80U) == 0) {
      return true;
    }
  }
  return false;
}

// How deep messages nest in a serialized tree, read with a loop; nullopt when the bytes are
// not a well-formed message of type `root`.
std::optional<std::size_t> nesting_depth(const ProtobufCMessageDescriptor* root,
                                         const std::uint8_t* data, std::size_t size) {
  struct Level {
    const ProtobufCMessageDescriptor* type;
    const std::uint8_t* end;
  };
  std::vector<Level> levels{{root, data + size}};
  std::size_t deepest = 1;
  const std::uint8_t* at = data;
  while (!levels.empty()) {
    const std::uint8_t* end = levels.back().end;
    if (at == end) {
      levels.pop_back();
      continue;
    }
    std::uint64_t key = 0;
    std::uint64_t value = 0;
    if (!read_varint(at, end, key)) {
      return std::nullopt;
    }
    const auto left = static_cast<std::uint64_t>(end - at);
    switch (key & 7U) {
      case 0:  // varint
        if (!read_varint(at, end, value)) {
          return std::nullopt;
        }
        break;
      case 1:  // 64 bits
      case 5:  // 32 bits
        if (left < ((key & 7U) == 1 ? 8U : 4U)) {
          return std::nullopt;
        }
        at += (key & 7U) == 1 ? 8 : 4;
        break;
      case 2: {  // a length, then a message, a string or packed numbers
        if (!read_varint(at, end, value) || value > static_cast<std::uint64_t>(end - at)) {
          return std::nullopt;
        }
        const std::uint64_t id = key >> 3U;
        const ProtobufCFieldDescriptor* field =
            id > UINT32_MAX ? nullptr
                            : protobuf_c_message_descriptor_get_field(levels.back().type,
                                                                      static_cast<unsigned>(id));
        if (field != nullptr && field->type == PROTOBUF_C_TYPE_MESSAGE) {
          levels.push_back(
              {static_cast<const ProtobufCMessageDescriptor*>(field->descriptor), at + value});
          deepest = std::max(deepest, levels.size());
        } else {
          at += value;
        }
        break;
      }
      default:
        return std::nullopt;
    }
  }
  return deepest;
}

// protobuf-c unpacks by recursion, about 1 KiB of stack per level of nesting: 8 MiB lasts some
// 8000 levels, which `a + 1 + 1 ...` reaches at 4000 terms, while libpg_query itself parses
// ten times deeper. Trees deeper than this are unpacked on a thread with a stack to fit.
constexpr std::size_t k_levels_on_callers_stack = 1000;
constexpr std::size_t k_stack_per_level = 4096;

struct Unpack {
  std::size_t size;
  const std::uint8_t* data;
  PgQuery__ParseResult* tree = nullptr;
};

void* unpack_thread(void* argument) {
  auto* job = static_cast<Unpack*>(argument);
  job->tree = pg_query__parse_result__unpack(nullptr, job->size, job->data);
  return nullptr;
}

Tree unpack(const PgQueryProtobuf& buffer) {
  Unpack job{buffer.len, reinterpret_cast<const std::uint8_t*>(buffer.data)};
  const std::optional<std::size_t> depth =
      nesting_depth(&pg_query__parse_result__descriptor, job.data, job.size);
  if (!depth) {
    return nullptr;
  }
  if (*depth <= k_levels_on_callers_stack) {
    unpack_thread(&job);
    return Tree(job.tree);
  }
  pthread_attr_t attributes;
  if (pthread_attr_init(&attributes) != 0) {
    return nullptr;
  }
  pthread_t thread;
  const bool started =
      pthread_attr_setstacksize(&attributes, (*depth + 256) * k_stack_per_level) == 0 &&
      pthread_create(&thread, &attributes, unpack_thread, &job) == 0;
  pthread_attr_destroy(&attributes);
  if (started) {
    pthread_join(thread, nullptr);
  }
  return Tree(job.tree);
}

}  // namespace

Tree parse_tree(std::string_view statement) {
  const std::string input(statement);
  PgQueryProtobufParseResult result = pg_query_parse_protobuf(input.c_str());
  Tree tree;
  if (result.error == nullptr && result.parse_tree.data != nullptr) {
    tree = unpack(result.parse_tree);
  }
  pg_query_free_protobuf_parse_result(result);
  return tree;
}

namespace {

bool option_is_true(const PgQuery__DefElem* option) {
  const PgQuery__Node* arg = option->arg;
  if (arg == nullptr) {
    return true;
  }
  switch (arg->node_case) {
    case PG_QUERY__NODE__NODE_BOOLEAN:
      return arg->boolean != nullptr && arg->boolean->boolval != 0;
    case PG_QUERY__NODE__NODE_INTEGER:
      return arg->integer != nullptr && arg->integer->ival != 0;
    case PG_QUERY__NODE__NODE_STRING: {
      std::string value =
          arg->string == nullptr || arg->string->sval == nullptr ? "" : arg->string->sval;
      std::transform(value.begin(), value.end(), value.begin(), [](char c) {
        return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
      });
      return value == "true" || value == "on";
    }
    default:
      return false;
  }
}

}  // namespace

bool has_true_option(std::size_t count, PgQuery__Node* const* options, std::string_view name) {
  for (std::size_t option_idx = 0; option_idx < count; ++option_idx) {
    const PgQuery__Node* node = options[option_idx];
    if (node != nullptr && node->node_case == PG_QUERY__NODE__NODE_DEF_ELEM &&
        node->def_elem != nullptr && node->def_elem->defname != nullptr &&
        std::string_view(node->def_elem->defname) == name) {
      return option_is_true(node->def_elem);
    }
  }
  return false;
}

}  // namespace retort::sql
