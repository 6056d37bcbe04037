// A deterministic fault simulator for the Raft core.
//
// It drives a group of RawNodes with a fake clock (one step = one tick) and a
// seeded network that drops, duplicates, delays and reorders messages,
// partitions (symmetric and one-way) and heals; it crashes nodes (losing all
// they had not handed to storage, including a Ready taken but not persisted)
// and restarts them, changes membership (learners, promotion, removal),
// transfers leadership, compacts logs (so lagging nodes need snapshots) and
// issues proposals and ReadIndex reads. After every event it checks:
//
//   election safety      at most one leader per term
//   log matching         (index, term) identifies one entry and one prefix
//   leader completeness  a new leader holds every entry known committed
//   state machine safety no two nodes apply different entries at an index,
//                        and installed snapshots match what was applied
//   durability           a committed index never changes its entry, even
//                        across crashes and restarts
//   linearizable reads   a ReadIndex result covers every write committed
//                        before the read began and no write not yet committed
//   liveness             after all faults heal, a leader is elected and a
//                        proposal commits and applies everywhere in bounded ticks
//
// Everything derives from the seed, so a failure replays exactly.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kvstore::raft {

// A scripted fault for SimOptions::schedule (hypothesis drives these).
struct SimEvent {
  enum Kind : int {
    kCrash = 0,       // a: node index (mod live nodes)
    kRestart = 1,     // a: node index (mod down nodes)
    kPartition = 2,   // a: bitmask of one side
    kOneWay = 3,      // a, b: node indices; blocks a -> b
    kHeal = 4,
    kTransfer = 5,    // a: node index of the transferee
    kAddLearner = 6,
    kPromote = 7,
    kRemove = 8,      // a: node index of the voter to remove
    kCompact = 9,     // a: node index
  };
  int tick = 0;
  int kind = kHeal;
  uint64_t a = 0;
  uint64_t b = 0;
};

struct SimOptions {
  uint64_t seed = 1;
  int nodes = 3;             // initial voters (3 or 5)
  int steps = 1500;          // ticks with faults
  int liveness_ticks = 800;  // bound for recovery after healing
  double drop = 0.03;
  double duplicate = 0.02;
  int max_delay = 3;         // ticks; plus rare long delays
  bool random_faults = true; // crashes, partitions, membership, transfers, compaction
  std::vector<SimEvent> schedule;  // scripted faults (applied in addition)
  int trace_every = 0;       // > 0: print node states to stderr every N ticks (debugging)
};

struct SimStats {
  uint64_t ticks = 0;
  uint64_t messages_sent = 0;
  uint64_t messages_delivered = 0;
  uint64_t messages_dropped = 0;
  uint64_t messages_duplicated = 0;
  uint64_t crashes = 0;
  uint64_t crashes_mid_ready = 0;
  uint64_t restarts = 0;
  uint64_t partitions = 0;
  uint64_t heals = 0;
  uint64_t leaders_elected = 0;
  uint64_t proposals = 0;
  uint64_t conf_changes = 0;
  uint64_t transfers = 0;
  uint64_t compactions = 0;
  uint64_t snapshots_sent = 0;
  uint64_t reads_checked = 0;
  uint64_t committed = 0;
  uint64_t recovery_ticks = 0;
};

struct SimResult {
  bool ok = true;
  uint64_t seed = 0;
  uint64_t tick = 0;       // when the violation was found
  std::string violation;   // empty when ok
  SimStats stats;
};

SimResult RunSimulation(const SimOptions& options);

}  // namespace kvstore::raft
