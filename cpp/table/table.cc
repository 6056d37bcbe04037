#include "table/table.h"

#include <algorithm>
#include <limits>
#include <string>
#include <utility>

#include "table/table_builder.h"
#include "table/two_level_iterator.h"
#include "util/coding.h"
#include "util/comparator.h"

namespace kvstore {

namespace {

// What a cached block costs: its bytes plus the Block object and cache entry.
constexpr size_t kBlockCacheOverhead = sizeof(Block) + 96;

}  // namespace

// The index block, decoded: the separator and data block handle of every
// data block, in order. Separators are stored back to back in one string.
class Table::Index {
 public:
  // Appends an entry; false if the separators would outgrow 4 GiB.
  bool Add(Slice key, const BlockHandle& handle) {
    if (key.size() > std::numeric_limits<uint32_t>::max() - keys_.size()) return false;
    entries_.push_back(Entry{static_cast<uint32_t>(keys_.size()),
                             static_cast<uint32_t>(key.size()), handle});
    keys_.append(key.data(), key.size());
    return true;
  }
  void Shrink() {
    keys_.shrink_to_fit();
    entries_.shrink_to_fit();
  }

  size_t size() const { return entries_.size(); }
  Slice key(size_t i) const {
    return Slice(keys_.data() + entries_[i].key_offset, entries_[i].key_size);
  }
  const BlockHandle& handle(size_t i) const { return entries_[i].handle; }
  // The first entry whose separator is >= target in cmp order; size() if none.
  size_t LowerBound(const Comparator* cmp, Slice target) const {
    return LowerBound(ComparatorOrder{cmp}, target);
  }
  template <class Order>
  size_t LowerBound(const Order& order, Slice target) const {
    size_t lo = 0;
    size_t hi = entries_.size();
    while (lo < hi) {
      const size_t mid = lo + (hi - lo) / 2;
      if (order.Compare(key(mid), target) < 0) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }
  // Bytes held, charged to the block cache while the table is open.
  size_t MemoryUsage() const {
    return sizeof(*this) + keys_.capacity() + entries_.capacity() * sizeof(Entry);
  }

 private:
  struct Entry {
    uint32_t key_offset;
    uint32_t key_size;
    BlockHandle handle;
  };
  std::string keys_;
  std::vector<Entry> entries_;
};

// Iterates over an Index: keys are the separators, values the encoded handles
// (the index block's entries, as the two-level iterator expects them).
class Table::IndexIterator final : public Iterator {
 public:
  IndexIterator(const Index* index, const Comparator* cmp)
      : index_(index), cmp_(cmp), pos_(index->size()) {}

  bool Valid() const override { return pos_ < index_->size(); }
  void SeekToFirst() override { MoveTo(0); }
  void SeekToLast() override { MoveTo(index_->size() == 0 ? 0 : index_->size() - 1); }
  void Seek(Slice target) override { MoveTo(index_->LowerBound(cmp_, target)); }
  void Next() override { MoveTo(pos_ + 1); }
  void Prev() override { MoveTo(pos_ == 0 ? index_->size() : pos_ - 1); }
  Slice key() const override { return index_->key(pos_); }
  Slice value() const override { return Slice(value_, value_size_); }
  Status status() const override { return Status::OK(); }

 private:
  void MoveTo(size_t pos) {
    pos_ = std::min(pos, index_->size());
    if (!Valid()) return;
    const BlockHandle& h = index_->handle(pos_);
    char* end = EncodeVarint64(EncodeVarint64(value_, h.offset), h.size);
    value_size_ = static_cast<size_t>(end - value_);
  }

  const Index* const index_;
  const Comparator* const cmp_;
  size_t pos_;  // index_->size() when not valid
  char value_[BlockHandle::kMaxEncodedLength];
  size_t value_size_ = 0;
};

// A block held for one access: pinned in the block cache, or owned (read
// without a cache, or with fill_cache = false).
class Table::BlockRef {
 public:
  BlockRef() = default;
  BlockRef(const BlockRef&) = delete;
  BlockRef& operator=(const BlockRef&) = delete;
  ~BlockRef() {
    if (handle_ != nullptr) cache_->Release(handle_);
  }

  const Block* block() const { return block_; }

 private:
  friend class Table;
  const Block* block_ = nullptr;
  Cache* cache_ = nullptr;
  Cache::Handle* handle_ = nullptr;     // a pin in cache_, or null
  std::shared_ptr<const Block> owned_;  // when not pinned
};

struct Table::ScanState {
  uint64_t next_offset = ~uint64_t{0};  // where the block after the last one read starts
  uint64_t last_offset = ~uint64_t{0};  // where the last one read starts
  int sequential = 0;                   // consecutive blocks read in file order
  int backward = 0;                     // consecutive blocks read in reverse file order
  uint64_t buf_offset = 0;              // buf holds file bytes [buf_offset, + buf.size())
  std::string buf;
};

Table::Table(const TableOptions& options, std::unique_ptr<RandomAccessFile> file,
             uint64_t file_size)
    : options_(options), file_(std::move(file)), file_size_(file_size) {
  if (options_.block_cache != nullptr) cache_id_ = options_.block_cache->NewId();
}

Table::~Table() {
  for (auto& [key, handle] : pinned_) {
    options_.block_cache->Erase(key);
    options_.block_cache->Release(handle);
  }
}

void Table::CacheKey(uint64_t offset, char (&key)[kCacheKeySize]) const {
  EncodeFixed64(key, cache_id_);
  EncodeFixed64(key + 8, offset);
}

void Table::PinInCache(uint64_t offset, std::shared_ptr<void> value, size_t charge) {
  if (options_.block_cache == nullptr) return;
  char key[kCacheKeySize];
  CacheKey(offset, key);
  Cache::Handle* h = options_.block_cache->Insert(Slice(key, sizeof(key)), std::move(value), charge);
  pinned_.emplace_back(std::string(key, sizeof(key)), h);
}

Status Table::Open(const TableOptions& options, std::unique_ptr<RandomAccessFile> file,
                   uint64_t file_size, std::unique_ptr<Table>* table) {
  table->reset();
  if (file_size < Footer::kEncodedLength) {
    return Status::Corruption("not an sstable (file too short)",
                              std::to_string(file_size) + " bytes");
  }
  char footer_space[Footer::kEncodedLength];
  Slice footer_input;
  Status s = file->Read(file_size - Footer::kEncodedLength, Footer::kEncodedLength, &footer_input,
                        footer_space);
  if (!s.ok()) return s;
  if (footer_input.size() != Footer::kEncodedLength) {
    return Status::Corruption("truncated sstable footer read");
  }
  Footer footer;
  s = footer.DecodeFrom(footer_input);
  if (!s.ok()) return s;

  std::unique_ptr<Table> t(new Table(options, std::move(file), file_size));
  t->metaindex_handle_ = footer.metaindex_handle;
  std::shared_ptr<const Block> index_block;
  s = t->LoadBlock(footer.index_handle, false, nullptr, &index_block);
  if (s.ok()) s = t->LoadBlock(footer.metaindex_handle, false, nullptr, &t->metaindex_block_);
  if (!s.ok()) return s;
  // Decode the index, which surfaces a malformed one at open rather than at
  // the first read: every entry must decode to a handle inside the file.
  auto decoded = std::make_shared<Index>();
  std::unique_ptr<Iterator> index = index_block->NewIterator(options.comparator);
  for (index->SeekToFirst(); index->Valid(); index->Next()) {
    BlockHandle handle;
    Slice value = index->value();
    if (!handle.DecodeFrom(&value).ok() || !value.empty() || !t->HandleInBounds(handle)) {
      return Status::Corruption("bad sstable index block", "bad block handle");
    }
    if (!decoded->Add(index->key(), handle)) {
      return Status::Corruption("bad sstable index block", "separators too large");
    }
  }
  if (!index->status().ok()) return Status::Corruption("bad sstable index block");
  index.reset();
  index_block.reset();
  decoded->Shrink();
  t->index_ = std::move(decoded);
  Status meta_status = t->metaindex_block_->NewIterator(BytewiseComparator())->status();
  if (!meta_status.ok()) return Status::Corruption("bad sstable metaindex block");
  s = t->LoadFilter();
  if (!s.ok()) return s;
  // Charge the decoded index and the filter to the block cache while the table is open.
  t->PinInCache(footer.index_handle.offset, std::const_pointer_cast<Index>(t->index_),
                t->index_->MemoryUsage() + kBlockCacheOverhead);
  *table = std::move(t);
  return Status::OK();
}

bool Table::HandleInBounds(const BlockHandle& handle) const {
  const uint64_t data_end = file_size_ - Footer::kEncodedLength;
  return handle.offset <= data_end && handle.size <= data_end - handle.offset &&
         kBlockTrailerSize <= data_end - handle.offset - handle.size;
}

Status Table::PinBlock(const BlockHandle& handle, bool fill_cache, ScanState* scan,
                       BlockRef* ref, bool no_io) const {
  if (!HandleInBounds(handle)) {
    return Status::Corruption("bad block handle (outside the sstable)",
                              "offset " + std::to_string(handle.offset) + " size " +
                                  std::to_string(handle.size));
  }
  Cache* const cache = options_.block_cache.get();
  char key[kCacheKeySize];
  uint64_t hash = 0;
  if (cache != nullptr) {
    CacheKey(handle.offset, key);
    hash = Cache::Hash(Slice(key, sizeof(key)));
    if (Cache::Handle* h = cache->Lookup(Slice(key, sizeof(key)), hash)) {
      if (scan != nullptr) {
        scan->next_offset = handle.offset + handle.size + kBlockTrailerSize;
        scan->last_offset = handle.offset;
      }
      ref->cache_ = cache;
      ref->handle_ = h;
      ref->block_ = static_cast<const Block*>(cache->Value(h));
      return Status::OK();
    }
  }
  if (no_io) return Status::Incomplete("block not in the block cache");
  std::string contents;
  Status s = scan != nullptr ? ReadThroughScan(handle, scan, &contents)
                             : ReadBlock(file_.get(), handle, &contents);
  if (!s.ok()) return s;
  auto parsed = std::make_shared<Block>(std::move(contents));
  ref->block_ = parsed.get();
  if (cache == nullptr || !fill_cache) {
    ref->owned_ = std::move(parsed);
    return Status::OK();
  }
  const size_t charge = parsed->size() + kBlockCacheOverhead;
  ref->cache_ = cache;
  ref->handle_ = cache->Insert(Slice(key, sizeof(key)), hash, std::move(parsed), charge);
  return Status::OK();
}

Status Table::LoadBlock(const BlockHandle& handle, bool fill_cache, ScanState* scan,
                        std::shared_ptr<const Block>* block) const {
  BlockRef ref;
  Status s = PinBlock(handle, fill_cache, scan, &ref);
  if (!s.ok()) return s;
  if (ref.handle_ == nullptr) {
    *block = std::move(ref.owned_);
    return Status::OK();
  }
  // The deleter holds the cache so that it outlives the pin.
  *block = std::shared_ptr<const Block>(
      ref.block_, [cache = options_.block_cache, h = ref.handle_](const Block*) { cache->Release(h); });
  ref.handle_ = nullptr;
  return Status::OK();
}

Status Table::ReadThroughScan(const BlockHandle& handle, ScanState* scan,
                              std::string* contents) const {
  const uint64_t n = handle.size + kBlockTrailerSize;  // fits: HandleInBounds passed
  scan->sequential = (handle.offset == scan->next_offset) ? scan->sequential + 1 : 0;
  scan->backward = (handle.offset + n == scan->last_offset) ? scan->backward + 1 : 0;
  scan->next_offset = handle.offset + n;
  scan->last_offset = handle.offset;
  const bool buffered = handle.offset >= scan->buf_offset &&
                        handle.offset + n <= scan->buf_offset + scan->buf.size();
  if (!buffered && scan->sequential < 2 && scan->backward < 2) {
    return ReadBlock(file_.get(), handle, contents);
  }
  if (!buffered) {
    // Read ahead: this block and what follows it, up to the end of the data;
    // for a reverse scan, this block and what precedes it, back to the start
    // of the file.
    uint64_t start = handle.offset;
    uint64_t len = n;
    if (scan->sequential >= 2) {
      const uint64_t data_end = file_size_ - Footer::kEncodedLength;
      len = std::max<uint64_t>(n, std::min<uint64_t>(kReadaheadSize, data_end - handle.offset));
    } else if (n < kReadaheadSize) {
      start = handle.offset - std::min<uint64_t>(handle.offset, kReadaheadSize - n);
      len = handle.offset + n - start;
    }
    scan->buf.resize(static_cast<size_t>(len));
    scan->buf_offset = start;
    Slice result;
    Status s = file_->Read(start, scan->buf.size(), &result, scan->buf.data());
    if (s.ok() && result.size() < handle.offset - start + n) {
      s = Status::Corruption("truncated block read");
    }
    if (!s.ok()) {
      scan->buf.clear();
      return s;
    }
    if (result.data() != scan->buf.data()) scan->buf.assign(result.data(), result.size());
    scan->buf.resize(result.size());
  }
  const Slice raw(scan->buf.data() + (handle.offset - scan->buf_offset), static_cast<size_t>(n));
  return DecodeBlock(raw, handle.offset, contents);
}

Status Table::LoadFilter() {
  std::unique_ptr<Iterator> meta = metaindex_block_->NewIterator(BytewiseComparator());
  meta->Seek(kFilterBlockName);
  if (!meta->Valid() || meta->key() != Slice(kFilterBlockName)) {
    return meta->status().ok() ? Status::OK() : Status::Corruption("bad sstable metaindex block");
  }
  BlockHandle handle;
  Slice value = meta->value();
  if (!handle.DecodeFrom(&value).ok() || !value.empty()) {
    return Status::Corruption("bad sstable metaindex block", "bad filter handle");
  }
  if (!HandleInBounds(handle)) {
    return Status::Corruption("bad sstable filter block", "handle outside the file");
  }
  std::string contents;
  Status s = ReadBlock(file_.get(), handle, &contents);
  if (!s.ok()) return s;
  if (contents.empty()) return Status::Corruption("bad sstable filter block", "empty");
  const auto kind = static_cast<FilterKeyKind>(static_cast<unsigned char>(contents[0]));
  const FilterKeyKind want = options_.internal_keys ? FilterKeyKind::kUserKey
                                                    : FilterKeyKind::kWholeKey;
  if (kind != FilterKeyKind::kWholeKey && kind != FilterKeyKind::kUserKey) {
    return Status::Corruption("bad sstable filter block", "unknown key kind");
  }
  if (kind != want) return Status::OK();  // written for another key kind: unusable, not wrong
  std::unique_ptr<BloomFilter> filter;
  s = BloomFilter::Parse(Slice(contents).substr(1), &filter);
  if (!s.ok()) return Status::Corruption("bad sstable filter block", s.message());
  filter_ = std::move(filter);
  meta->Seek(kFilterPrefixLengthName);
  if (meta->Valid() && meta->key() == Slice(kFilterPrefixLengthName)) {
    Slice v = meta->value();
    uint32_t n = 0;
    if (!GetVarint32(&v, &n) || !v.empty() || n == 0) {
      return Status::Corruption("bad sstable metaindex block", "bad filter prefix length");
    }
    prefix_length_ = n;
  } else if (!meta->status().ok()) {
    return Status::Corruption("bad sstable metaindex block");
  }
  PinInCache(handle.offset, std::const_pointer_cast<BloomFilter>(filter_),
             filter_->MemoryUsage() + kBlockCacheOverhead);
  return Status::OK();
}

std::unique_ptr<Iterator> Table::BlockIterator(Slice index_value, bool fill_cache,
                                               ScanState* scan) const {
  BlockHandle handle;
  Slice input = index_value;
  Status s = handle.DecodeFrom(&input);
  std::shared_ptr<const Block> block;
  if (s.ok()) s = LoadBlock(handle, fill_cache, scan, &block);
  if (!s.ok()) return NewEmptyIterator(std::move(s));
  std::unique_ptr<Iterator> iter = block->NewIterator(options_.comparator);
  iter->RegisterCleanup([block]() {});  // keeps the block alive as long as the iterator
  return iter;
}

std::unique_ptr<Iterator> Table::NewIterator(bool fill_cache) const {
  auto scan = std::make_shared<ScanState>();
  return NewTwoLevelIterator(std::make_unique<IndexIterator>(index_.get(), options_.comparator),
                             [this, fill_cache, scan](Slice index_value) {
                               return BlockIterator(index_value, fill_cache, scan.get());
                             });
}

Status Table::InternalGet(Slice target, void* arg,
                          void (*handle)(void* arg, Slice key, Slice value),
                          bool fill_cache, bool no_io) const {
  if (filter_ != nullptr) {
    Slice filter_key = target;
    if (options_.internal_keys && target.size() >= 8) filter_key.remove_suffix(8);
    if (!filter_->KeyMayMatch(filter_key)) return Status::OK();
  }
  if (options_.bytewise_internal_order) {
    return SearchBlocks(InternalBytewiseOrder{}, target, arg, handle, fill_cache, no_io);
  }
  return SearchBlocks(ComparatorOrder{options_.comparator}, target, arg, handle, fill_cache,
                      no_io);
}

template <class Order>
Status Table::SearchBlocks(const Order& cmp, Slice target, void* arg,
                           void (*handle)(void* arg, Slice key, Slice value),
                           bool fill_cache, bool no_io) const {
  const Index& index = *index_;
  BlockKey key;
  const Slice* seek = &target;
  // The first block whose separator is >= target holds the answer unless
  // target falls between that block's last key and its separator; then the
  // answer is the first entry of a following (non-empty) block.
  for (size_t i = index.LowerBound(cmp, target); i < index.size(); i++) {
    BlockRef ref;
    Status s = PinBlock(index.handle(i), fill_cache, nullptr, &ref, no_io);
    if (!s.ok()) return s;
    Slice value;
    bool found = false;
    s = ref.block()->SeekIn(cmp, seek, &key, &value, &found);
    if (!s.ok()) return s;
    if (found) {
      (*handle)(arg, key.slice(), value);
      return Status::OK();
    }
    seek = nullptr;  // following blocks: their first entry
  }
  return Status::OK();
}

bool Table::PrefixMayMatch(Slice prefix) const {
  if (filter_ == nullptr || prefix_length_ == 0 || prefix.size() < prefix_length_) return true;
  return filter_->KeyMayMatch(Slice(prefix.data(), prefix_length_));
}

uint64_t Table::ApproximateOffsetOf(Slice key) const {
  const size_t i = index_->LowerBound(options_.comparator, key);
  if (i < index_->size()) return index_->handle(i).offset;
  // Past the last key: the data ends where the metaindex block begins.
  return metaindex_handle_.offset;
}

}  // namespace kvstore
