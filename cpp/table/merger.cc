#include "table/merger.h"

#include <string>

namespace kvstore {

namespace {

class MergingIterator final : public Iterator {
 public:
  MergingIterator(const Comparator* cmp, std::vector<std::unique_ptr<Iterator>> children)
      : cmp_(cmp), children_(std::move(children)) {}

  bool Valid() const override { return current_ != kNone; }
  Slice key() const override { return children_[current_]->key(); }
  Slice value() const override { return children_[current_]->value(); }

  Status status() const override {
    for (const auto& child : children_) {
      Status s = child->status();
      if (!s.ok()) return s;
    }
    return Status::OK();
  }

  void SeekToFirst() override {
    for (auto& child : children_) child->SeekToFirst();
    FindSmallest();
  }

  void SeekToLast() override {
    for (auto& child : children_) child->SeekToLast();
    FindLargest();
  }

  void Seek(Slice target) override {
    for (auto& child : children_) child->Seek(target);
    FindSmallest();
  }

  void Next() override {
    if (direction_ == kReverse) {
      // Every other child must move to its first entry after (key, current_)
      // in merge order: keys > key() for lower-indexed children, keys >= key()
      // for higher-indexed ones.
      const std::string k(key());
      for (size_t i = 0; i < children_.size(); i++) {
        if (i == current_) continue;
        Iterator* child = children_[i].get();
        child->Seek(k);
        if (i < current_ && child->Valid() && cmp_->Compare(child->key(), k) == 0) child->Next();
      }
    }
    children_[current_]->Next();
    FindSmallest();
  }

  void Prev() override {
    if (direction_ == kForward) {
      // Every other child must move to its last entry before (key, current_)
      // in merge order: keys <= key() for lower-indexed children, keys < key()
      // for higher-indexed ones.
      const std::string k(key());
      for (size_t i = 0; i < children_.size(); i++) {
        if (i == current_) continue;
        Iterator* child = children_[i].get();
        child->Seek(k);
        if (!child->Valid()) {
          if (child->status().ok()) child->SeekToLast();
        } else if (i > current_ || cmp_->Compare(child->key(), k) != 0) {
          child->Prev();
        }
      }
    }
    children_[current_]->Prev();
    FindLargest();
  }

 private:
  static constexpr size_t kNone = static_cast<size_t>(-1);
  enum Direction { kForward, kReverse };

  // A failed child invalidates the merge: its entries would be missing.
  bool AnyChildFailed() const {
    for (const auto& child : children_) {
      if (!child->Valid() && !child->status().ok()) return true;
    }
    return false;
  }

  // Smallest key; ties go to the lowest child index.
  void FindSmallest() {
    direction_ = kForward;
    current_ = kNone;
    if (AnyChildFailed()) return;
    for (size_t i = 0; i < children_.size(); i++) {
      if (!children_[i]->Valid()) continue;
      if (current_ == kNone || cmp_->Compare(children_[i]->key(), children_[current_]->key()) < 0) {
        current_ = i;
      }
    }
  }

  // Largest key; ties go to the highest child index (the reverse of FindSmallest).
  void FindLargest() {
    direction_ = kReverse;
    current_ = kNone;
    if (AnyChildFailed()) return;
    for (size_t i = children_.size(); i-- > 0;) {
      if (!children_[i]->Valid()) continue;
      if (current_ == kNone || cmp_->Compare(children_[i]->key(), children_[current_]->key()) > 0) {
        current_ = i;
      }
    }
  }

  const Comparator* const cmp_;
  std::vector<std::unique_ptr<Iterator>> children_;
  size_t current_ = kNone;
  Direction direction_ = kForward;
};

}  // namespace

std::unique_ptr<Iterator> NewMergingIterator(const Comparator* cmp,
                                             std::vector<std::unique_ptr<Iterator>> children) {
  if (children.empty()) return NewEmptyIterator();
  if (children.size() == 1) return std::move(children[0]);
  return std::make_unique<MergingIterator>(cmp, std::move(children));
}

}  // namespace kvstore
