#include "table/two_level_iterator.h"

#include <string>

namespace kvstore {

namespace {

class TwoLevelIterator final : public Iterator {
 public:
  TwoLevelIterator(std::unique_ptr<Iterator> index_iter,
                   std::function<std::unique_ptr<Iterator>(Slice)> block_function)
      : index_(std::move(index_iter)), block_function_(std::move(block_function)) {}

  bool Valid() const override { return data_ != nullptr && data_->Valid(); }
  Slice key() const override { return data_->key(); }
  Slice value() const override { return data_->value(); }

  Status status() const override {
    Status s = index_->status();
    if (s.ok() && data_ != nullptr) s = data_->status();
    return s;
  }

  void Seek(Slice target) override {
    index_->Seek(target);
    OpenBlock();
    if (data_ != nullptr) data_->Seek(target);
    SkipEmptyBlocksForward();
  }

  void SeekToFirst() override {
    index_->SeekToFirst();
    OpenBlock();
    if (data_ != nullptr) data_->SeekToFirst();
    SkipEmptyBlocksForward();
  }

  void SeekToLast() override {
    index_->SeekToLast();
    OpenBlock();
    if (data_ != nullptr) data_->SeekToLast();
    SkipEmptyBlocksBackward();
  }

  void Next() override {
    data_->Next();
    SkipEmptyBlocksForward();
  }

  void Prev() override {
    data_->Prev();
    SkipEmptyBlocksBackward();
  }

 private:
  // Opens the block the index iterator points at (reusing the open one if it
  // is the same block and has not failed), or drops the block iterator if the index is exhausted.
  void OpenBlock() {
    if (!index_->Valid()) {
      data_.reset();
      return;
    }
    Slice handle = index_->value();
    if (data_ != nullptr && handle == Slice(data_handle_) && data_->status().ok()) return;
    data_ = block_function_(handle);
    data_handle_.assign(handle.data(), handle.size());
  }

  // True if the current block iterator failed: iteration stops there.
  bool BlockFailed() const { return data_ != nullptr && !data_->status().ok(); }

  void SkipEmptyBlocksForward() {
    while (data_ == nullptr || !data_->Valid()) {
      if (BlockFailed() || !index_->Valid()) {
        if (!BlockFailed()) data_.reset();
        return;
      }
      index_->Next();
      OpenBlock();
      if (data_ != nullptr) data_->SeekToFirst();
    }
  }

  void SkipEmptyBlocksBackward() {
    while (data_ == nullptr || !data_->Valid()) {
      if (BlockFailed() || !index_->Valid()) {
        if (!BlockFailed()) data_.reset();
        return;
      }
      index_->Prev();
      OpenBlock();
      if (data_ != nullptr) data_->SeekToLast();
    }
  }

  std::unique_ptr<Iterator> index_;
  std::function<std::unique_ptr<Iterator>(Slice)> block_function_;
  std::unique_ptr<Iterator> data_;  // over the block named by data_handle_, or null
  std::string data_handle_;
};

}  // namespace

std::unique_ptr<Iterator> NewTwoLevelIterator(
    std::unique_ptr<Iterator> index_iter,
    std::function<std::unique_ptr<Iterator>(Slice index_value)> block_function) {
  return std::make_unique<TwoLevelIterator>(std::move(index_iter), std::move(block_function));
}

}  // namespace kvstore
