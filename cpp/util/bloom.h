// Blocked ("cache-local") bloom filter: the bit array is split into 64-byte
// lines and every key sets and probes bits of a single line, so a lookup
// touches one cache line (one memory miss at most) whatever the probe count.
//
//   filter = line[num_lines] (64 bytes each) | uint8 num_probes | fixed32 num_lines
//
// A key's 64-bit XXH3 hash picks its line (upper 32 bits, by multiply-shift)
// and its probe bits (lower 32 bits, remixed by a multiply per probe, each
// probe taking the top 9 bits = a bit index inside the 512-bit line).
// Blocking costs a little accuracy against a classic filter of the same size
// (lines get unequal loads); ExpectedFalsePositiveRate() gives the rate of
// this layout so tests can hold it to theory.
//
// BloomFilterBuilder is not thread-safe. BloomFilter is immutable and safe
// for concurrent readers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kvstore/slice.h"
#include "kvstore/status.h"

namespace kvstore {

inline constexpr size_t kBloomLineBytes = 64;

class BloomFilterBuilder {
 public:
  // bits_per_key < 1 is treated as 1.
  explicit BloomFilterBuilder(int bits_per_key);

  void AddKey(Slice key);
  size_t num_keys() const { return hashes_.size(); }
  // Appends the filter for every key added so far to *dst and forgets them.
  void Finish(std::string* dst);

  // Probes per key for bits_per_key (about bits_per_key * ln 2, in [1, 16]).
  static int NumProbes(int bits_per_key);

 private:
  const int bits_per_key_;
  std::vector<uint64_t> hashes_;
};

class BloomFilter {
 public:
  // Parses (and copies into cache-line-aligned memory) filter bytes written
  // by BloomFilterBuilder. Corruption if the sizes or the probe count do not
  // add up.
  static Status Parse(Slice contents, std::unique_ptr<BloomFilter>* filter);

  BloomFilter(const BloomFilter&) = delete;
  BloomFilter& operator=(const BloomFilter&) = delete;
  ~BloomFilter();

  // False means key was certainly not added; true means it probably was.
  bool KeyMayMatch(Slice key) const;
  // Bytes held (the lines).
  size_t MemoryUsage() const { return num_lines_ * kBloomLineBytes; }

 private:
  BloomFilter(char* lines, uint32_t num_lines, int num_probes)
      : lines_(lines), num_lines_(num_lines), num_probes_(num_probes) {}
  char* const lines_;  // aligned to kBloomLineBytes
  const uint32_t num_lines_;
  const int num_probes_;
};

// The false-positive rate a BloomFilter of this layout is expected to have
// with bits_per_key bits per key (averaging over the Poisson-distributed
// number of keys per line).
double ExpectedFalsePositiveRate(int bits_per_key);
// The rate of a classic (unblocked) filter with optimal probes: exp(-b ln2^2)-ish,
// computed exactly as (1 - e^{-k/b})^k.
double ClassicFalsePositiveRate(int bits_per_key, int num_probes);

}  // namespace kvstore
