#include "util/bloom.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <new>

#include "util/checksum.h"
#include "util/coding.h"

namespace kvstore {

namespace {

constexpr uint32_t kLineBits = kBloomLineBytes * 8;  // 512: 9 bits per probe index
constexpr int kMaxProbes = 16;
constexpr size_t kTrailerSize = 1 + 4;  // num_probes | fixed32 num_lines

inline uint64_t HashKey(Slice key) { return XXH3_64bits(key.data(), key.size()); }

inline uint32_t LineOf(uint64_t h, uint32_t num_lines) {
  return static_cast<uint32_t>(((h >> 32) * uint64_t{num_lines}) >> 32);
}

// Calls fn(bit index in the line) for each probe of hash h.
template <typename Fn>
inline void ForEachProbe(uint64_t h, int num_probes, Fn fn) {
  uint32_t x = static_cast<uint32_t>(h);
  for (int i = 0; i < num_probes; i++) {
    x *= 0x9e3779b9u;  // odd: a bijection on 32 bits; the top bits mix the whole word
    fn(x >> (32 - 9));
  }
}

}  // namespace

BloomFilterBuilder::BloomFilterBuilder(int bits_per_key)
    : bits_per_key_(std::max(bits_per_key, 1)) {}

int BloomFilterBuilder::NumProbes(int bits_per_key) {
  const int k = static_cast<int>(std::lround(std::max(bits_per_key, 1) * 0.69));
  return std::clamp(k, 1, kMaxProbes);
}

void BloomFilterBuilder::AddKey(Slice key) { hashes_.push_back(HashKey(key)); }

void BloomFilterBuilder::Finish(std::string* dst) {
  const uint64_t bits = uint64_t{hashes_.size()} * static_cast<uint64_t>(bits_per_key_);
  uint64_t lines64 = (bits + kLineBits - 1) / kLineBits;
  if (lines64 == 0 && !hashes_.empty()) lines64 = 1;
  const uint32_t num_lines =
      static_cast<uint32_t>(std::min<uint64_t>(lines64, uint64_t{UINT32_MAX} / kBloomLineBytes));
  const int num_probes = NumProbes(bits_per_key_);
  const size_t start = dst->size();
  dst->resize(start + size_t{num_lines} * kBloomLineBytes, '\0');
  char* lines = dst->data() + start;
  for (uint64_t h : hashes_) {
    char* line = lines + size_t{LineOf(h, num_lines)} * kBloomLineBytes;
    ForEachProbe(h, num_probes, [line](uint32_t bit) {
      line[bit >> 3] = static_cast<char>(line[bit >> 3] | (1 << (bit & 7)));
    });
  }
  dst->push_back(static_cast<char>(num_probes));
  PutFixed32(dst, num_lines);
  hashes_.clear();
}

Status BloomFilter::Parse(Slice contents, std::unique_ptr<BloomFilter>* filter) {
  filter->reset();
  if (contents.size() < kTrailerSize) return Status::Corruption("bloom filter too short");
  const char* trailer = contents.data() + contents.size() - kTrailerSize;
  const int num_probes = static_cast<unsigned char>(trailer[0]);
  const uint32_t num_lines = DecodeFixed32(trailer + 1);
  if (num_probes < 1 || num_probes > kMaxProbes) {
    return Status::Corruption("bad bloom filter probe count", std::to_string(num_probes));
  }
  if (uint64_t{num_lines} * kBloomLineBytes != contents.size() - kTrailerSize) {
    return Status::Corruption("bad bloom filter size");
  }
  const size_t bytes = size_t{num_lines} * kBloomLineBytes;
  char* lines = nullptr;
  if (bytes > 0) {
    lines = static_cast<char*>(::operator new(bytes, std::align_val_t{kBloomLineBytes}));
    std::memcpy(lines, contents.data(), bytes);
  }
  filter->reset(new BloomFilter(lines, num_lines, num_probes));
  return Status::OK();
}

BloomFilter::~BloomFilter() {
  if (lines_ != nullptr) ::operator delete(lines_, std::align_val_t{kBloomLineBytes});
}

bool BloomFilter::KeyMayMatch(Slice key) const {
  if (num_lines_ == 0) return false;  // a filter over no keys
  const uint64_t h = HashKey(key);
  const unsigned char* line = reinterpret_cast<const unsigned char*>(lines_) +
                              size_t{LineOf(h, num_lines_)} * kBloomLineBytes;
  bool match = true;
  ForEachProbe(h, num_probes_, [line, &match](uint32_t bit) {
    match &= (line[bit >> 3] >> (bit & 7)) & 1;
  });
  return match;
}

double ClassicFalsePositiveRate(int bits_per_key, int num_probes) {
  const double b = std::max(bits_per_key, 1);
  return std::pow(1.0 - std::exp(-num_probes / b), num_probes);
}

double ExpectedFalsePositiveRate(int bits_per_key) {
  // A line holding n keys has its bits set by n*k independent probes; a query
  // hits k of its bits. Keys per line ~ Poisson(mean = 512 / bits_per_key).
  const int k = BloomFilterBuilder::NumProbes(bits_per_key);
  const double mean = static_cast<double>(kLineBits) / std::max(bits_per_key, 1);
  double rate = 0.0;
  double p = std::exp(-mean);  // P(n = 0)
  for (int n = 0; n < 4 * static_cast<int>(mean) + 64; n++) {
    if (n > 0) p *= mean / n;
    const double set = 1.0 - std::pow(1.0 - 1.0 / kLineBits, static_cast<double>(n) * k);
    rate += p * std::pow(set, k);
  }
  return rate;
}

}  // namespace kvstore
