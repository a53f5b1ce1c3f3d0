#include "model/kong/document.h"

#include <libfyaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace causeway::model::kong {
namespace {

using Json = nlohmann::json;

bool isBlank(char c) { return c == ' ' || c == '\t'; }

// strtod over a view (numbers are short; strtod, unlike from_chars, saturates to infinity).
double toDouble(std::string_view s) { return std::strtod(std::string(s).c_str(), nullptr); }

// Resolves a plain (unquoted, untagged) YAML scalar to a typed JSON value.
Json resolvePlainScalar(std::string_view s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  std::string_view v = s;
  const char first = v.front();
  if ((first >= '0' && first <= '9') || first == '-' || first == '+' || first == '.') {
    std::string_view digits = v;
    bool negative = false;
    if (digits.front() == '-' || digits.front() == '+') {
      negative = digits.front() == '-';
      digits.remove_prefix(1);
    }
    if (digits == ".inf" || digits == ".Inf" || digits == ".INF") {
      return negative ? -std::numeric_limits<double>::infinity()
                      : std::numeric_limits<double>::infinity();
    }
    if (v == ".nan" || v == ".NaN" || v == ".NAN") return std::numeric_limits<double>::quiet_NaN();
    if (!digits.empty() &&
        std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      int64_t i = 0;
      auto [p, ec] = std::from_chars(v.data() + (v.front() == '+' ? 1 : 0), v.data() + v.size(), i);
      if (ec == std::errc() && p == v.data() + v.size()) return i;
      return toDouble(s);  // too large for 64 bits: keep its magnitude
    }
    if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'o')) {
      const int base = digits[1] == 'x' ? 16 : 8;
      uint64_t u = 0;
      auto [p, ec] = std::from_chars(digits.data() + 2, digits.data() + digits.size(), u, base);
      if (ec == std::errc() && p == digits.data() + digits.size() &&
          u <= uint64_t(std::numeric_limits<int64_t>::max())) {
        return negative ? -int64_t(u) : int64_t(u);
      }
    }
    // [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
    size_t i = 0;
    size_t mantissa = 0;
    while (i < digits.size() && digits[i] >= '0' && digits[i] <= '9') ++i, ++mantissa;
    if (i < digits.size() && digits[i] == '.') {
      ++i;
      while (i < digits.size() && digits[i] >= '0' && digits[i] <= '9') ++i, ++mantissa;
    }
    bool ok = mantissa > 0;
    if (ok && i < digits.size() && (digits[i] == 'e' || digits[i] == 'E')) {
      ++i;
      if (i < digits.size() && (digits[i] == '-' || digits[i] == '+')) ++i;
      size_t exp = 0;
      while (i < digits.size() && digits[i] >= '0' && digits[i] <= '9') ++i, ++exp;
      ok = exp > 0;
    }
    if (ok && i == digits.size()) return toDouble(s);
  }
  return std::string(s);
}

// Text of a token (scalar value, tag, anchor or alias name).
std::string_view tokenText(fy_token* token) {
  size_t length = 0;
  const char* text = token ? fy_token_get_text(token, &length) : nullptr;
  return text ? std::string_view(text, length) : std::string_view();
}

// " (line L, column C)" for a libfyaml mark (0-based), or "" without one.
std::string markText(const fy_mark* mark) {
  if (!mark) return "";
  return " (line " + std::to_string(mark->line + 1) + ", column " +
         std::to_string(mark->column + 1) + ")";
}

std::string markText(fy_token* token) {
  return markText(token ? fy_token_start_mark(token) : nullptr);
}

// Types a scalar like yaml-cpp did: untagged plain scalars resolve by the core schema, the core
// schema's int/float/bool/null tags resolve their text the same way (`!!int "5"` is 5), anything
// else (quoted, block, `!`, `!!str`, custom tags) is a string.
Json typeScalar(std::string_view text, fy_token* value, fy_token* tag) {
  if (!tag) {
    if (fy_token_scalar_style(value) == FYSS_PLAIN) return resolvePlainScalar(text);
    return std::string(text);
  }
  const std::string_view tagText = tokenText(tag);
  if (tagText == "tag:yaml.org,2002:int" || tagText == "tag:yaml.org,2002:float" ||
      tagText == "tag:yaml.org,2002:bool" || tagText == "tag:yaml.org,2002:null") {
    return resolvePlainScalar(text);
  }
  return std::string(text);
}

bool isNullText(std::string_view s) {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

// libfyaml refuses text that is not UTF-8, where yaml-cpp passed stray bytes through (and the
// loader reports them in fields). To keep that, each byte of an invalid sequence is carried
// through the parser as a private-use character U+10FF80..U+10FFFF and turned back afterwards;
// input that already holds such characters has their bytes carried the same way, so the round
// trip is exact. (A "\U0010FFxx" escape in a double-quoted scalar of such input would come back
// as a raw byte: the price of not forking the parser.)
size_t utf8SequenceLength(std::string_view s, size_t i) {
  const auto at = [&](size_t k) { return uint8_t(s[k]); };
  const uint8_t c = at(i);
  if (c < 0x80) return 1;
  const size_t left = s.size() - i;
  const auto cont = [&](size_t k) { return (at(i + k) & 0xC0) == 0x80; };
  if (c >= 0xC2 && c <= 0xDF) return left >= 2 && cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (left < 3 || !cont(1) || !cont(2)) return 0;
    if (c == 0xE0 && at(i + 1) < 0xA0) return 0;  // overlong
    if (c == 0xED && at(i + 1) > 0x9F) return 0;  // surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (left < 4 || !cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xF0 && at(i + 1) < 0x90) return 0;  // overlong
    if (c == 0xF4 && at(i + 1) > 0x8F) return 0;  // beyond U+10FFFF
    return 4;
  }
  return 0;
}

bool isCarrier(std::string_view s, size_t i) {  // U+10FF80..U+10FFFF at i
  return s.size() - i >= 4 && uint8_t(s[i]) == 0xF4 && uint8_t(s[i + 1]) == 0x8F &&
         (uint8_t(s[i + 2]) == 0xBE || uint8_t(s[i + 2]) == 0xBF) &&
         (uint8_t(s[i + 3]) & 0xC0) == 0x80;
}

// Returns true and fills `carried` when `text` needs carrier characters.
bool carryStrayBytes(std::string_view text, std::string& carried) {
  size_t i = 0;
  while (true) {
    while (i < text.size() && uint8_t(text[i]) < 0x80) ++i;
    if (i == text.size()) return false;
    const size_t length = utf8SequenceLength(text, i);
    if (length == 0 || isCarrier(text, i)) break;
    i += length;
  }
  carried.reserve(text.size() + 64);
  carried.assign(text.substr(0, i));
  while (i < text.size()) {
    const size_t length = utf8SequenceLength(text, i);
    if (length != 0 && !isCarrier(text, i)) {
      carried.append(text.substr(i, length));
      i += length;
      continue;
    }
    for (size_t k = 0; k < std::max<size_t>(length, 1); ++k) {
      const uint8_t b = uint8_t(text[i + k]);  // >= 0x80: ASCII is always valid
      carried += char(0xF4);
      carried += char(0x8F);
      carried += char(0xBC + (b >> 6));
      carried += char(0x80 | (b & 0x3F));
    }
    i += std::max<size_t>(length, 1);
  }
  return true;
}

// Turns carrier characters back into the bytes they carry.
std::string_view restoreStrayBytes(std::string_view text, std::string& scratch) {
  if (text.find(char(0xF4)) == std::string_view::npos) return text;
  scratch.clear();
  size_t i = 0;
  while (i < text.size()) {
    if (isCarrier(text, i)) {
      scratch += char(((uint8_t(text[i + 2]) - 0xBC) << 6) | (uint8_t(text[i + 3]) & 0x3F));
      i += 4;
    } else {
      scratch += text[i++];
    }
  }
  return scratch;
}

// The value of a single-quoted scalar from its source between the quotes: `''` is a quote, and
// lines fold (a break between text becomes a space, each blank line a newline; white space around
// breaks goes).
std::string unquoteSingle(std::string_view body) {
  std::string out;
  out.reserve(body.size());
  const auto appendUnescaped = [&](std::string_view line) {
    for (size_t i = 0; i < line.size(); ++i) {
      out += line[i];
      if (line[i] == '\'' && i + 1 < line.size() && line[i + 1] == '\'') ++i;
    }
  };
  const auto isSpace = [](char c) { return c == ' ' || c == '\t'; };
  size_t i = 0;
  size_t blankLines = 0;
  for (bool first = true;; first = false) {
    size_t eol = body.find_first_of("\r\n", i);
    const bool last = eol == std::string_view::npos;
    std::string_view line = body.substr(i, last ? std::string_view::npos : eol - i);
    if (!first) {
      while (!line.empty() && isSpace(line.front())) line.remove_prefix(1);
    }
    if (!last) {
      while (!line.empty() && isSpace(line.back())) line.remove_suffix(1);
    }
    if (first) {
      appendUnescaped(line);
    } else if (line.empty() && !last) {
      ++blankLines;
    } else {
      if (blankLines == 0) {
        out += ' ';
      } else {
        out.append(blankLines, '\n');
      }
      blankLines = 0;
      appendUnescaped(line);
    }
    if (last) break;
    i = eol + (body[eol] == '\r' && eol + 1 < body.size() && body[eol + 1] == '\n' ? 2 : 1);
  }
  return out;
}

// Collects libfyaml's diagnostics, which arrive as "<input>:LINE:COLUMN: error: MESSAGE\n" followed
// by the offending source line and a caret.
class DiagnosticSink {
 public:
  DiagnosticSink() {
    fy_diag_cfg cfg;
    fy_diag_cfg_default(&cfg);
    cfg.fp = nullptr;
    cfg.output_fn = &DiagnosticSink::collect;
    cfg.user = this;
    cfg.colorize = false;
    diag_ = fy_diag_create(&cfg);
  }
  ~DiagnosticSink() {
    if (diag_) fy_diag_unref(diag_);
  }
  DiagnosticSink(const DiagnosticSink&) = delete;
  DiagnosticSink& operator=(const DiagnosticSink&) = delete;

  fy_diag* diag() const { return diag_; }

  // The first error as "MESSAGE (line L, column C)", or "" if libfyaml reported none.
  std::string firstError() const {
    const std::string_view all = output_;
    const size_t at = all.find(": error: ");
    if (at == std::string_view::npos) return "";
    size_t eol = all.find('\n', at);
    if (eol == std::string_view::npos) eol = all.size();
    std::string message(all.substr(at + 9, eol - at - 9));
    // "...:LINE:COLUMN" precedes ": error: ".
    const std::string_view where = all.substr(0, at);
    const size_t colonColumn = where.rfind(':');
    const size_t colonLine = colonColumn == std::string_view::npos || colonColumn == 0
                                 ? std::string_view::npos
                                 : where.rfind(':', colonColumn - 1);
    if (colonLine != std::string_view::npos) {
      message += " (line " + std::string(where.substr(colonLine + 1, colonColumn - colonLine - 1)) +
                 ", column " + std::string(where.substr(colonColumn + 1)) + ")";
    }
    return message;
  }

 private:
  static void collect(fy_diag* /*diag*/, void* user, const char* buf, size_t len) {
    auto* self = static_cast<DiagnosticSink*>(user);
    constexpr size_t kKeep = 4096;  // the first error is all we report
    if (self->output_.size() < kKeep) self->output_.append(buf, std::min(len, kKeep));
  }

  fy_diag* diag_ = nullptr;
  std::string output_;
};

// Builds the JSON tree of the first document straight from libfyaml's parse events, without
// libfyaml's own document tree. Depth and the number of values are bounded: anchors can make an
// expansion exponential in the input size.
class EventBuilder {
 public:
  // `source`: the text being parsed; `restoreBytes`: it was passed through carryStrayBytes.
  EventBuilder(std::string_view source, size_t budget, bool restoreBytes)
      : source_(source), budget_(budget), restoreBytes_(restoreBytes) {}

  // Consumes one event; false (with error()) on a refused document.
  bool onEvent(fy_event* event) {
    switch (event->type) {
      case FYET_DOCUMENT_START:
        ++documents_;
        return true;
      case FYET_SCALAR:
        if (!building()) return true;
        return onScalar(event->scalar.value, event->scalar.tag, event->scalar.anchor);
      case FYET_ALIAS:
        if (!building()) return true;
        return onAlias(event->alias.anchor);
      case FYET_SEQUENCE_START:
        if (!building()) return true;
        return onCollectionStart(Json::array(), event->sequence_start.anchor,
                                 event->sequence_start.sequence_start);
      case FYET_MAPPING_START:
        if (!building()) return true;
        return onCollectionStart(Json::object(), event->mapping_start.anchor,
                                 event->mapping_start.mapping_start);
      case FYET_SEQUENCE_END:
      case FYET_MAPPING_END:
        if (!building()) return true;
        return onCollectionEnd();
      default:
        return true;
    }
  }

  Json takeRoot() { return std::move(root_); }
  const std::string& error() const { return error_; }

 private:
  struct Frame {
    Json value;
    std::string anchor;
    size_t budgetAtStart = 0;
    int height = 0;  // levels below this node
    bool hasKey = false;
    std::string key;
    fy_mark keyMark{};  // where the key starts (tokens die with their event)
    bool keyMarked = false;
  };
  struct Anchor {
    Json value;
    size_t cost = 0;  // values an expansion adds
    int height = 0;
    bool usableAsKey = false;
    std::string keyText;
  };

  // Only the first document is converted (yaml-cpp and Kong's lyaml use the first); later ones
  // are still parsed, so their syntax errors are reported.
  bool building() const { return documents_ <= 1; }

  bool awaitingKey() const {
    return !stack_.empty() && stack_.back().value.is_object() && !stack_.back().hasKey;
  }

  bool charge(size_t cost) {
    if (budget_ < cost || budget_ == 0) {
      return fail("invalid YAML: document expands to too many values (aliases?)");
    }
    budget_ -= cost;
    return true;
  }

  bool checkDepth(int height) {
    if (int(stack_.size()) + height > kMaxNesting) {
      return fail("document nests deeper than 64 levels");
    }
    return true;
  }

  // The value of a scalar token. libfyaml 0.7.12 leaks a buffer formatting single-quoted
  // scalars with many `''` escapes; those are decoded here from the source instead.
  std::string_view scalarText(fy_token* value) {
    if (fy_token_scalar_style(value) == FYSS_SINGLE_QUOTED) {
      const fy_mark* start = fy_token_start_mark(value);
      const fy_mark* end = fy_token_end_mark(value);
      if (start && end && start->input_pos <= end->input_pos && end->input_pos <= source_.size()) {
        const std::string_view body =
            source_.substr(start->input_pos, end->input_pos - start->input_pos);
        if (body.find("''") != std::string_view::npos) {
          unquoted_ = unquoteSingle(body);
          return unquoted_;
        }
      }
    }
    return tokenText(value);
  }

  bool onScalar(fy_token* value, fy_token* tag, fy_token* anchor) {
    std::string_view text = scalarText(value);
    if (restoreBytes_) text = restoreStrayBytes(text, scratch_);
    if (awaitingKey()) {
      // yaml-cpp took a key's text verbatim, whatever its type; a null key has no text.
      const bool isNull = !tag && fy_token_scalar_style(value) == FYSS_PLAIN && isNullText(text);
      if (anchor) {
        Anchor& a = anchors_[std::string(tokenText(anchor))];
        a = Anchor{typeScalar(text, value, tag), 1, 0, !isNull, std::string(text)};
      }
      if (isNull) return fail("invalid YAML: mapping keys must be strings" + markText(value));
      return setKey(std::string(text), value);
    }
    if (!checkDepth(0) || !charge(1)) return false;
    Json typed = typeScalar(text, value, tag);
    if (anchor) {
      anchors_[std::string(tokenText(anchor))] = Anchor{
          typed, 1, 0, fy_token_scalar_style(value) != FYSS_PLAIN || tag || !isNullText(text),
          std::string(text)};
    }
    return add(std::move(typed), 0);
  }

  bool onAlias(fy_token* alias) {
    const std::string name(tokenText(alias));
    const auto it = anchors_.find(name);
    if (it == anchors_.end()) {
      return fail("failed parsing YAML: unknown anchor \"" + name + "\"" + markText(alias));
    }
    const Anchor& anchor = it->second;
    if (awaitingKey()) {
      if (!anchor.usableAsKey) return fail("invalid YAML: mapping keys must be strings" + markText(alias));
      return setKey(anchor.keyText, alias);
    }
    if (!checkDepth(anchor.height) || !charge(anchor.cost)) return false;
    return add(Json(anchor.value), anchor.height);
  }

  bool onCollectionStart(Json empty, fy_token* anchor, fy_token* start) {
    if (awaitingKey()) return fail("invalid YAML: mapping keys must be strings" + markText(start));
    if (!checkDepth(0)) return false;
    const size_t budgetAtStart = budget_;
    if (!charge(1)) return false;
    Frame frame;
    frame.value = std::move(empty);
    frame.budgetAtStart = budgetAtStart;
    if (anchor) frame.anchor = std::string(tokenText(anchor));
    stack_.push_back(std::move(frame));
    return true;
  }

  bool onCollectionEnd() {
    if (stack_.empty()) return fail("failed parsing YAML: unbalanced collection end");
    Frame frame = std::move(stack_.back());
    stack_.pop_back();
    const int height = frame.height + 1;
    if (!frame.anchor.empty()) {
      anchors_[frame.anchor] =
          Anchor{frame.value, frame.budgetAtStart - budget_, height, false, std::string()};
    }
    return add(std::move(frame.value), height);
  }

  bool setKey(std::string key, fy_token* where) {
    if (!charge(1)) return false;
    Frame& top = stack_.back();
    top.key = std::move(key);
    top.hasKey = true;
    const fy_mark* mark = fy_token_start_mark(where);
    top.keyMarked = mark != nullptr;
    if (mark) top.keyMark = *mark;
    return true;
  }

  bool add(Json value, int height) {
    if (stack_.empty()) {
      root_ = std::move(value);
      return true;
    }
    Frame& top = stack_.back();
    top.height = std::max(top.height, height);
    if (top.value.is_array()) {
      top.value.get_ref<Json::array_t&>().push_back(std::move(value));
      return true;
    }
    auto& object = top.value.get_ref<Json::object_t&>();
    top.hasKey = false;
    if (!object.try_emplace(std::move(top.key), std::move(value)).second) {  // keeps a dup key
      return fail("failed parsing YAML: duplicate key \"" + top.key + "\"" +
                  markText(top.keyMarked ? &top.keyMark : nullptr));
    }
    return true;
  }

  bool fail(std::string why) {
    error_ = std::move(why);
    return false;
  }

  std::string_view source_;
  size_t budget_;
  bool restoreBytes_;
  std::string scratch_;
  std::string unquoted_;
  int documents_ = 0;
  std::vector<Frame> stack_;
  std::unordered_map<std::string, Anchor> anchors_;
  Json root_;
  std::string error_;
};

// Runs libfyaml's event parser over `text` into `out`.
bool parseYaml(std::string_view text, Json& out, std::string& error) {
  DiagnosticSink sink;
  if (!sink.diag()) {
    error = "failed parsing YAML: out of memory";
    return false;
  }
  fy_parse_cfg cfg{};
  // Not quiet: errors must reach the sink. JSON_NONE: the text is YAML whatever it looks like.
  cfg.flags = fy_parse_cfg_flags(FYPCF_JSON_NONE);
  cfg.diag = sink.diag();
  std::string carried;  // outlives the parser, which reads it
  const bool restoreBytes = carryStrayBytes(text, carried);
  if (restoreBytes) text = carried;
  std::unique_ptr<fy_parser, void (*)(fy_parser*)> parser(fy_parser_create(&cfg),
                                                          &fy_parser_destroy);
  if (!parser || fy_parser_set_string(parser.get(), text.data(), text.size()) != 0) {
    error = "failed parsing YAML: cannot start the parser";
    return false;
  }
  EventBuilder builder(text, std::max<size_t>(size_t{1} << 16, text.size() * 8), restoreBytes);
  while (fy_event* event = fy_parser_parse(parser.get())) {
    const bool ok = builder.onEvent(event);
    fy_parser_event_free(parser.get(), event);
    if (!ok) {
      error = builder.error();
      return false;
    }
  }
  if (fy_parser_get_stream_error(parser.get())) {
    const std::string reason = sink.firstError();
    error = "failed parsing YAML: " + (reason.empty() ? std::string("invalid YAML") : reason);
    return false;
  }
  out = builder.takeRoot();
  return true;
}

}  // namespace

int estimateNesting(std::string_view text) {
  int flow = 0;
  int deepest = 0;
  std::vector<size_t> indents;  // block indentation stack
  size_t blockScalarIndent = std::string_view::npos;  // inside `|`/`>` content deeper than this
  size_t i = 0;
  const size_t n = text.size();
  while (i < n) {
    // Start of a line.
    size_t col = 0;
    while (i < n && text[i] == ' ') ++i, ++col;
    const size_t lineStart = i;
    size_t eol = text.find('\n', i);
    if (eol == std::string_view::npos) eol = n;
    bool blank = i >= eol || text[i] == '#' || text[i] == '\r';
    if (blockScalarIndent != std::string_view::npos) {
      if (blank || col > blockScalarIndent) {
        i = eol + 1;
        continue;
      }
      blockScalarIndent = std::string_view::npos;
    }
    if (blank) {
      i = eol + 1;
      continue;
    }
    if (flow == 0) {
      while (!indents.empty() && indents.back() >= col) indents.pop_back();
      indents.push_back(col);
    }
    int markers = 0;  // "- - - x" and "? " open one level each
    size_t j = lineStart;
    while (j + 1 < eol && (text[j] == '-' || text[j] == '?' || text[j] == ':') &&
           isBlank(text[j + 1])) {
      ++markers;
      j += 2;
      while (j < eol && isBlank(text[j])) ++j;
    }
    // Scan the rest of the line (and any quoted string spanning lines) for flow brackets.
    bool tokenStart = true;
    char lastSignificant = 0;
    while (i < n && text[i] != '\n') {
      const char c = text[i];
      if (tokenStart && (c == '"' || c == '\'')) {
        ++i;
        while (i < n) {
          if (c == '"' && text[i] == '\\') {
            i += 2;
            continue;
          }
          if (text[i] == c) {
            if (c == '\'' && i + 1 < n && text[i + 1] == '\'') {
              i += 2;
              continue;
            }
            break;
          }
          ++i;
        }
        ++i;  // past the closing quote (or past the end)
        tokenStart = false;
        lastSignificant = c;
        continue;
      }
      if (tokenStart && c == '#') {
        while (i < n && text[i] != '\n') ++i;
        break;
      }
      if (c == '[' || c == '{') {
        ++flow;
      } else if ((c == ']' || c == '}') && flow > 0) {
        --flow;
      }
      tokenStart = isBlank(c) || c == '[' || c == '{' || c == ',' || c == ':' || c == '-';
      if (!isBlank(c) && c != '\r') lastSignificant = c;
      deepest = std::max(deepest, int(indents.size()) + markers + flow);
      ++i;
    }
    deepest = std::max(deepest, int(indents.size()) + markers + flow);
    if (flow == 0 && (lastSignificant == '|' || lastSignificant == '>' ||
                      ((lastSignificant == '-' || lastSignificant == '+' ||
                        (lastSignificant >= '1' && lastSignificant <= '9')) &&
                       [&] {  // "|-", ">+", "|2" ...
                         std::string_view line = text.substr(lineStart, i - lineStart);
                         while (!line.empty() && (isBlank(line.back()) || line.back() == '\r'))
                           line.remove_suffix(1);
                         while (!line.empty() && (line.back() == '-' || line.back() == '+' ||
                                                  (line.back() >= '1' && line.back() <= '9')))
                           line.remove_suffix(1);
                         return !line.empty() && (line.back() == '|' || line.back() == '>');
                       }()))) {
      blockScalarIndent = col;
    }
    ++i;  // past '\n'
  }
  return deepest;
}

bool parseDocument(std::string_view text, Json& out, std::string& error) {
  try {
    if (estimateNesting(text) > kMaxNesting) {
      error = "document nests deeper than 64 levels";
      return false;
    }
    size_t first = 0;
    while (first < text.size() && (isBlank(text[first]) || text[first] == '\n' ||
                                   text[first] == '\r')) {
      ++first;
    }
    if (first < text.size() && text[first] == '{') {
      // Fast path for JSON (a 100k-route export parses several times faster than via YAML).
      Json parsed = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
      if (!parsed.is_discarded()) {
        out = std::move(parsed);
        return true;
      }
      // Not strict JSON: a YAML flow mapping maybe; fall through.
    }
    return parseYaml(text, out, error);
  } catch (const std::exception& e) {
    error = std::string("failed parsing: ") + e.what();
  } catch (...) {
    error = "failed parsing";
  }
  return false;
}

}  // namespace causeway::model::kong
