// A synchronous in-memory cluster for unit tests: every message goes through
// EncodeMessage/DecodeMessage, is filtered (cut links, custom drop rules) and
// delivered until the cluster is quiet. Header-only, test use only.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "kvstore/raft.h"
#include "raft/raft.h"

namespace kvstore::raft::testing {

struct TestNode {
  std::unique_ptr<MemoryStorage> storage;
  std::unique_ptr<RawNode> node;
  std::vector<Entry> applied;  // every applied entry, in order (after the snapshot)
  std::vector<ReadState> reads;
  bool up = true;
};

class Cluster {
 public:
  // ids 1..n, all voters; `tweak` adjusts each node's config.
  explicit Cluster(int n, std::function<void(RaftConfig*)> tweak = nullptr) : tweak_(std::move(tweak)) {
    ConfState cs;
    for (int i = 1; i <= n; i++) cs.voters.push_back(i);
    for (int i = 1; i <= n; i++) AddNode(i, MemoryStorage::Bootstrap(cs));
  }
  Cluster() = default;

  void AddNode(uint64_t id, std::unique_ptr<MemoryStorage> storage) {
    auto& tn = nodes_[id];
    tn.storage = std::move(storage);
    tn.applied.clear();
    tn.up = true;
    Start(id);
  }

  void Start(uint64_t id) {
    auto& tn = nodes_[id];
    RaftConfig c = Config(id);
    Snapshot snap;
    tn.storage->GetSnapshot(&snap);
    c.applied = snap.meta.index;
    ASSERT_TRUE(RawNode::Create(c, tn.storage.get(), &tn.node).ok());
    tn.up = true;
  }

  RaftConfig Config(uint64_t id) const {
    RaftConfig c;
    c.id = id;
    c.election_tick = 10;
    c.heartbeat_tick = 1;
    c.seed = 42 + id;
    if (tweak_) tweak_(&c);
    return c;
  }

  // Crash: the node loses everything it had not handed to storage.
  void Crash(uint64_t id) {
    nodes_[id].node.reset();
    nodes_[id].up = false;
  }
  void Restart(uint64_t id) {
    nodes_[id].applied.clear();
    Start(id);
  }

  RawNode& node(uint64_t id) { return *nodes_.at(id).node; }
  Raft& raft(uint64_t id) { return *nodes_.at(id).node->raft_for_testing(); }
  TestNode& tn(uint64_t id) { return nodes_.at(id); }
  std::map<uint64_t, TestNode>& nodes() { return nodes_; }

  void Cut(uint64_t a, uint64_t b) {
    cut_.insert({a, b});
    cut_.insert({b, a});
  }
  void CutOneWay(uint64_t from, uint64_t to) { cut_.insert({from, to}); }
  void Isolate(uint64_t id) {
    for (auto& [other, _] : nodes_) {
      if (other != id) Cut(id, other);
    }
  }
  void Heal() {
    cut_.clear();
    drop_ = nullptr;
  }
  // Drop messages for which f returns true.
  void SetDrop(std::function<bool(const Message&)> f) { drop_ = std::move(f); }

  // Handles every Ready of one node; returns its outgoing messages.
  std::vector<Message> Drain(uint64_t id) {
    std::vector<Message> out;
    auto& tn = nodes_.at(id);
    if (!tn.up) return out;
    while (tn.node->HasReady()) {
      Ready rd = tn.node->GetReady();
      if (!rd.snapshot.IsEmpty()) {
        EXPECT_TRUE(tn.storage->ApplySnapshot(rd.snapshot).ok());
        tn.applied.clear();
      }
      EXPECT_TRUE(tn.storage->Append(rd.entries).ok());
      if (rd.hard_state) tn.storage->SetHardState(*rd.hard_state);
      for (Message& m : rd.messages) out.push_back(std::move(m));
      for (const Entry& e : rd.committed_entries) tn.applied.push_back(e);
      for (ReadState& r : rd.read_states) tn.reads.push_back(std::move(r));
      tn.node->Advance(rd);
    }
    return out;
  }

  // Delivers messages (and their consequences) until no node has anything to do.
  void Stabilize(int max_rounds = 10000) {
    for (int round = 0; round < max_rounds; round++) {
      std::vector<Message> msgs;
      for (auto& [id, _] : nodes_) {
        for (Message& m : Drain(id)) msgs.push_back(std::move(m));
      }
      if (msgs.empty()) return;
      for (Message& m : msgs) Deliver(m);
    }
    FAIL() << "cluster did not stabilize";
  }

  void Deliver(const Message& m) {
    delivered_++;
    if (cut_.count({m.from, m.to}) || (drop_ && drop_(m))) return;
    auto it = nodes_.find(m.to);
    if (it == nodes_.end() || !it->second.up) return;
    Message decoded;
    std::string bytes = EncodeMessage(m);
    ASSERT_TRUE(DecodeMessage(bytes, &decoded).ok());
    ASSERT_EQ(decoded, m);
    it->second.node->Step(decoded);
  }

  void Tick(uint64_t id, int n = 1) {
    for (int i = 0; i < n; i++) nodes_.at(id).node->Tick();
  }
  void TickAll(int n = 1) {
    for (int i = 0; i < n; i++) {
      for (auto& [id, tn] : nodes_) {
        if (tn.up) tn.node->Tick();
      }
      Stabilize();
    }
  }

  // Makes `id` campaign and delivers everything.
  void Elect(uint64_t id) {
    node(id).Campaign();
    Stabilize();
  }

  uint64_t Leader() {
    uint64_t best = 0, best_term = 0;
    for (auto& [id, tn] : nodes_) {
      if (tn.up && tn.node->role() == Role::kLeader && tn.node->term() >= best_term) {
        best = id;
        best_term = tn.node->term();
      }
    }
    return best;
  }

  // The log entries (index, term) of a node, for comparisons.
  std::vector<std::pair<uint64_t, uint64_t>> LogTerms(uint64_t id) {
    std::vector<std::pair<uint64_t, uint64_t>> out;
    RaftLog& log = raft(id).log();
    for (uint64_t i = log.FirstIndex(); i <= log.LastIndex(); i++) out.push_back({i, log.TermOrZero(i)});
    return out;
  }

  size_t delivered() const { return delivered_; }

 private:
  std::function<void(RaftConfig*)> tweak_;
  std::map<uint64_t, TestNode> nodes_;
  std::set<std::pair<uint64_t, uint64_t>> cut_;
  std::function<bool(const Message&)> drop_;
  size_t delivered_ = 0;
};

// A storage holding a log whose entry i+1 has term terms[i], at term `term`.
inline std::unique_ptr<MemoryStorage> StorageWithLog(const ConfState& cs, const std::vector<uint64_t>& terms,
                                                     uint64_t term) {
  auto s = std::make_unique<MemoryStorage>();
  Snapshot base;  // an index-0 "snapshot" carrying only the configuration
  base.meta.conf = cs;
  EXPECT_TRUE(s->ApplySnapshot(base).ok());
  std::vector<Entry> ents;
  for (size_t i = 0; i < terms.size(); i++) {
    Entry e;
    e.index = i + 1;
    e.term = terms[i];
    e.data = "e" + std::to_string(i + 1);
    ents.push_back(e);
  }
  EXPECT_TRUE(s->Append(ents).ok());
  HardState hs;
  hs.term = term;
  s->SetHardState(hs);
  return s;
}

}  // namespace kvstore::raft::testing
