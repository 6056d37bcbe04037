#include "table/table.h"

#include <algorithm>
#include <string>

#include "table/table_builder.h"
#include "table/two_level_iterator.h"
#include "util/coding.h"
#include "util/comparator.h"

namespace kvstore {

namespace {

// What a cached block costs: its bytes plus the Block object and cache entry.
constexpr size_t kBlockCacheOverhead = sizeof(Block) + 96;

}  // namespace

struct Table::ScanState {
  uint64_t next_offset = ~uint64_t{0};  // where the block after the last one read starts
  int sequential = 0;                   // consecutive blocks read in file order
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

std::string Table::CacheKey(uint64_t offset) const {
  std::string key;
  PutFixed64(&key, cache_id_);
  PutFixed64(&key, offset);
  return key;
}

void Table::PinInCache(uint64_t offset, std::shared_ptr<void> value, size_t charge) {
  if (options_.block_cache == nullptr) return;
  std::string key = CacheKey(offset);
  Cache::Handle* h = options_.block_cache->Insert(key, std::move(value), charge);
  pinned_.emplace_back(std::move(key), h);
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
  s = t->LoadBlock(footer.index_handle, false, nullptr, &t->index_block_);
  if (s.ok()) s = t->LoadBlock(footer.metaindex_handle, false, nullptr, &t->metaindex_block_);
  if (!s.ok()) return s;
  // Surface a malformed index at open rather than at the first read: every
  // entry must decode to a handle that lies inside the file.
  std::unique_ptr<Iterator> index = t->index_block_->NewIterator(options.comparator);
  for (index->SeekToFirst(); index->Valid(); index->Next()) {
    BlockHandle handle;
    Slice value = index->value();
    if (!handle.DecodeFrom(&value).ok() || !value.empty() || !t->HandleInBounds(handle)) {
      return Status::Corruption("bad sstable index block", "bad block handle");
    }
  }
  if (!index->status().ok()) return Status::Corruption("bad sstable index block");
  Status meta_status = t->metaindex_block_->NewIterator(BytewiseComparator())->status();
  if (!meta_status.ok()) return Status::Corruption("bad sstable metaindex block");
  s = t->LoadFilter();
  if (!s.ok()) return s;
  // Charge the index block and the filter to the block cache while the table is open.
  t->PinInCache(footer.index_handle.offset, std::const_pointer_cast<Block>(t->index_block_),
                t->index_block_->size() + kBlockCacheOverhead);
  *table = std::move(t);
  return Status::OK();
}

bool Table::HandleInBounds(const BlockHandle& handle) const {
  const uint64_t data_end = file_size_ - Footer::kEncodedLength;
  return handle.offset <= data_end && handle.size <= data_end - handle.offset &&
         kBlockTrailerSize <= data_end - handle.offset - handle.size;
}

Status Table::LoadBlock(const BlockHandle& handle, bool fill_cache, ScanState* scan,
                        std::shared_ptr<const Block>* block) const {
  if (!HandleInBounds(handle)) {
    return Status::Corruption("bad block handle (outside the sstable)",
                              "offset " + std::to_string(handle.offset) + " size " +
                                  std::to_string(handle.size));
  }
  const std::shared_ptr<Cache>& cache = options_.block_cache;
  std::string key;
  if (cache != nullptr) {
    key = CacheKey(handle.offset);
    if (Cache::Handle* h = cache->Lookup(key)) {
      if (scan != nullptr) scan->next_offset = handle.offset + handle.size + kBlockTrailerSize;
      *block = std::shared_ptr<const Block>(static_cast<const Block*>(cache->Value(h)),
                                            [cache, h](const Block*) { cache->Release(h); });
      return Status::OK();
    }
  }
  std::string contents;
  Status s = scan != nullptr ? ReadThroughScan(handle, scan, &contents)
                             : ReadBlock(file_.get(), handle, &contents);
  if (!s.ok()) return s;
  auto parsed = std::make_shared<Block>(std::move(contents));
  if (cache == nullptr || !fill_cache) {
    *block = std::move(parsed);
    return Status::OK();
  }
  const size_t charge = parsed->size() + kBlockCacheOverhead;
  const Block* raw = parsed.get();
  Cache::Handle* h = cache->Insert(key, std::move(parsed), charge);
  *block = std::shared_ptr<const Block>(raw, [cache, h](const Block*) { cache->Release(h); });
  return Status::OK();
}

Status Table::ReadThroughScan(const BlockHandle& handle, ScanState* scan,
                              std::string* contents) const {
  const uint64_t n = handle.size + kBlockTrailerSize;  // fits: HandleInBounds passed
  scan->sequential = (handle.offset == scan->next_offset) ? scan->sequential + 1 : 0;
  scan->next_offset = handle.offset + n;
  const bool buffered = handle.offset >= scan->buf_offset &&
                        handle.offset + n <= scan->buf_offset + scan->buf.size();
  if (!buffered && scan->sequential < 2) {
    return ReadBlock(file_.get(), handle, contents);
  }
  if (!buffered) {
    // Read ahead: this block and what follows it, up to the end of the data.
    const uint64_t data_end = file_size_ - Footer::kEncodedLength;
    const uint64_t len = std::max<uint64_t>(n, std::min<uint64_t>(kReadaheadSize,
                                                                  data_end - handle.offset));
    scan->buf.resize(static_cast<size_t>(len));
    scan->buf_offset = handle.offset;
    Slice result;
    Status s = file_->Read(handle.offset, scan->buf.size(), &result, scan->buf.data());
    if (s.ok() && result.size() < n) s = Status::Corruption("truncated block read");
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
  return NewTwoLevelIterator(index_block_->NewIterator(options_.comparator),
                             [this, fill_cache, scan](Slice index_value) {
                               return BlockIterator(index_value, fill_cache, scan.get());
                             });
}

Status Table::InternalGet(Slice target, void* arg,
                          void (*handle)(void* arg, Slice key, Slice value),
                          bool fill_cache) const {
  if (filter_ != nullptr) {
    Slice filter_key = target;
    if (options_.internal_keys && target.size() >= 8) filter_key.remove_suffix(8);
    if (!filter_->KeyMayMatch(filter_key)) return Status::OK();
  }
  std::unique_ptr<Iterator> index = index_block_->NewIterator(options_.comparator);
  index->Seek(target);
  bool first_block = true;
  // The first block whose separator is >= target holds the answer unless
  // target falls between that block's last key and its separator; then the
  // answer is the first entry of a following (non-empty) block.
  for (; index->Valid(); index->Next()) {
    std::unique_ptr<Iterator> block = BlockIterator(index->value(), fill_cache, nullptr);
    if (first_block) {
      block->Seek(target);
      first_block = false;
    } else {
      block->SeekToFirst();
    }
    if (block->Valid()) {
      (*handle)(arg, block->key(), block->value());
      return Status::OK();
    }
    if (!block->status().ok()) return block->status();
  }
  return index->status();
}

uint64_t Table::ApproximateOffsetOf(Slice key) const {
  std::unique_ptr<Iterator> index = index_block_->NewIterator(options_.comparator);
  index->Seek(key);
  if (index->Valid()) {
    BlockHandle handle;
    Slice input = index->value();
    if (handle.DecodeFrom(&input).ok()) return handle.offset;
  }
  // Past the last key (or an undecodable entry): the data ends where the
  // metaindex block begins.
  return metaindex_handle_.offset;
}

}  // namespace kvstore
