// SkipList: the sorted in-memory index under a memtable.
//
// Contract:
//   * Insert needs external synchronisation: one writer at a time.
//     InsertConcurrently may be called by many threads at once (each link is
//     published with a compare-and-swap); the two forms must not overlap.
//   * Reads (Contains, Iterator) need none. Any number of readers may run
//     concurrently with the one writer, lock-free. A reader sees every insert
//     that completed before the read started, and possibly some that ran
//     concurrently with it, never a half-linked node.
//   * Nodes are never removed or modified once linked (keys are immutable), so
//     a node pointer stays valid as long as the list, and the Arena that owns
//     all nodes, are alive. The list runs no destructors: Key must be
//     trivially destructible (it is typically a pointer into the same Arena).
//
// Insert remembers where its last key went (a "splice": the node before it at
// every level). When the next key belongs right after that node, as with keys
// added in ascending order, it is linked there without a search from the head;
// otherwise the search runs as usual. An InsertConcurrently marks the splice
// stale, so the next Insert searches in full.
//
// How: each node's forward links are std::atomic. A new node is fully built,
// including its own links, before a release-store publishes it in its
// predecessor; readers follow links with acquire-loads. Level 0 is the
// complete list, higher levels are express lanes (probability 1/4 each).
//
// Comparator is a copyable function object: int operator()(const Key& a,
// const Key& b) const, returning <0, 0 or >0.
#pragma once

#include <atomic>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <new>
#include <type_traits>

#include "util/arena.h"

namespace kvstore {

template <typename Key, class Comparator>
class SkipList {
 private:
  struct Node;

 public:
  // The arena must outlive the list.
  SkipList(Comparator cmp, Arena* arena);
  SkipList(const SkipList&) = delete;
  SkipList& operator=(const SkipList&) = delete;

  // REQUIRES: no key equal to key is in the list; external synchronisation.
  void Insert(const Key& key);
  // REQUIRES: no key equal to key is in the list, and no concurrent Insert.
  void InsertConcurrently(const Key& key);
  bool Contains(const Key& key) const;
  // For tests, with no concurrent writer: every level is strictly ascending and
  // holds a subset of the level below it.
  bool LevelsAreOrdered() const;

  // A position in the list. Movement is lock-free; see the contract above.
  class Iterator {
   public:
    explicit Iterator(const SkipList* list) : list_(list) {}
    bool Valid() const { return node_ != nullptr; }
    // REQUIRES: Valid()
    const Key& key() const {
      assert(Valid());
      return node_->key;
    }
    // REQUIRES: Valid()
    void Next() {
      assert(Valid());
      node_ = node_->Next(0);
    }
    // REQUIRES: Valid()
    void Prev() {
      assert(Valid());
      node_ = list_->FindLessThan(node_->key);  // no back links: search again
      if (node_ == list_->head_) node_ = nullptr;
    }
    // First entry with key >= target.
    void Seek(const Key& target) { node_ = list_->FindGreaterOrEqual(target, nullptr); }
    void SeekToFirst() { node_ = list_->head_->Next(0); }
    void SeekToLast() {
      node_ = list_->FindLast();
      if (node_ == list_->head_) node_ = nullptr;
    }

   private:
    const SkipList* list_;
    Node* node_ = nullptr;
  };

 private:
  static constexpr int kMaxHeight = 12;
  static constexpr uint32_t kBranching = 4;

  int MaxHeight() const { return max_height_.load(std::memory_order_relaxed); }
  Node* NewNode(const Key& key, int height, bool locked = false);
  int RandomHeight();
  static int RandomHeightConcurrent();
  bool Equal(const Key& a, const Key& b) const { return compare_(a, b) == 0; }
  // Fills prev with key's predecessor at every level below kMaxHeight (head_
  // above the list's height), from the splice when it brackets key at level 0,
  // else from a search. Writer only.
  void FindInsertPoint(const Key& key, Node** prev);
  // True if n holds a key that sorts before key (nullptr is +infinity).
  bool KeyIsAfterNode(const Key& key, Node* n) const {
    return n != nullptr && compare_(n->key, key) < 0;
  }
  // First node with key >= key, or nullptr. Fills prev[level] with the last
  // node before it at each level if prev is not null.
  Node* FindGreaterOrEqual(const Key& key, Node** prev) const;
  // Last node with key < key, or head_.
  Node* FindLessThan(const Key& key) const;
  // Last node, or head_ if the list is empty.
  Node* FindLast() const;

  const Comparator compare_;
  Arena* const arena_;
  Node* const head_;
  // Height of the tallest node. Read without ordering: a reader that sees a new
  // height before the node is linked just finds null links at the top levels.
  std::atomic<int> max_height_{1};
  uint32_t rnd_ = 0x9e3779b9u;  // writer-only state for RandomHeight
  // Writer-only: splice_[i] is the last node at level i that is <= splice_[0],
  // the node Insert linked last (head_ where there is none). Valid unless
  // splice_stale_.
  Node* splice_[kMaxHeight];
  // Set by InsertConcurrently; read and cleared by Insert. The two never
  // overlap, and whatever orders them also orders these accesses.
  std::atomic<bool> splice_stale_{false};
};

// A node is this header followed by `height` atomic links, in one arena block.
template <typename Key, class Comparator>
struct alignas(std::atomic<void*>) SkipList<Key, Comparator>::Node {
  explicit Node(const Key& k) : key(k) {}

  Key const key;

  Node* Next(int n) { return links()[n].load(std::memory_order_acquire); }
  void SetNext(int n, Node* x) { links()[n].store(x, std::memory_order_release); }
  Node* NoBarrierNext(int n) { return links()[n].load(std::memory_order_relaxed); }
  void NoBarrierSetNext(int n, Node* x) { links()[n].store(x, std::memory_order_relaxed); }
  bool CasNext(int n, Node* expected, Node* x) {
    return links()[n].compare_exchange_strong(expected, x, std::memory_order_release,
                                              std::memory_order_relaxed);
  }

  std::atomic<Node*>* links() {
    return std::launder(reinterpret_cast<std::atomic<Node*>*>(reinterpret_cast<char*>(this) + sizeof(Node)));
  }
};

template <typename Key, class Comparator>
SkipList<Key, Comparator>::SkipList(Comparator cmp, Arena* arena)
    : compare_(cmp), arena_(arena), head_(NewNode(Key{}, kMaxHeight)) {
  static_assert(std::is_trivially_destructible_v<Key>, "the arena never runs destructors");
  static_assert(alignof(Node) <= alignof(std::max_align_t));
  static_assert(sizeof(Node) % alignof(std::atomic<Node*>) == 0);
  for (Node*& n : splice_) n = head_;
}

template <typename Key, class Comparator>
typename SkipList<Key, Comparator>::Node* SkipList<Key, Comparator>::NewNode(const Key& key,
                                                                              int height,
                                                                              bool locked) {
  const size_t bytes = sizeof(Node) + sizeof(std::atomic<Node*>) * height;
  char* mem = locked ? arena_->AllocateAlignedLocked(bytes) : arena_->AllocateAligned(bytes);
  Node* n = new (mem) Node(key);
  std::atomic<Node*>* links = reinterpret_cast<std::atomic<Node*>*>(mem + sizeof(Node));
  for (int i = 0; i < height; i++) new (&links[i]) std::atomic<Node*>(nullptr);
  return n;
}

template <typename Key, class Comparator>
int SkipList<Key, Comparator>::RandomHeight() {
  int height = 1;
  while (height < kMaxHeight) {
    // xorshift32
    rnd_ ^= rnd_ << 13;
    rnd_ ^= rnd_ >> 17;
    rnd_ ^= rnd_ << 5;
    if (rnd_ % kBranching != 0) break;
    height++;
  }
  return height;
}

template <typename Key, class Comparator>
typename SkipList<Key, Comparator>::Node* SkipList<Key, Comparator>::FindGreaterOrEqual(
    const Key& key, Node** prev) const {
  Node* x = head_;
  int level = MaxHeight() - 1;
  Node* known_after = nullptr;  // a node already found to be >= key
  while (true) {
    Node* next = x->Next(level);
    // Going down a level often meets the node that stopped the level above:
    // it is known not to be before key, so skip comparing it again.
    if (next != known_after && KeyIsAfterNode(key, next)) {
      x = next;
    } else {
      if (prev != nullptr) prev[level] = x;
      if (level == 0) return next;
      known_after = next;
      level--;
    }
  }
}

template <typename Key, class Comparator>
typename SkipList<Key, Comparator>::Node* SkipList<Key, Comparator>::FindLessThan(
    const Key& key) const {
  Node* x = head_;
  int level = MaxHeight() - 1;
  while (true) {
    Node* next = x->Next(level);
    if (next == nullptr || compare_(next->key, key) >= 0) {
      if (level == 0) return x;
      level--;
    } else {
      x = next;
    }
  }
}

template <typename Key, class Comparator>
typename SkipList<Key, Comparator>::Node* SkipList<Key, Comparator>::FindLast() const {
  Node* x = head_;
  int level = MaxHeight() - 1;
  while (true) {
    Node* next = x->Next(level);
    if (next == nullptr) {
      if (level == 0) return x;
      level--;
    } else {
      x = next;
    }
  }
}

template <typename Key, class Comparator>
void SkipList<Key, Comparator>::FindInsertPoint(const Key& key, Node** prev) {
  if (!splice_stale_.load(std::memory_order_relaxed)) {
    // Every splice_[i] is <= splice_[0] and no level-i node lies between them,
    // so if key falls between splice_[0] and its successor, the splice is
    // key's predecessor at every level.
    Node* before = splice_[0];
    Node* after = before->Next(0);
    if ((before == head_ || compare_(before->key, key) < 0) && !KeyIsAfterNode(key, after)) {
      assert(after == nullptr || !Equal(key, after->key));  // duplicates are not allowed
      for (int i = 0; i < kMaxHeight; i++) prev[i] = splice_[i];
      return;
    }
  }
  splice_stale_.store(false, std::memory_order_relaxed);
  const int max_height = MaxHeight();
  Node* x = FindGreaterOrEqual(key, prev);
  assert(x == nullptr || !Equal(key, x->key));  // duplicates are not allowed
  (void)x;
  for (int i = max_height; i < kMaxHeight; i++) prev[i] = head_;
}

template <typename Key, class Comparator>
void SkipList<Key, Comparator>::Insert(const Key& key) {
  Node* prev[kMaxHeight];
  FindInsertPoint(key, prev);

  int height = RandomHeight();
  if (height > MaxHeight()) max_height_.store(height, std::memory_order_relaxed);

  Node* x = NewNode(key, height);
  for (int i = 0; i < height; i++) {
    // x is not yet reachable, so its own links need no ordering; the store
    // into prev[i] publishes it (and everything written before) to readers.
    x->NoBarrierSetNext(i, prev[i]->NoBarrierNext(i));
    prev[i]->SetNext(i, x);
  }
  // The next key may well belong right after this one.
  for (int i = 0; i < height; i++) splice_[i] = x;
  for (int i = height; i < kMaxHeight; i++) splice_[i] = prev[i];
}

template <typename Key, class Comparator>
int SkipList<Key, Comparator>::RandomHeightConcurrent() {
  thread_local uint32_t rnd = 0x9e3779b9u ^ static_cast<uint32_t>(
      reinterpret_cast<uintptr_t>(&rnd) >> 4);
  int height = 1;
  while (height < kMaxHeight) {
    rnd ^= rnd << 13;
    rnd ^= rnd >> 17;
    rnd ^= rnd << 5;
    if (rnd % kBranching != 0) break;
    height++;
  }
  return height;
}

template <typename Key, class Comparator>
void SkipList<Key, Comparator>::InsertConcurrently(const Key& key) {
  // Nodes linked here may fall between the splice's levels.
  if (!splice_stale_.load(std::memory_order_relaxed)) {
    splice_stale_.store(true, std::memory_order_relaxed);
  }
  const int height = RandomHeightConcurrent();
  int max_height = MaxHeight();
  while (height > max_height &&
         !max_height_.compare_exchange_weak(max_height, height, std::memory_order_relaxed)) {
  }
  Node* prev[kMaxHeight];
  // Levels above the height seen by the search start from head_.
  for (int i = 0; i < kMaxHeight; i++) prev[i] = head_;
  FindGreaterOrEqual(key, prev);
  Node* x = NewNode(key, height, /*locked=*/true);
  // Link bottom-up, so a node reachable at level i is already in every lower
  // level. If another writer linked a node between prev[i] and its successor
  // meanwhile, the CAS fails: walk forward from prev[i] (nodes never go away)
  // and try again.
  for (int i = 0; i < height; i++) {
    while (true) {
      Node* next = prev[i]->Next(i);
      while (KeyIsAfterNode(key, next)) {
        prev[i] = next;
        next = prev[i]->Next(i);
      }
      assert(next == nullptr || !Equal(key, next->key));
      x->NoBarrierSetNext(i, next);
      if (prev[i]->CasNext(i, next, x)) break;
    }
  }
}

template <typename Key, class Comparator>
bool SkipList<Key, Comparator>::Contains(const Key& key) const {
  Node* x = FindGreaterOrEqual(key, nullptr);
  return x != nullptr && Equal(key, x->key);
}

template <typename Key, class Comparator>
bool SkipList<Key, Comparator>::LevelsAreOrdered() const {
  for (int level = 0; level < kMaxHeight; level++) {
    Node* below = head_;  // walks level - 1 alongside
    for (Node* n = head_->Next(level); n != nullptr; n = n->Next(level)) {
      Node* next = n->Next(level);
      if (next != nullptr && compare_(n->key, next->key) >= 0) return false;
      if (level == 0) continue;
      while (below != nullptr && below != n) below = below->Next(level - 1);
      if (below == nullptr) return false;
    }
  }
  return true;
}

}  // namespace kvstore
