#include "table/merger.h"

#include <cstdint>
#include <string>

namespace kvstore {

namespace {

// The children that are positioned (Valid) sit in a binary heap ordered by
// merge order in the current direction, each with its key cached (a child's
// key() stays valid until the child moves), so that a step costs one child
// move and about two key comparisons whichever child holds the next entry,
// and children that are exhausted cost nothing.
class MergingIterator final : public Iterator {
 public:
  MergingIterator(const Comparator* cmp, std::vector<std::unique_ptr<Iterator>> children)
      : cmp_(cmp), children_(std::move(children)), keys_(children_.size()) {
    heap_.reserve(children_.size());
  }

  bool Valid() const override { return !heap_.empty(); }
  Slice key() const override { return keys_[heap_.front()]; }
  Slice value() const override { return children_[heap_.front()]->value(); }

  Status status() const override {
    for (const auto& child : children_) {
      Status s = child->status();
      if (!s.ok()) return s;
    }
    return Status::OK();
  }

  void SeekToFirst() override {
    for (auto& child : children_) child->SeekToFirst();
    Rebuild(kForward);
  }

  void SeekToLast() override {
    for (auto& child : children_) child->SeekToLast();
    Rebuild(kReverse);
  }

  void Seek(Slice target) override {
    for (auto& child : children_) child->Seek(target);
    Rebuild(kForward);
  }

  void Next() override {
    const uint32_t current = heap_.front();
    if (direction_ == kReverse) {
      // Every other child must move to its first entry after (key, current)
      // in merge order: keys > key() for lower-indexed children, keys >= key()
      // for higher-indexed ones.
      const std::string k(key());
      for (uint32_t i = 0; i < children_.size(); i++) {
        if (i == current) continue;
        Iterator* child = children_[i].get();
        child->Seek(k);
        if (i < current && child->Valid() && cmp_->Compare(child->key(), k) == 0) child->Next();
      }
      children_[current]->Next();
      Rebuild(kForward);
      return;
    }
    StepTop([](Iterator* child) { child->Next(); });
  }

  void Prev() override {
    const uint32_t current = heap_.front();
    if (direction_ == kForward) {
      // Every other child must move to its last entry before (key, current)
      // in merge order: keys <= key() for lower-indexed children, keys < key()
      // for higher-indexed ones.
      const std::string k(key());
      for (uint32_t i = 0; i < children_.size(); i++) {
        if (i == current) continue;
        Iterator* child = children_[i].get();
        child->Seek(k);
        if (!child->Valid()) {
          if (child->status().ok()) child->SeekToLast();
        } else if (i > current || cmp_->Compare(child->key(), k) != 0) {
          child->Prev();
        }
      }
      children_[current]->Prev();
      Rebuild(kReverse);
      return;
    }
    StepTop([](Iterator* child) { child->Prev(); });
  }

 private:
  enum Direction { kForward, kReverse };

  // True if child a's entry comes before child b's in the current direction:
  // forward, smaller key first and ties to the lower index; reverse, the
  // exact opposite.
  bool Before(uint32_t a, uint32_t b) const {
    const int r = cmp_->Compare(keys_[a], keys_[b]);
    if (direction_ == kForward) return r < 0 || (r == 0 && a < b);
    return r > 0 || (r == 0 && a > b);
  }

  void SiftDown(size_t i) {
    const size_t n = heap_.size();
    const uint32_t x = heap_[i];
    while (true) {
      size_t c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && Before(heap_[c + 1], heap_[c])) c++;
      if (!Before(heap_[c], x)) break;
      heap_[i] = heap_[c];
      i = c;
    }
    heap_[i] = x;
  }

  // Moves the child at the top of the heap one entry on (in the current
  // direction) and restores the heap. A child that fails invalidates the
  // merge: its entries would be missing.
  template <typename Move>
  void StepTop(Move move) {
    const uint32_t top = heap_.front();
    Iterator* child = children_[top].get();
    move(child);
    if (child->Valid()) {
      keys_[top] = child->key();
    } else if (!child->status().ok()) {
      heap_.clear();
      return;
    } else {
      heap_.front() = heap_.back();
      heap_.pop_back();
      if (heap_.empty()) return;
    }
    SiftDown(0);
  }

  // Rebuilds the heap from every child after the children were repositioned.
  void Rebuild(Direction direction) {
    direction_ = direction;
    heap_.clear();
    for (uint32_t i = 0; i < children_.size(); i++) {
      Iterator* child = children_[i].get();
      if (child->Valid()) {
        keys_[i] = child->key();
        heap_.push_back(i);
      } else if (!child->status().ok()) {
        heap_.clear();
        return;
      }
    }
    for (size_t i = heap_.size() / 2; i-- > 0;) SiftDown(i);
  }

  const Comparator* const cmp_;
  std::vector<std::unique_ptr<Iterator>> children_;
  std::vector<Slice> keys_;      // keys_[i]: child i's key while it is in the heap
  std::vector<uint32_t> heap_;   // indices of the valid children; front is current
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
