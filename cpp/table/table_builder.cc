#include "table/table_builder.h"

#include <cassert>

#include "util/coding.h"
#include "util/compression.h"

namespace kvstore {

TableBuilder::TableBuilder(const TableOptions& options, WritableFile* file)
    : options_(options),
      file_(file),
      data_block_(options.block_restart_interval),
      index_block_(1) {
  if (options.bloom_bits_per_key > 0) {
    filter_ = std::make_unique<BloomFilterBuilder>(options.bloom_bits_per_key);
  }
}

TableBuilder::~TableBuilder() = default;

void TableBuilder::Add(Slice key, Slice value) {
  assert(!closed_);
  if (closed_ || !status_.ok()) return;
  if (num_entries_ > 0 && options_.comparator->Compare(key, last_key_) <= 0) {
    status_ = Status::InvalidArgument("table keys added out of order");
    return;
  }
  if (filter_ != nullptr) {
    if (!options_.internal_keys) {
      AddFilterKey(key);
    } else if (key.size() >= 8) {
      // Versions of one user key are adjacent: add each user key once.
      Slice user_key(key.data(), key.size() - 8);
      if (num_entries_ == 0 || last_key_.size() < 8 ||
          Slice(last_key_.data(), last_key_.size() - 8) != user_key) {
        AddFilterKey(user_key);
      }
    }
  }
  if (pending_index_entry_) AddPendingIndexEntry(&key);

  last_key_.assign(key.data(), key.size());
  num_entries_++;
  data_block_.Add(key, value);
  if (data_block_.CurrentSizeEstimate() >= options_.block_size) FlushDataBlock();
}

void TableBuilder::AddFilterKey(Slice key) {
  filter_->AddKey(key);
  const size_t n = options_.prefix_length;
  if (n == 0 || key.size() < n) return;  // shorter keys are in whole (above)
  const Slice prefix(key.data(), n);
  if (has_last_prefix_ && prefix == Slice(last_prefix_)) return;
  if (key.size() > n) filter_->AddKey(prefix);  // a key of exactly n bytes is its own prefix
  last_prefix_.assign(prefix.data(), prefix.size());
  has_last_prefix_ = true;
}

void TableBuilder::AddPendingIndexEntry(const Slice* next_key) {
  // last_key_ is the last key of the written block; shorten it towards next_key
  // (or to a short successor when this is the last block).
  if (next_key != nullptr) {
    options_.comparator->FindShortestSeparator(&last_key_, *next_key);
  } else {
    options_.comparator->FindShortSuccessor(&last_key_);
  }
  scratch_.clear();
  pending_handle_.EncodeTo(&scratch_);
  index_block_.Add(last_key_, scratch_);
  pending_index_entry_ = false;
}

void TableBuilder::FlushDataBlock() {
  if (data_block_.empty() || !status_.ok()) return;
  Slice raw = data_block_.Finish();
  compressed_.clear();
  if (options_.compression != Compression::kNone &&
      CompressBlock(options_.compression, raw, options_.zstd_level, &compressed_) &&
      CompressionIsWorthIt(raw.size(), compressed_.size())) {
    WriteRawBlock(compressed_, static_cast<CompressionType>(options_.compression),
                  &pending_handle_);
  } else {
    WriteRawBlock(raw, CompressionType::kNone, &pending_handle_);
  }
  data_block_.Reset();
  if (status_.ok()) pending_index_entry_ = true;
}

void TableBuilder::WriteBlock(BlockBuilder* block, BlockHandle* handle) {
  WriteRawBlock(block->Finish(), CompressionType::kNone, handle);
  block->Reset();
}

void TableBuilder::WriteRawBlock(Slice contents, CompressionType type, BlockHandle* handle) {
  handle->offset = offset_;
  handle->size = contents.size();
  std::string trailer;
  AppendBlockTrailer(&trailer, contents, type);
  status_ = file_->Append(contents);
  if (status_.ok()) status_ = file_->Append(trailer);
  if (status_.ok()) offset_ += contents.size() + trailer.size();
}

Status TableBuilder::Finish() {
  if (closed_) return status_;
  FlushDataBlock();
  closed_ = true;
  if (!status_.ok()) return status_;

  BlockHandle metaindex_handle, index_handle;
  BlockBuilder metaindex_block(1);  // names in bytewise order
  if (filter_ != nullptr) {
    std::string contents(1, static_cast<char>(options_.internal_keys ? FilterKeyKind::kUserKey
                                                                     : FilterKeyKind::kWholeKey));
    filter_->Finish(&contents);
    BlockHandle filter_handle;
    WriteRawBlock(contents, CompressionType::kNone, &filter_handle);
    if (!status_.ok()) return status_;
    std::string encoded;
    filter_handle.EncodeTo(&encoded);
    metaindex_block.Add(kFilterBlockName, encoded);
    if (options_.prefix_length > 0) {  // names in bytewise order: after kFilterBlockName
      encoded.clear();
      PutVarint32(&encoded, static_cast<uint32_t>(options_.prefix_length));
      metaindex_block.Add(kFilterPrefixLengthName, encoded);
    }
  }
  WriteBlock(&metaindex_block, &metaindex_handle);
  if (!status_.ok()) return status_;

  if (pending_index_entry_) AddPendingIndexEntry(nullptr);
  WriteBlock(&index_block_, &index_handle);
  if (!status_.ok()) return status_;

  Footer footer{metaindex_handle, index_handle};
  std::string encoded;
  footer.EncodeTo(&encoded);
  status_ = file_->Append(encoded);
  if (status_.ok()) offset_ += encoded.size();
  return status_;
}

void TableBuilder::Abandon() { closed_ = true; }

}  // namespace kvstore
