// A Slice is a non-owning view of bytes. Keys and values are arbitrary bytes
// (embedded NULs allowed); the engine orders keys bytewise (memcmp order).
#pragma once

#include <string_view>

namespace kvstore {

using Slice = std::string_view;

}  // namespace kvstore
