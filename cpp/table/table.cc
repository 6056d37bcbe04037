#include "table/table.h"

#include <string>

#include "table/table_builder.h"
#include "table/two_level_iterator.h"
#include "util/comparator.h"

namespace kvstore {

Table::Table(const TableOptions& options, std::unique_ptr<RandomAccessFile> file,
             uint64_t file_size)
    : options_(options), file_(std::move(file)), file_size_(file_size) {}

Table::~Table() = default;

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
  s = t->LoadBlock(footer.index_handle, &t->index_block_);
  if (s.ok()) s = t->LoadBlock(footer.metaindex_handle, &t->metaindex_block_);
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
  *table = std::move(t);
  return Status::OK();
}

bool Table::HandleInBounds(const BlockHandle& handle) const {
  const uint64_t data_end = file_size_ - Footer::kEncodedLength;
  return handle.offset <= data_end && handle.size <= data_end - handle.offset &&
         kBlockTrailerSize <= data_end - handle.offset - handle.size;
}

Status Table::LoadBlock(const BlockHandle& handle, std::shared_ptr<const Block>* block) const {
  if (!HandleInBounds(handle)) {
    return Status::Corruption("bad block handle (outside the sstable)",
                              "offset " + std::to_string(handle.offset) + " size " +
                                  std::to_string(handle.size));
  }
  std::string contents;
  Status s = ReadBlock(file_.get(), handle, &contents);
  if (!s.ok()) return s;
  *block = std::make_shared<const Block>(std::move(contents));
  return Status::OK();
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
  s = BloomFilter::Parse(Slice(contents).substr(1), &filter_);
  if (!s.ok()) return Status::Corruption("bad sstable filter block", s.message());
  return Status::OK();
}

std::unique_ptr<Iterator> Table::BlockIterator(Slice index_value) const {
  BlockHandle handle;
  Slice input = index_value;
  Status s = handle.DecodeFrom(&input);
  std::shared_ptr<const Block> block;
  if (s.ok()) s = LoadBlock(handle, &block);
  if (!s.ok()) return NewEmptyIterator(std::move(s));
  std::unique_ptr<Iterator> iter = block->NewIterator(options_.comparator);
  iter->RegisterCleanup([block]() {});  // keeps the block alive as long as the iterator
  return iter;
}

std::unique_ptr<Iterator> Table::NewIterator() const {
  return NewTwoLevelIterator(index_block_->NewIterator(options_.comparator),
                             [this](Slice index_value) { return BlockIterator(index_value); });
}

Status Table::InternalGet(Slice target, void* arg,
                          void (*handle)(void* arg, Slice key, Slice value)) const {
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
    std::unique_ptr<Iterator> block = BlockIterator(index->value());
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
