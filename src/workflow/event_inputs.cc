#include "workflow/event_inputs.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>
#include <string>

#include "expr/expression.h"

namespace gantry::workflow {
namespace {

enum class InputKind { kDispatch, kCall };

// GitHub's limit on the inputs of a manually triggered workflow.
constexpr size_t kMaxDispatchInputs = 25;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool HasExpression(std::string_view s) { return s.find("${{") != std::string_view::npos; }

// Names in these mappings are case-insensitive for GitHub: `Foo` and `foo` clash.
class NameSet {
 public:
  NameSet(Reader& reader, std::string_view what) : reader_(reader), what_(what) {}
  bool Add(const YamlNode& key) {
    auto [it, inserted] = seen_.emplace(Lower(key.scalar), key.pos);
    if (key.scalar.empty()) {
      reader_.Error(key.pos, std::string(what_) + " name must not be empty");
      return false;
    }
    if (!inserted) {
      reader_.Error(key.pos, std::string(what_) + " '" + key.scalar +
                                 "' is already defined at line " + std::to_string(it->second.line) +
                                 " (names are case-insensitive)");
    }
    return inserted;
  }

 private:
  Reader& reader_;
  std::string_view what_;
  std::map<std::string, Position> seen_;
};

// Validates a `${{ }}` template with the contexts GitHub allows at that place.
void CheckTemplate(const YamlNode& node, std::vector<std::string> contexts, Reader& reader) {
  expr::ParseOptions options;
  options.named_values = std::move(contexts);
  auto parsed = expr::Template::Parse(node.scalar, options);
  if (!parsed.ok()) reader.Error(node.pos, parsed.status().message(), "expression");
}

void CheckDefault(const YamlNode& value, const TriggerInput& input, Reader& reader) {
  const std::string& text = value.scalar;
  std::string where = "Default value '" + text + "' of input '" + input.name + "'";
  if (input.type == "boolean" && !IsBooleanText(text)) {
    reader.Error(value.pos, where + " must be true or false, as the input is a boolean", "events");
  } else if (input.type == "number" && !IsNumberText(text)) {
    reader.Error(value.pos, where + " is not a number, as the input type requires", "events");
  } else if (input.type == "choice" && !input.options.empty() &&
             std::find(input.options.begin(), input.options.end(), text) == input.options.end()) {
    std::string options;
    for (const auto& o : input.options) options += (options.empty() ? "'" : ", '") + o + "'";
    reader.Error(value.pos, where + " is not one of its options: " + options, "events");
  }
}

void ParseInput(const YamlNode& key, const YamlNodePtr& value, InputKind kind, Reader& reader,
                EventTrigger& event) {
  TriggerInput input;
  input.name = key.scalar;
  input.pos = key.pos;
  const bool call = kind == InputKind::kCall;
  if (!value || value->IsNull()) {
    if (call) {
      reader.Error(key.pos, "Required property is missing: type");
    }
    event.inputs.push_back(std::move(input));
    return;
  }
  if (!reader.ExpectMapping(value, "input '" + key.scalar + "'")) return;
  std::vector<std::string_view> allowed = {"description", "type", "required", "default"};
  if (!call) allowed.emplace_back("options");
  reader.CheckKeys(*value, allowed, "input '" + key.scalar + "'");

  YamlNodePtr default_node;
  YamlNodePtr options_node;
  for (const auto& [k, v] : value->entries) {
    const std::string& name = k->scalar;
    if (name == "description") {
      if (v->IsNull()) continue;
      if (auto s = reader.String(v, "'description'")) input.description = *s;
    } else if (name == "required") {
      if (auto b = reader.Bool(v, "'required'")) input.required = *b;
    } else if (name == "default") {
      if (!v->IsScalar()) {
        reader.Error(v->pos,
                     "'default' must be a string, number or boolean, not a " + v->TypeName());
      } else if (!v->IsNull()) {
        default_node = v;
        input.default_value = v->scalar;
      }
    } else if (name == "type") {
      auto s = reader.String(v, "'type'");
      if (!s) continue;
      std::vector<std::string_view> types = {"string", "boolean", "number"};
      if (!call) types.insert(types.end(), {"choice", "environment"});
      if (std::find(types.begin(), types.end(), *s) == types.end()) {
        std::string list;
        for (auto t : types) list += (list.empty() ? "" : ", ") + std::string(t);
        std::string message = "Unexpected value '" + *s + "': the type of input '" + input.name +
                              "' must be one of " + list;
        std::string suggestion = ClosestMatch(*s, types);
        for (auto t : types) {
          if (suggestion.empty() && s->size() >= 3 && t.starts_with(Lower(*s))) {
            suggestion = std::string(t);
          }
        }
        if (!suggestion.empty()) message += " (did you mean '" + suggestion + "'?)";
        reader.Error(v->pos, message);
      } else {
        input.type = *s;
      }
    } else if (name == "options") {
      options_node = v;
    }
  }
  if (call && !value->Find("type")) {
    reader.Error(key.pos, "Required property is missing: type");
  }
  bool empty_options = false;
  if (options_node && reader.ExpectSequence(options_node, "'options'")) {
    empty_options = options_node->items.empty();
    if (empty_options) {
      reader.Error(options_node->pos,
                   "'options' of input '" + input.name + "' must list at least one option",
                   "events");
    }
    std::map<std::string, bool> seen;
    for (const auto& item : options_node->items) {
      auto s = reader.String(item, "an option");
      if (!s) continue;
      if (s->empty()) {
        reader.Error(item->pos, "An option of input '" + input.name + "' must not be empty",
                     "events");
      } else if (seen[*s]) {
        reader.Error(item->pos,
                     "Option '" + *s + "' of input '" + input.name + "' is listed more than once",
                     "events");
      }
      seen[*s] = true;
      input.options.push_back(*s);
    }
  }
  if (options_node && input.type != "choice" && !empty_options) {
    reader.Error(key.pos,
                 "Input '" + input.name + "' has 'options' but its type is '" + input.type +
                     "'; only a 'choice' input takes options",
                 "events");
  } else if (input.type == "choice" && input.options.empty()) {
    reader.Error(key.pos,
                 "Input '" + input.name + "' of type 'choice' needs a non-empty 'options' list",
                 "events");
  }
  if (default_node) {
    if (call && HasExpression(default_node->scalar)) {
      CheckTemplate(*default_node, {"github", "inputs", "vars"}, reader);
    } else {
      CheckDefault(*default_node, input, reader);
    }
  }
  event.inputs.push_back(std::move(input));
}

void ParseInputs(const YamlNodePtr& node, InputKind kind, Reader& reader, EventTrigger& event) {
  if (!node || node->IsNull()) return;
  if (!reader.ExpectMapping(node, "'inputs'")) return;
  NameSet names(reader, "Input");
  for (const auto& [key, value] : node->entries) {
    if (!names.Add(*key)) continue;
    ParseInput(*key, value, kind, reader, event);
  }
}

void ParseOutputs(const YamlNodePtr& node, Reader& reader, EventTrigger& event) {
  if (!node || node->IsNull()) return;
  if (!reader.ExpectMapping(node, "'outputs'")) return;
  NameSet names(reader, "Output");
  for (const auto& [key, value] : node->entries) {
    if (!names.Add(*key)) continue;
    TriggerOutput output;
    output.name = key->scalar;
    output.pos = key->pos;
    if (!value || value->IsNull()) {
      reader.Error(key->pos, "Required property is missing: value");
      continue;
    }
    if (!reader.ExpectMapping(value, "output '" + key->scalar + "'")) continue;
    reader.CheckKeys(*value, {"description", "value"}, "output '" + key->scalar + "'");
    if (auto d = value->Find("description"); d && !d->IsNull()) {
      if (auto s = reader.String(d, "'description'")) output.description = *s;
    }
    if (auto v = value->Find("value")) {
      if (auto s = reader.String(v, "'value'")) {
        output.value = *s;
        CheckTemplate(*v, {"github", "inputs", "vars", "jobs"}, reader);
      }
    } else {
      reader.Error(key->pos, "Required property is missing: value");
    }
    event.outputs.push_back(std::move(output));
  }
}

void ParseSecrets(const YamlNodePtr& node, Reader& reader, EventTrigger& event) {
  if (!node || node->IsNull()) return;
  if (!reader.ExpectMapping(node, "'secrets'")) return;
  NameSet names(reader, "Secret");
  for (const auto& [key, value] : node->entries) {
    if (!names.Add(*key)) continue;
    TriggerSecret secret;
    secret.name = key->scalar;
    secret.pos = key->pos;
    if (value && !value->IsNull() && reader.ExpectMapping(value, "secret '" + key->scalar + "'")) {
      reader.CheckKeys(*value, {"description", "required"}, "secret '" + key->scalar + "'");
      if (auto d = value->Find("description"); d && !d->IsNull()) {
        if (auto s = reader.String(d, "'description'")) secret.description = *s;
      }
      if (auto r = value->Find("required")) {
        if (auto b = reader.Bool(r, "'required'")) secret.required = *b;
      }
    }
    event.secrets.push_back(std::move(secret));
  }
}

}  // namespace

bool IsBooleanText(std::string_view s) {
  return s == "true" || s == "True" || s == "TRUE" || s == "false" || s == "False" || s == "FALSE";
}

bool IsNumberText(std::string_view s) {
  if (s.empty()) return false;
  std::string_view body = s;
  if (body[0] == '+' || body[0] == '-') body.remove_prefix(1);
  if (body == ".inf" || body == ".Inf" || body == ".INF") return true;
  if (s == ".nan" || s == ".NaN" || s == ".NAN") return true;
  if (body.size() > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'o')) {
    bool hex = body[1] == 'x';
    return std::all_of(body.begin() + 2, body.end(), [hex](char c) {
      return hex ? std::isxdigit(static_cast<unsigned char>(c)) != 0 : c >= '0' && c <= '7';
    });
  }
  if (body.empty() || body[0] == '+' || body[0] == '-') return false;
  double value = 0;
  auto [end, ec] = std::from_chars(body.data(), body.data() + body.size(), value);
  return ec == std::errc() && end == body.data() + body.size();
}

void ParseDispatchConfig(const YamlNode& config, Reader& reader, EventTrigger& event) {
  reader.CheckKeys(config, {"inputs"}, "event 'workflow_dispatch'");
  ParseInputs(config.Find("inputs"), InputKind::kDispatch, reader, event);
  if (event.inputs.size() > kMaxDispatchInputs) {
    reader.Error(event.pos,
                 "workflow_dispatch accepts at most " + std::to_string(kMaxDispatchInputs) +
                     " inputs, but " + std::to_string(event.inputs.size()) + " are defined",
                 "events");
  }
}

void ParseCallConfig(const YamlNode& config, Reader& reader, EventTrigger& event) {
  reader.CheckKeys(config, {"inputs", "outputs", "secrets"}, "event 'workflow_call'");
  ParseInputs(config.Find("inputs"), InputKind::kCall, reader, event);
  ParseOutputs(config.Find("outputs"), reader, event);
  ParseSecrets(config.Find("secrets"), reader, event);
}

}  // namespace gantry::workflow
