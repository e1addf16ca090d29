#pragma once

// Internal to events.cc: the configuration of workflow_dispatch and workflow_call
// (inputs, outputs, secrets).

#include "workflow/events.h"
#include "workflow/reader.h"
#include "workflow/yaml.h"

namespace gantry::workflow {

/// Parses the mapping under `on.workflow_dispatch` (inputs) into `event`.
void ParseDispatchConfig(const YamlNode& config, Reader& reader, EventTrigger& event);

/// Parses the mapping under `on.workflow_call` (inputs, outputs, secrets) into `event`.
void ParseCallConfig(const YamlNode& config, Reader& reader, EventTrigger& event);

/// True when `text` is a YAML 1.2 core-schema boolean (true/True/TRUE/false/...).
bool IsBooleanText(std::string_view text);
/// True when `text` parses as a number (decimal, exponent, 0x/0o, .inf, .nan).
bool IsNumberText(std::string_view text);

}  // namespace gantry::workflow
