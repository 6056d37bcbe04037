// MemoryFirstReads: when a point read should first be tried from memory alone
// with the GIL held (ReadOptions::no_io), before the ordinary read with the GIL
// released.
//
// Releasing and retaking the GIL costs about as much as a whole lookup that
// finds its block in the cache, so reads served from memory keep the GIL; a
// read that needs a file read (Status::Incomplete) is redone without it. When
// most reads need the disk, the memory attempt is wasted work, so it is made
// less often: every miss adds a debt, every read pays one back, and the memory
// attempt is skipped while the debt is high. With a miss rate p the attempts
// continue while (1 - p) * 1 > p * kMissCost, i.e. below about 1 miss in 9; above it
// about one read in kMissCost + 1 still probes memory, so a change back to a
// cached working set is noticed within a few dozen reads.
//
// Not thread-safe by itself: used only while holding the GIL.
#pragma once

namespace kvstore {

class MemoryFirstReads {
 public:
  // Whether the next read should try memory first.
  bool ShouldTry() {
    if (debt_ < kMaxDebt) return true;
    debt_--;  // skipped reads pay the debt back too
    return false;
  }
  // The memory attempt answered (hit) or needed a file read (miss).
  void Record(bool answered) {
    if (answered) {
      if (debt_ > 0) debt_--;
    } else {
      debt_ += kMissCost;
    }
  }

 private:
  static constexpr int kMissCost = 8;
  static constexpr int kMaxDebt = 4 * kMissCost;
  int debt_ = 0;
};

}  // namespace kvstore
