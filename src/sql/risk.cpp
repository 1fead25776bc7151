// Data risk of a statement. PostgreSQL: from libpg_query's typed parse tree, walking only what
// runs when the statement does (WITH, EXPLAIN ANALYZE, CREATE TABLE AS, COPY's query). SQLite:
// from its keywords, outside parentheses, since SQLite's grammar puts the verb first.
#include "sql/risk.hpp"

#include "sql/objects.hpp"
#include "sql/tree.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace retort::sql {
namespace {

std::string node_risk(const PgQuery__Node* node);

std::string with_risk(const PgQuery__WithClause* with) {
  if (with == nullptr) {
    return {};
  }
  for (std::size_t cte_idx = 0; cte_idx < with->n_ctes; ++cte_idx) {
    const PgQuery__Node* cte = with->ctes[cte_idx];
    if (cte != nullptr && cte->node_case == PG_QUERY__NODE__NODE_COMMON_TABLE_EXPR &&
        cte->common_table_expr != nullptr) {
      if (std::string risk = node_risk(cte->common_table_expr->ctequery); !risk.empty()) {
        return risk;
      }
    }
  }
  return {};
}

// DROP TABLE, ...: the kinds whose objects hold rows.
std::string drop_risk(const PgQuery__DropStmt& drop) {
  static constexpr std::array<std::pair<PgQuery__ObjectType, std::string_view>, 4> k_holding{{
      {PG_QUERY__OBJECT_TYPE__OBJECT_TABLE, "DROP TABLE"},
      {PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA, "DROP SCHEMA"},
      {PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW, "DROP MATERIALIZED VIEW"},
      {PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE, "DROP SEQUENCE"},
  }};
  for (const auto& [type, command] : k_holding) {
    if (drop.remove_type == type) {
      return std::string(command);
    }
  }
  // CASCADE takes what depends on the object with it: a type or a function its columns.
  if (drop.behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE) {
    return "DROP ... CASCADE";
  }
  return {};
}

std::string alter_table_risk(const PgQuery__AlterTableStmt& alter) {
  for (std::size_t cmd_idx = 0; cmd_idx < alter.n_cmds; ++cmd_idx) {
    const PgQuery__Node* node = alter.cmds[cmd_idx];
    if (node == nullptr || node->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD ||
        node->alter_table_cmd == nullptr) {
      continue;
    }
    switch (node->alter_table_cmd->subtype) {
      case PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn:
      case PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumnRecurse:
        return "ALTER TABLE ... DROP COLUMN";
      case PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType:
        return "ALTER TABLE ... ALTER COLUMN ... TYPE";
      default:
        break;
    }
  }
  return {};
}

// EXPLAIN runs its statement only with ANALYZE.
bool analyzes(const PgQuery__ExplainStmt& explain) {
  for (std::size_t option_idx = 0; option_idx < explain.n_options; ++option_idx) {
    const PgQuery__Node* option = explain.options[option_idx];
    if (option != nullptr && option->node_case == PG_QUERY__NODE__NODE_DEF_ELEM &&
        option->def_elem != nullptr && option->def_elem->defname != nullptr &&
        std::string_view(option->def_elem->defname) == "analyze") {
      return true;
    }
  }
  return false;
}

std::string node_risk(const PgQuery__Node* node) {
  if (node == nullptr) {
    return {};
  }
  switch (node->node_case) {
    case PG_QUERY__NODE__NODE_DROP_STMT:
      return node->drop_stmt == nullptr ? std::string() : drop_risk(*node->drop_stmt);
    case PG_QUERY__NODE__NODE_TRUNCATE_STMT:
      return "TRUNCATE";
    case PG_QUERY__NODE__NODE_DELETE_STMT:
      return "DELETE";
    case PG_QUERY__NODE__NODE_UPDATE_STMT:
      return "UPDATE";
    case PG_QUERY__NODE__NODE_MERGE_STMT:
      return "MERGE";
    case PG_QUERY__NODE__NODE_DROP_OWNED_STMT:
      return "DROP OWNED";
    case PG_QUERY__NODE__NODE_DROPDB_STMT:
      return "DROP DATABASE";
    case PG_QUERY__NODE__NODE_DO_STMT:
      return "DO";
    case PG_QUERY__NODE__NODE_CALL_STMT:
      return "CALL";
    case PG_QUERY__NODE__NODE_EXECUTE_STMT:
      return "EXECUTE";
    case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
      return node->alter_table_stmt == nullptr ? std::string()
                                               : alter_table_risk(*node->alter_table_stmt);
    case PG_QUERY__NODE__NODE_INSERT_STMT: {
      const PgQuery__InsertStmt* insert = node->insert_stmt;
      if (insert == nullptr) {
        return {};
      }
      if (insert->on_conflict_clause != nullptr &&
          insert->on_conflict_clause->action == PG_QUERY__ON_CONFLICT_ACTION__ONCONFLICT_UPDATE) {
        return "INSERT ... ON CONFLICT DO UPDATE";
      }
      if (std::string risk = with_risk(insert->with_clause); !risk.empty()) {
        return risk;
      }
      return node_risk(insert->select_stmt);
    }
    case PG_QUERY__NODE__NODE_SELECT_STMT:
      return node->select_stmt == nullptr ? std::string()
                                          : with_risk(node->select_stmt->with_clause);
    case PG_QUERY__NODE__NODE_EXPLAIN_STMT:
      return node->explain_stmt != nullptr && analyzes(*node->explain_stmt)
                 ? node_risk(node->explain_stmt->query)
                 : std::string();
    case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT:
      return node->create_table_as_stmt == nullptr ? std::string()
                                                   : node_risk(node->create_table_as_stmt->query);
    case PG_QUERY__NODE__NODE_COPY_STMT:
      return node->copy_stmt == nullptr ? std::string() : node_risk(node->copy_stmt->query);
    default:
      return {};
  }
}

std::string postgres_risk(std::string_view statement) {
  const Tree tree = parse_tree(statement);
  if (tree == nullptr) {
    return "a statement retort's parser does not read";
  }
  for (std::size_t stmt_idx = 0; stmt_idx < tree->n_stmts; ++stmt_idx) {
    if (tree->stmts[stmt_idx] == nullptr) {
      continue;
    }
    if (std::string risk = node_risk(tree->stmts[stmt_idx]->stmt); !risk.empty()) {
      return risk;
    }
  }
  return {};
}

// A word outside quotes and comments, upper-cased, and how deep in parentheses it stands.
struct Word {
  std::string text;
  int depth = 0;
};

std::vector<Word> words_of(std::string_view statement) {
  std::vector<Word> words;
  Lexer lexer(statement, base::Dialect::sqlite);
  Token token;
  int depth = 0;
  while (lexer.next(token)) {
    if (token.kind != TokenKind::other) {
      continue;
    }
    const std::string_view text = statement.substr(token.begin, token.end - token.begin);
    if (text == "(") {
      ++depth;
    } else if (text == ")") {
      depth = std::max(0, depth - 1);
    } else if (std::isalpha(static_cast<unsigned char>(text.front())) != 0) {
      std::string word(text);
      for (char& c : word) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      }
      words.push_back({std::move(word), depth});
    }
  }
  return words;
}

std::string sqlite_risk(std::string_view statement) {
  const std::vector<Word> words = words_of(statement);
  const auto at = [&words](std::size_t index) -> std::string_view {
    return index < words.size() ? std::string_view(words[index].text) : std::string_view();
  };
  // The verb: the first word, or after WITH ... AS (...), the first word outside parentheses
  // that can start a statement (SQLite's common table expressions are SELECTs).
  std::size_t verb = 0;
  if (at(0) == "WITH") {
    verb = words.size();
    for (std::size_t word_idx = 1; word_idx < words.size(); ++word_idx) {
      const std::string& word = words[word_idx].text;
      if (words[word_idx].depth == 0 &&
          (word == "SELECT" || word == "INSERT" || word == "UPDATE" || word == "DELETE" ||
           word == "REPLACE" || word == "VALUES")) {
        verb = word_idx;
        break;
      }
    }
  }
  const std::string_view first = at(verb);
  if (first == "DELETE" || first == "UPDATE" || first == "REPLACE") {
    return std::string(first);
  }
  if (first == "INSERT") {
    if (at(verb + 1) == "OR" && at(verb + 2) == "REPLACE") {
      return "INSERT OR REPLACE";
    }
    for (std::size_t word_idx = verb + 1; word_idx + 1 < words.size(); ++word_idx) {
      if (words[word_idx].text == "DO" && words[word_idx + 1].text == "UPDATE") {
        return "INSERT ... ON CONFLICT DO UPDATE";
      }
    }
    return {};
  }
  if (first == "DROP" && at(verb + 1) == "TABLE") {
    return "DROP TABLE";
  }
  if (first == "ALTER" && at(verb + 1) == "TABLE") {
    // ALTER TABLE name DROP [COLUMN] column: an unquoted DROP can only be the keyword.
    for (std::size_t word_idx = verb + 2; word_idx < words.size(); ++word_idx) {
      if (words[word_idx].depth == 0 && words[word_idx].text == "DROP") {
        return "ALTER TABLE ... DROP COLUMN";
      }
    }
  }
  return {};
}

// The risks whose rows are those of the relations the statement names.
bool names_its_relations(std::string_view risk) {
  static constexpr std::array<std::string_view, 10> k_named{
      "DROP TABLE",
      "DROP MATERIALIZED VIEW",
      "DROP SEQUENCE",
      "TRUNCATE",
      "DELETE",
      "UPDATE",
      "MERGE",
      "INSERT ... ON CONFLICT DO UPDATE",
      "ALTER TABLE ... DROP COLUMN",
      "ALTER TABLE ... ALTER COLUMN ... TYPE",
  };
  return std::find(k_named.begin(), k_named.end(), risk) != k_named.end();
}

std::optional<std::vector<std::string>> postgres_relations(std::string_view statement) {
  const Tree tree = parse_tree(statement);
  if (tree == nullptr) {
    return std::nullopt;
  }
  bool risky = false;
  for (std::size_t stmt_idx = 0; stmt_idx < tree->n_stmts; ++stmt_idx) {
    if (tree->stmts[stmt_idx] == nullptr) {
      continue;
    }
    const PgQuery__Node* node = tree->stmts[stmt_idx]->stmt;
    const std::string risk = node_risk(node);
    if (risk.empty()) {
      continue;
    }
    risky = true;
    if (!names_its_relations(risk)) {
      return std::nullopt;
    }
    // TRUNCATE ... CASCADE empties the tables that refer to the ones named, too.
    if (node->node_case == PG_QUERY__NODE__NODE_TRUNCATE_STMT && node->truncate_stmt != nullptr &&
        node->truncate_stmt->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE) {
      return std::nullopt;
    }
  }
  if (!risky) {
    return std::vector<std::string>{};
  }
  return mentioned_relations(statement);
}

// The tokens of a SQLite statement that are neither space nor comment, as text.
struct Piece {
  std::string_view text;
  bool quoted = false;
};

std::vector<Piece> pieces_of(std::string_view statement) {
  std::vector<Piece> pieces;
  Lexer lexer(statement, base::Dialect::sqlite);
  Token token;
  while (lexer.next(token)) {
    if (token.kind == TokenKind::other || token.kind == TokenKind::quoted) {
      pieces.push_back({statement.substr(token.begin, token.end - token.begin),
                        token.kind == TokenKind::quoted});
    }
  }
  return pieces;
}

std::string lower_ascii(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

bool is_word(const Piece& piece, std::string_view upper) {
  if (piece.quoted || piece.text.size() != upper.size()) {
    return false;
  }
  for (std::size_t at = 0; at < upper.size(); ++at) {
    if (std::toupper(static_cast<unsigned char>(piece.text[at])) != upper[at]) {
      return false;
    }
  }
  return true;
}

// One part of a name: a word, or "name", `name`, [name] or 'name' unquoted.
std::optional<std::string> name_part(const Piece& piece) {
  if (!piece.quoted) {
    const auto first = static_cast<unsigned char>(piece.text.empty() ? '\0' : piece.text.front());
    if (std::isalpha(first) == 0 && first != '_' && first < 0x80) {
      return std::nullopt;
    }
    return lower_ascii(piece.text);
  }
  if (piece.text.size() < 2) {
    return std::nullopt;
  }
  const char open = piece.text.front();
  const char close = open == '[' ? ']' : open;
  if ((open != '"' && open != '`' && open != '[' && open != '\'') || piece.text.back() != close) {
    return std::nullopt;
  }
  std::string out;
  const std::string_view inner = piece.text.substr(1, piece.text.size() - 2);
  for (std::size_t at = 0; at < inner.size(); ++at) {
    out += inner[at];
    if (open != '[' && inner[at] == close && at + 1 < inner.size() && inner[at + 1] == close) {
      ++at;  // a doubled quote is one
    }
  }
  return lower_ascii(out);
}

// The (schema-qualified) name that starts at pieces[at]: "name" or "schema.name".
std::optional<std::string> sqlite_name(const std::vector<Piece>& pieces, std::size_t at) {
  if (at >= pieces.size()) {
    return std::nullopt;
  }
  std::optional<std::string> name = name_part(pieces[at]);
  if (name && at + 2 < pieces.size() && !pieces[at + 1].quoted && pieces[at + 1].text == ".") {
    const std::optional<std::string> table = name_part(pieces[at + 2]);
    if (!table) {
      return std::nullopt;
    }
    return *name + "." + *table;
  }
  return name;
}

std::optional<std::vector<std::string>> sqlite_relations(std::string_view statement) {
  if (sqlite_risk(statement).empty()) {
    return std::vector<std::string>{};
  }
  const std::vector<Piece> pieces = pieces_of(statement);
  const auto word = [&pieces](std::size_t at, std::string_view upper) {
    return at < pieces.size() && is_word(pieces[at], upper);
  };
  std::size_t at = 1;
  if (word(0, "DELETE")) {
    at = word(1, "FROM") ? 2 : pieces.size();
  } else if (word(0, "UPDATE")) {
    at = word(1, "OR") ? 3 : 1;  // UPDATE OR REPLACE name
  } else if (word(0, "INSERT") || word(0, "REPLACE")) {
    at = word(1, "OR") ? 3 : 1;  // INSERT OR REPLACE INTO name
    at = word(at, "INTO") ? at + 1 : pieces.size();
  } else if (word(0, "DROP") && word(1, "TABLE")) {
    at = word(2, "IF") && word(3, "EXISTS") ? 4 : 2;
  } else if (word(0, "ALTER") && word(1, "TABLE")) {
    at = 2;
  } else {
    return std::nullopt;  // WITH ...: the verb's table is further on than this reads
  }
  std::optional<std::string> name = sqlite_name(pieces, at);
  if (!name) {
    return std::nullopt;
  }
  return std::vector<std::string>{std::move(*name)};
}

std::vector<std::string> sqlite_created(std::string_view statement) {
  const std::vector<Piece> pieces = pieces_of(statement);
  const auto word = [&pieces](std::size_t at, std::string_view upper) {
    return at < pieces.size() && is_word(pieces[at], upper);
  };
  if (!word(0, "CREATE")) {
    return {};
  }
  std::size_t at = word(1, "TEMP") || word(1, "TEMPORARY") ? 2 : 1;
  if (!word(at, "TABLE")) {
    return {};
  }
  ++at;
  if (word(at, "IF") && word(at + 1, "NOT") && word(at + 2, "EXISTS")) {
    at += 3;
  }
  std::optional<std::string> name = sqlite_name(pieces, at);
  return name ? std::vector<std::string>{std::move(*name)} : std::vector<std::string>{};
}

}  // namespace

std::optional<std::vector<std::string>> risk_relations(std::string_view statement,
                                                       base::Dialect dialect) {
  return dialect == base::Dialect::postgres ? postgres_relations(statement)
                                            : sqlite_relations(statement);
}

std::vector<std::string> created_tables(std::string_view statement, base::Dialect dialect) {
  if (dialect == base::Dialect::sqlite) {
    return sqlite_created(statement);
  }
  std::vector<std::string> tables;
  for (const CreatedObject& object : created_objects(statement)) {
    if (object.kind == ObjectKind::table && !object.name.empty()) {
      tables.push_back(object.schema.empty() ? object.name : object.schema + "." + object.name);
    }
  }
  return tables;
}

std::string data_risk(std::string_view statement, base::Dialect dialect) {
  return dialect == base::Dialect::postgres ? postgres_risk(statement) : sqlite_risk(statement);
}

}  // namespace retort::sql
