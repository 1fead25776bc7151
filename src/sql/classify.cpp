// Statement classification. PostgreSQL: from libpg_query's JSON parse tree; SQLite: from the
// leading keywords, since SQLite's grammar puts them first.
#include "sql/classify.hpp"

#include <pg_query.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace retort::sql {
namespace {

struct ParseResultFree {
  void operator()(PgQueryParseResult* result) const noexcept {
    pg_query_free_parse_result(*result);
    delete result;
  }
};

// The JSON tree escapes quotes inside string values, so `"key":value` with bare quotes can
// only be a key of some node: a plain substring search cannot be fooled by literals.
bool has(std::string_view tree, std::string_view needle) {
  return tree.find(needle) != std::string_view::npos;
}

// The node type of the first statement: {"version":N,"stmts":[{"stmt":{"IndexStmt":{...
std::string_view node_type(std::string_view tree) {
  constexpr std::string_view k_marker = "\"stmt\":{\"";
  const std::size_t at = tree.find(k_marker);
  if (at == std::string_view::npos) {
    return {};
  }
  const std::size_t begin = at + k_marker.size();
  const std::size_t end = tree.find('"', begin);
  return end == std::string_view::npos ? std::string_view{} : tree.substr(begin, end - begin);
}

StatementTraits classify_postgres(std::string_view statement) {
  const std::string input(statement);
  const std::unique_ptr<PgQueryParseResult, ParseResultFree> result(
      new PgQueryParseResult(pg_query_parse(input.c_str())));
  StatementTraits traits;
  if (result->error != nullptr || result->parse_tree == nullptr) {
    return traits;
  }
  const std::string_view tree = result->parse_tree;
  const std::string_view type = node_type(tree);

  if (type == "TransactionStmt") {
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 7> k_ending{{
        {"\"TRANS_STMT_BEGIN\"", "BEGIN"},
        {"\"TRANS_STMT_START\"", "START TRANSACTION"},
        {"\"TRANS_STMT_COMMIT\"", "COMMIT"},
        {"\"TRANS_STMT_ROLLBACK\"", "ROLLBACK"},
        {"\"TRANS_STMT_PREPARE\"", "PREPARE TRANSACTION"},
        {"\"TRANS_STMT_COMMIT_PREPARED\"", "COMMIT PREPARED"},
        {"\"TRANS_STMT_ROLLBACK_PREPARED\"", "ROLLBACK PREPARED"},
    }};
    for (const auto& [kind, command] : k_ending) {
      if (has(tree, kind)) {
        traits.transaction_control = true;
        traits.command = command;
        return traits;
      }
    }
    return traits;
  }

  std::string_view command;
  if (type == "IndexStmt" && has(tree, "\"concurrent\":true")) {
    command = "CREATE INDEX CONCURRENTLY";
  } else if (type == "DropStmt" && has(tree, "\"concurrent\":true")) {
    command = "DROP INDEX CONCURRENTLY";
  } else if (type == "ReindexStmt" && has(tree, "\"defname\":\"concurrently\"")) {
    command = "REINDEX CONCURRENTLY";
  } else if (type == "ReindexStmt" &&
             (has(tree, "\"REINDEX_OBJECT_DATABASE\"") || has(tree, "\"REINDEX_OBJECT_SYSTEM\""))) {
    command = has(tree, "\"REINDEX_OBJECT_DATABASE\"") ? "REINDEX DATABASE" : "REINDEX SYSTEM";
  } else if (type == "VacuumStmt" && has(tree, "\"is_vacuumcmd\":true")) {
    command = "VACUUM";  // a bare ANALYZE is also a VacuumStmt, and may run in a transaction
  } else if (type == "AlterSystemStmt") {
    command = "ALTER SYSTEM";
  } else if (type == "CreatedbStmt") {
    command = "CREATE DATABASE";
  } else if (type == "DropdbStmt") {
    command = "DROP DATABASE";
  } else if (type == "CreateTableSpaceStmt") {
    command = "CREATE TABLESPACE";
  } else if (type == "DropTableSpaceStmt") {
    command = "DROP TABLESPACE";
  } else if (type == "AlterTableStmt" && has(tree, "\"AT_DetachPartition\"") &&
             has(tree, "\"concurrent\":true")) {
    command = "DETACH PARTITION CONCURRENTLY";
  }
  if (!command.empty()) {
    traits.needs_no_transaction = true;
    traits.command = command;
  }
  return traits;
}

// The first three words of a statement, upper-cased, comments skipped.
std::vector<std::string> leading_words(std::string_view statement) {
  std::vector<std::string> words;
  Lexer lexer(statement, base::Dialect::sqlite);
  Token token;
  while (words.size() < 3 && lexer.next(token)) {
    if (token.kind != TokenKind::other ||
        std::isalpha(static_cast<unsigned char>(statement[token.begin])) == 0) {
      continue;
    }
    std::string word(statement.substr(token.begin, token.end - token.begin));
    for (char& c : word) {
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    words.push_back(std::move(word));
  }
  return words;
}

StatementTraits classify_sqlite(std::string_view statement) {
  const std::vector<std::string> words = leading_words(statement);
  StatementTraits traits;
  if (words.empty()) {
    return traits;
  }
  const std::string& first = words[0];
  // ROLLBACK [TRANSACTION] TO [SAVEPOINT] name stays inside the transaction.
  const bool rollback_to = std::find(words.begin() + 1, words.end(), "TO") != words.end();
  if (first == "BEGIN" || first == "COMMIT" || first == "END" ||
      (first == "ROLLBACK" && !rollback_to)) {
    traits.transaction_control = true;
    traits.command = first;
  } else if (first == "VACUUM" || first == "ATTACH" || first == "DETACH") {
    traits.needs_no_transaction = true;
    traits.command = first;
  }
  return traits;
}

}  // namespace

StatementTraits classify(std::string_view statement, base::Dialect dialect) {
  return dialect == base::Dialect::postgres ? classify_postgres(statement)
                                            : classify_sqlite(statement);
}

std::string data_command(std::string_view statement, base::Dialect dialect) {
  if (dialect == base::Dialect::sqlite) {
    const std::vector<std::string> words = leading_words(statement);
    if (words.empty()) {
      return {};
    }
    static constexpr std::array<std::string_view, 6> k_data{"INSERT", "REPLACE", "UPDATE",
                                                            "DELETE", "SELECT",  "WITH"};
    return std::find(k_data.begin(), k_data.end(), words[0]) == k_data.end() ? std::string()
                                                                             : words[0];
  }
  const std::string input(statement);
  const std::unique_ptr<PgQueryParseResult, ParseResultFree> result(
      new PgQueryParseResult(pg_query_parse(input.c_str())));
  if (result->error != nullptr || result->parse_tree == nullptr) {
    return {};
  }
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 10> k_data{{
      {"InsertStmt", "INSERT"},
      {"UpdateStmt", "UPDATE"},
      {"DeleteStmt", "DELETE"},
      {"MergeStmt", "MERGE"},
      {"CopyStmt", "COPY"},
      {"DoStmt", "DO"},
      {"CallStmt", "CALL"},
      {"ExecuteStmt", "EXECUTE"},
      {"TruncateStmt", "TRUNCATE"},
      {"SelectStmt", "SELECT"},
  }};
  const std::string_view type = node_type(result->parse_tree);
  for (const auto& [node, command] : k_data) {
    if (type == node) {
      return std::string(command);
    }
  }
  return {};
}

}  // namespace retort::sql
