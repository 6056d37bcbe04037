// Helpers for DB tests: a scratch directory removed at the end of the test.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kvstore/env.h"

namespace kvstore {

class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Every file name in dir ending with suffix (e.g. ".log", ".sst").
std::vector<std::string> FilesWithSuffix(const std::string& dir, const std::string& suffix);

// Flips one byte of fname at offset (XOR 0x40).
void FlipByte(const std::string& fname, uint64_t offset);

}  // namespace kvstore
