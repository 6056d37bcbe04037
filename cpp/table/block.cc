#include "table/block.h"

#include <algorithm>
#include <limits>
#include <vector>

#include "util/coding.h"

namespace kvstore {

Block::Block(std::string contents) : data_(std::move(contents)) {
  // Layout: entries | fixed32 restart[num_restarts] | fixed32 num_restarts.
  // Validate the restart array once here so iterators can trust it: it must
  // fit, start at 0 and be strictly increasing inside the entries area.
  if (data_.size() < sizeof(uint32_t) || data_.size() > std::numeric_limits<uint32_t>::max()) {
    malformed_ = true;
    return;
  }
  const size_t max_restarts = (data_.size() - sizeof(uint32_t)) / sizeof(uint32_t);
  num_restarts_ = DecodeFixed32(data_.data() + data_.size() - sizeof(uint32_t));
  if (num_restarts_ == 0 || num_restarts_ > max_restarts) {
    malformed_ = true;
    return;
  }
  restart_offset_ =
      static_cast<uint32_t>(data_.size() - (1 + size_t{num_restarts_}) * sizeof(uint32_t));
  uint32_t prev = 0;
  for (uint32_t i = 0; i < num_restarts_; i++) {
    const uint32_t r = DecodeFixed32(data_.data() + restart_offset_ + i * sizeof(uint32_t));
    const bool ok = (i == 0) ? (r == 0) : (r > prev && r < restart_offset_);
    if (!ok) {
      malformed_ = true;
      return;
    }
    prev = r;
  }
  // One restart point at 0 over a non-empty area, or the empty block.
}

void BlockKey::Grow(size_t need) {
  const size_t capacity = std::max(need, 2 * capacity_);
  std::unique_ptr<char[]> bigger(new char[capacity]);
  std::memcpy(bigger.get(), data_, size_);
  heap_ = std::move(bigger);
  data_ = heap_.get();
  capacity_ = capacity;
}

namespace {

// Decodes the entry header at p (entries end at limit). Returns the start of
// the key delta, or nullptr if the header or the bytes it announces run past
// limit.
inline const char* DecodeEntry(const char* p, const char* limit, uint32_t* shared,
                               uint32_t* non_shared, uint32_t* value_len) {
  if (limit - p >= 3) {
    // Fast path: three one-byte varints.
    const auto a = static_cast<unsigned char>(p[0]);
    const auto b = static_cast<unsigned char>(p[1]);
    const auto c = static_cast<unsigned char>(p[2]);
    if (((a | b | c) & 0x80) == 0) {
      *shared = a;
      *non_shared = b;
      *value_len = c;
      p += 3;
      if (uint64_t{b} + uint64_t{c} > static_cast<uint64_t>(limit - p)) return nullptr;
      return p;
    }
  }
  if ((p = GetVarint32Ptr(p, limit, shared)) == nullptr) return nullptr;
  if ((p = GetVarint32Ptr(p, limit, non_shared)) == nullptr) return nullptr;
  if ((p = GetVarint32Ptr(p, limit, value_len)) == nullptr) return nullptr;
  const uint64_t remaining = static_cast<uint64_t>(limit - p);
  if (uint64_t{*non_shared} + uint64_t{*value_len} > remaining) return nullptr;
  return p;
}

}  // namespace

template <class Order>
Status Block::SeekIn(const Order& order, const Slice* target, BlockKey* key, Slice* value,
                     bool* found) const {
  *found = false;
  if (malformed_) return Status::Corruption("bad block contents");
  const char* const data = data_.data();
  const char* const limit = data + restart_offset_;
  const char* const restarts = limit;
  uint32_t left = 0;
  if (target != nullptr) {
    // The last restart point whose key is < target.
    uint32_t right = num_restarts_ - 1;
    while (left < right) {
      const uint32_t mid = left + (right - left + 1) / 2;
      uint32_t shared, non_shared, value_len;
      const char* p = DecodeEntry(data + DecodeFixed32(restarts + mid * sizeof(uint32_t)), limit,
                                  &shared, &non_shared, &value_len);
      if (p == nullptr || shared != 0) return Status::Corruption("bad entry in block");
      if (order.Compare(Slice(p, non_shared), *target) < 0) {
        left = mid;
      } else {
        right = mid - 1;
      }
    }
  }
  const char* p = data + DecodeFixed32(restarts + left * sizeof(uint32_t));
  key->Truncate(0);
  while (p < limit) {
    uint32_t shared, non_shared, value_len;
    const char* delta = DecodeEntry(p, limit, &shared, &non_shared, &value_len);
    if (delta == nullptr || shared > key->size()) return Status::Corruption("bad entry in block");
    key->Truncate(shared);
    key->Append(delta, non_shared);
    p = delta + non_shared;
    if (target == nullptr || order.Compare(key->slice(), *target) >= 0) {
      *value = Slice(p, value_len);
      *found = true;
      return Status::OK();
    }
    p += value_len;
  }
  return Status::OK();
}

template Status Block::SeekIn(const ComparatorOrder&, const Slice*, BlockKey*, Slice*,
                              bool*) const;
template Status Block::SeekIn(const InternalBytewiseOrder&, const Slice*, BlockKey*, Slice*,
                              bool*) const;

namespace {

class BlockIterator final : public Iterator {
 public:
  BlockIterator(const Comparator* cmp, const char* data, uint32_t restart_offset,
                uint32_t num_restarts)
      : cmp_(cmp),
        data_(data),
        restart_offset_(restart_offset),
        num_restarts_(num_restarts),
        current_(restart_offset),
        restart_index_(num_restarts) {}

  // Corruption is sticky: once an entry failed to decode the iterator stays
  // invalid and every positioning call is a no-op.
  bool Valid() const override { return status_.ok() && current_ < restart_offset_; }
  Status status() const override { return status_; }
  Slice key() const override { return key_; }
  Slice value() const override { return value_; }

  void Next() override { ParseNextEntry(); }

  void Prev() override {
    // The entry before the current one is in the interval cache when the
    // iterator still stands on the cached entry it was last positioned at
    // (by a Prev or SeekToLast, which record the interval they decode)...
    if (cached_restart_ == restart_index_ && cache_pos_ > 0 && cache_pos_ < cache_.size() &&
        cache_[cache_pos_].offset == current_) {
      LoadCached(cache_pos_ - 1);
      return;
    }
    // ...otherwise decode the interval that holds it, from its restart point
    // (the last one strictly before the current entry), recording its entries.
    const uint32_t original = current_;
    while (RestartPoint(restart_index_) >= original) {
      if (restart_index_ == 0) {
        MarkInvalid();
        return;
      }
      restart_index_--;
    }
    ScanInterval(restart_index_, original);
  }

  void Seek(Slice target) override {
    if (!status_.ok()) return;
    // Binary search for the last restart point whose key is < target.
    uint32_t left = 0;
    uint32_t right = num_restarts_ - 1;
    while (left < right) {
      const uint32_t mid = left + (right - left + 1) / 2;
      Slice mid_key;
      if (!RestartKey(mid, &mid_key)) return;
      if (cmp_->Compare(mid_key, target) < 0) {
        left = mid;
      } else {
        right = mid - 1;
      }
    }
    SeekToRestartPoint(left);
    while (ParseNextEntry()) {
      if (cmp_->Compare(key_, target) >= 0) return;
    }
  }

  void SeekToFirst() override {
    if (!status_.ok()) return;
    SeekToRestartPoint(0);
    ParseNextEntry();
  }

  void SeekToLast() override {
    if (!status_.ok()) return;
    ScanInterval(num_restarts_ - 1, restart_offset_);
  }

 private:
  uint32_t RestartPoint(uint32_t index) const {
    return DecodeFixed32(data_ + restart_offset_ + index * sizeof(uint32_t));
  }

  uint32_t NextEntryOffset() const {
    return static_cast<uint32_t>(value_.data() + value_.size() - data_);
  }

  // Decodes the entries of restart interval index that start before limit,
  // recording each in the interval cache, and stays at the last of them.
  void ScanInterval(uint32_t index, uint32_t limit) {
    cached_restart_ = kNoInterval;
    cache_.clear();
    cache_keys_.clear();
    SeekToRestartPoint(index);
    do {
      if (!ParseNextEntry()) return;
      const auto value_off = static_cast<uint32_t>(value_.data() - data_);
      cache_.push_back(CachedEntry{current_, static_cast<uint32_t>(cache_keys_.size()),
                                   static_cast<uint32_t>(key_.size()), value_off,
                                   value_off + static_cast<uint32_t>(value_.size())});
      cache_keys_.append(key_);
    } while (NextEntryOffset() < limit);
    cached_restart_ = index;
    cache_pos_ = cache_.size() - 1;
  }

  // Positions at cache_[i] (an entry of interval cached_restart_).
  void LoadCached(size_t i) {
    const CachedEntry& e = cache_[i];
    cache_pos_ = i;
    current_ = e.offset;
    key_.assign(cache_keys_.data() + e.key_off, e.key_len);
    value_ = Slice(data_ + e.value_off, e.end - e.value_off);
  }

  void MarkInvalid() {
    current_ = restart_offset_;
    restart_index_ = num_restarts_;
    key_.clear();
    value_ = Slice();
  }

  void MarkCorrupted() {
    MarkInvalid();
    status_ = Status::Corruption("bad entry in block");
  }

  // Positions just before the entry at restart point index, so that the
  // next ParseNextEntry() decodes it.
  void SeekToRestartPoint(uint32_t index) {
    key_.clear();
    restart_index_ = index;
    value_ = Slice(data_ + RestartPoint(index), 0);
  }

  // Decodes the entry header at p. Returns the start of the key delta, or
  // nullptr if the header or the bytes it announces run past the entries.
  const char* DecodeEntry(const char* p, uint32_t* shared, uint32_t* non_shared,
                          uint32_t* value_len) const {
    return kvstore::DecodeEntry(p, data_ + restart_offset_, shared, non_shared, value_len);
  }

  // The full key stored at restart point index (shared must be 0).
  bool RestartKey(uint32_t index, Slice* key) {
    uint32_t shared, non_shared, value_len;
    const char* p = DecodeEntry(data_ + RestartPoint(index), &shared, &non_shared, &value_len);
    if (p == nullptr || shared != 0) {
      MarkCorrupted();
      return false;
    }
    *key = Slice(p, non_shared);
    return true;
  }

  bool ParseNextEntry() {
    current_ = NextEntryOffset();
    if (current_ >= restart_offset_) {
      MarkInvalid();
      return false;
    }
    uint32_t shared, non_shared, value_len;
    const char* p = DecodeEntry(data_ + current_, &shared, &non_shared, &value_len);
    if (p == nullptr || shared > key_.size()) {
      MarkCorrupted();
      return false;
    }
    key_.resize(shared);
    key_.append(p, non_shared);
    value_ = Slice(p + non_shared, value_len);
    while (restart_index_ + 1 < num_restarts_ && RestartPoint(restart_index_ + 1) <= current_) {
      restart_index_++;
    }
    return true;
  }

  const Comparator* const cmp_;
  const char* const data_;
  const uint32_t restart_offset_;
  const uint32_t num_restarts_;
  uint32_t current_;        // offset of the current entry; restart_offset_ if !Valid()
  uint32_t restart_index_;  // restart point at or before current_
  std::string key_;
  Slice value_;
  Status status_;

  // The interval cache: entries of restart interval cached_restart_, from its
  // restart point on, decoded by the last ScanInterval. Prev() steps back
  // through it instead of decoding the interval again for every entry.
  struct CachedEntry {
    uint32_t offset;     // of the entry
    uint32_t key_off;    // of its key in cache_keys_
    uint32_t key_len;
    uint32_t value_off;  // in the block
    uint32_t end;        // the next entry's offset
  };
  static constexpr uint32_t kNoInterval = ~uint32_t{0};
  uint32_t cached_restart_ = kNoInterval;
  size_t cache_pos_ = 0;  // the cached entry last positioned at
  std::vector<CachedEntry> cache_;
  std::string cache_keys_;
};

}  // namespace

std::unique_ptr<Iterator> Block::NewIterator(const Comparator* cmp) const {
  if (malformed_) return NewEmptyIterator(Status::Corruption("bad block contents"));
  return std::make_unique<BlockIterator>(cmp, data_.data(), restart_offset_, num_restarts_);
}

}  // namespace kvstore
