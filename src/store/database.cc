#include "store/database.h"

#include <charconv>
#include <cstdlib>
#include <iostream>

namespace gantry::store {

const Row::Cell& Row::At(size_t col) const {
  if (col >= cells_.size()) {
    std::cerr << "gantry: fatal: column " << col << " of a row with " << cells_.size()
              << " columns\n";
    std::abort();
  }
  return cells_[col];
}

bool Row::IsNull(size_t col) const { return std::holds_alternative<std::monostate>(At(col)); }

int64_t Row::Int(size_t col) const {
  const Cell& cell = At(col);
  if (const auto* i = std::get_if<int64_t>(&cell)) return *i;
  if (const auto* s = std::get_if<std::string>(&cell)) {
    int64_t v = 0;
    std::from_chars(s->data(), s->data() + s->size(), v);
    return v;
  }
  return 0;
}

std::string Row::Text(size_t col) const {
  const Cell& cell = At(col);
  if (const auto* s = std::get_if<std::string>(&cell)) return *s;
  if (const auto* i = std::get_if<int64_t>(&cell)) return std::to_string(*i);
  return "";
}

std::vector<uint8_t> Row::Blob(size_t col) const {
  const Cell& cell = At(col);
  if (const auto* s = std::get_if<std::string>(&cell)) return {s->begin(), s->end()};
  return {};
}

}  // namespace gantry::store
