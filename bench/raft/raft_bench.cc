// Micro-benchmark of the Raft core alone: a 3-node group in memory (no
// fsync, no network), proposals in batches of 1, 16 and 256. Reports entries
// committed per second and the leader's CPU per entry (time inside the
// leader's Propose/Step/Ready/Advance and its MemoryStorage appends).
//
//   bench/raft/run.sh            # builds with -O2 and runs
//   raft_bench [seconds-per-case] [payload-bytes]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "kvstore/raft.h"

using namespace kvstore::raft;
using Clock = std::chrono::steady_clock;

namespace {

struct Node {
  std::unique_ptr<MemoryStorage> storage;
  std::unique_ptr<RawNode> raw;
  uint64_t applied = 0;
};

class Group {
 public:
  Group() {
    ConfState cs;
    cs.voters = {1, 2, 3};
    for (uint64_t id = 1; id <= 3; id++) {
      Node& n = nodes_[id - 1];
      n.storage = MemoryStorage::Bootstrap(cs);
      RaftConfig c;
      c.id = id;
      c.seed = id;
      if (!RawNode::Create(c, n.storage.get(), &n.raw).ok()) std::abort();
    }
    nodes_[0].raw->Campaign();
    while (Pump()) {
    }
    if (nodes_[0].raw->role() != Role::kLeader) std::abort();
  }

  // Runs `batch` proposals through to commit on the leader: one at a time
  // (Propose) or all at once (ProposeBatch).
  void Round(int batch, const std::string& payload, bool batched) {
    {
      Timer t(&leader_ns_);
      if (batched) {
        if (!nodes_[0].raw->ProposeBatch(std::vector<std::string>(batch, payload)).ok()) std::abort();
      } else {
        for (int i = 0; i < batch; i++) {
          if (!nodes_[0].raw->Propose(payload).ok()) std::abort();
        }
      }
    }
    uint64_t target = nodes_[0].raw->last_index();
    while (nodes_[0].applied < target) Pump();
  }

  double leader_ns() const { return leader_ns_; }

 private:
  struct Timer {
    explicit Timer(double* acc) : acc_(acc), start_(Clock::now()) {}
    ~Timer() { *acc_ += std::chrono::duration<double, std::nano>(Clock::now() - start_).count(); }
    double* acc_;
    Clock::time_point start_;
  };

  bool Pump() {
    std::vector<Message> wire;
    for (int i = 0; i < 3; i++) {
      Node& n = nodes_[i];
      double ignored = 0;
      Timer t(i == 0 ? &leader_ns_ : &ignored);
      while (n.raw->HasReady()) {
        Ready rd = n.raw->GetReady();
        n.storage->Append(rd.entries);
        if (rd.hard_state) n.storage->SetHardState(*rd.hard_state);
        for (Message& m : rd.messages) wire.push_back(std::move(m));
        if (!rd.committed_entries.empty()) n.applied = rd.committed_entries.back().index;
        n.raw->Advance(rd);
      }
    }
    for (Message& m : wire) {
      // Through the codec, as a real transport would (its cost is charged to
      // the receiver).
      std::string bytes = EncodeMessage(m);
      Message got;
      double ignored = 0;
      Timer t(m.to == 1 ? &leader_ns_ : &ignored);
      if (!DecodeMessage(bytes, &got).ok()) std::abort();
      nodes_[m.to - 1].raw->Step(got);
    }
    return !wire.empty();
  }

  Node nodes_[3];
  double leader_ns_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  double seconds = argc > 1 ? std::atof(argv[1]) : 1.0;
  size_t payload_size = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 100;
  std::string payload(payload_size, 'x');
  std::printf("raft core, 3 nodes in memory, %zu-byte entries, %.1fs per case\n", payload_size, seconds);
  std::printf("%8s %-13s %14s %20s %16s\n", "batch", "api", "entries/s", "leader CPU us/entry",
              "wall us/entry");
  for (int batch : {1, 16, 256}) {
    for (bool batched : {false, true}) {
      if (batch == 1 && batched) continue;
      Group g;
      uint64_t entries = 0;
      auto start = Clock::now();
      double elapsed = 0;
      while (elapsed < seconds) {
        g.Round(batch, payload, batched);
        entries += batch;
        elapsed = std::chrono::duration<double>(Clock::now() - start).count();
      }
      std::printf("%8d %-13s %14.0f %20.3f %16.3f\n", batch, batched ? "ProposeBatch" : "Propose",
                  entries / elapsed, g.leader_ns() / 1000.0 / entries, elapsed * 1e6 / entries);
    }
  }
  return 0;
}
