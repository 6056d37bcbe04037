// CommitQueue against a real engine in a temporary directory. Requests queued
// before Start form one drain (the committer takes everything queued at once),
// and Stop commits what is queued and joins, so every test is deterministic
// without sleeping.
#include "node/commit_queue.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace kvstore::node {
namespace {

namespace fs = std::filesystem;

// A request owning its bytes, recording how it was completed.
class TestWrite final : public CommitQueue::Request {
 public:
  void Done(const Status& s, uint64_t seq) override {
    EXPECT_FALSE(done) << "Done called twice";
    status = s;
    sequence = seq;
    done = true;
  }

  Status status;
  uint64_t sequence = 0;
  bool done = false;
  std::vector<std::string> storage;  // reserved up front: slices point into it
};

std::unique_ptr<TestWrite> PutReq(const std::string& k, const std::string& v, bool sync = true) {
  auto w = std::make_unique<TestWrite>();
  w->sync = sync;
  w->storage = {k, v};
  w->mutations.push_back({w->storage[0], w->storage[1], false});
  return w;
}

std::unique_ptr<TestWrite> DeleteReq(const std::string& k) {
  auto w = std::make_unique<TestWrite>();
  w->storage = {k};
  w->mutations.push_back({w->storage[0], Slice(), true});
  return w;
}

// expected nullopt: the key must be absent; new_value nullopt: delete on success.
std::unique_ptr<TestWrite> CasReq(const std::string& k, std::optional<std::string> expected,
                                  std::optional<std::string> new_value) {
  auto w = std::make_unique<TestWrite>();
  w->storage = {k, expected.value_or(""), new_value.value_or("")};
  w->is_cas = true;
  w->cas_has_expected = expected.has_value();
  w->cas_expected = w->storage[1];
  w->mutations.push_back({w->storage[0], w->storage[2], !new_value.has_value()});
  return w;
}

class CommitQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "kvstore-commit-test-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    ASSERT_TRUE(DB::Open(Options(), dir_ + "/db", &db_).ok());
  }
  void TearDown() override {
    queue_.reset();
    db_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  void MakeQueue(CommitQueue::Limits limits = CommitQueue::Limits()) {
    queue_ = std::make_unique<CommitQueue>(db_.get(), limits);
  }
  TestWrite* Enqueue(std::unique_ptr<TestWrite> w) {
    EXPECT_EQ(queue_->TryEnqueue(w.get()), CommitQueue::EnqueueResult::kQueued);
    owned_.push_back(std::move(w));
    return owned_.back().get();
  }
  // Starts the committer on what is queued (one drain) and waits for it to finish.
  void CommitQueued() {
    queue_->Start();
    queue_->Stop();
  }
  std::optional<std::string> Get(const std::string& k) {
    std::string v;
    Status s = db_->Get(ReadOptions(), k, &v);
    if (s.IsNotFound()) return std::nullopt;
    EXPECT_TRUE(s.ok()) << s.ToString();
    return v;
  }

  std::string dir_;
  std::unique_ptr<DB> db_;
  std::unique_ptr<CommitQueue> queue_;
  std::vector<std::unique_ptr<TestWrite>> owned_;
};

TEST_F(CommitQueueTest, CasInOneDrainSeesEarlierMutationsOfTheDrain) {
  MakeQueue();
  ASSERT_TRUE(db_->Put(WriteOptions(), "engine", "old").ok());
  auto* put_a = Enqueue(PutReq("k", "a"));
  auto* a_to_b = Enqueue(CasReq("k", "a", "b"));        // sees the queued put, not the engine
  auto* stale = Enqueue(CasReq("k", "a", "c"));         // sees b
  auto* del = Enqueue(DeleteReq("k"));
  auto* create = Enqueue(CasReq("k", std::nullopt, "d"));  // sees the delete: absent
  auto* engine = Enqueue(CasReq("engine", "old", std::nullopt));  // from the engine; deletes
  auto* gone = Enqueue(CasReq("engine", std::nullopt, "new"));    // sees that delete
  CommitQueued();

  EXPECT_EQ(queue_->drains(), 1u);
  EXPECT_EQ(queue_->batches(), 1u) << "one engine batch for the whole drain";
  for (const auto& w : owned_) {
    ASSERT_TRUE(w->done);
    EXPECT_TRUE(w->status.ok()) << w->status.ToString();
    EXPECT_EQ(w->sequence, put_a->sequence) << "every request reports the batch's sequence";
  }
  EXPECT_TRUE(a_to_b->cas_applied);
  EXPECT_TRUE(a_to_b->cas_found);
  EXPECT_FALSE(stale->cas_applied);
  EXPECT_TRUE(stale->cas_found);
  EXPECT_EQ(stale->cas_current, "b");
  EXPECT_TRUE(del->done);
  EXPECT_TRUE(create->cas_applied);
  EXPECT_TRUE(engine->cas_applied);
  EXPECT_FALSE(engine->cas_found) << "applied as a delete";
  EXPECT_TRUE(gone->cas_applied);
  EXPECT_EQ(Get("k"), "d");
  EXPECT_EQ(Get("engine"), "new");
  EXPECT_EQ(put_a->sequence, db_->GetStats().last_sequence);
}

TEST_F(CommitQueueTest, DrainMixingSyncAndAsyncIsSyncedOnce) {
  MakeQueue();
  uint64_t syncs = db_->GetStats().wal_syncs;
  Enqueue(PutReq("a1", "v", /*sync=*/false));
  Enqueue(PutReq("s1", "v", /*sync=*/true));
  Enqueue(PutReq("a2", "v", /*sync=*/false));
  CommitQueued();
  EXPECT_EQ(queue_->batches(), 1u);
  EXPECT_EQ(db_->GetStats().wal_syncs, syncs + 1) << "one durable request syncs the batch";
  for (const auto& w : owned_) EXPECT_TRUE(w->done && w->status.ok());

  // A drain of DURABILITY_ASYNC requests only is written without a sync.
  syncs = db_->GetStats().wal_syncs;
  MakeQueue();
  Enqueue(PutReq("a3", "v", false));
  Enqueue(PutReq("a4", "v", false));
  CommitQueued();
  EXPECT_EQ(queue_->batches(), 1u);
  EXPECT_EQ(db_->GetStats().wal_syncs, syncs);
  EXPECT_EQ(Get("a4"), "v");
}

TEST_F(CommitQueueTest, FullQueueRefusesUntilDrained) {
  CommitQueue::Limits limits;
  limits.max_queued = 2;
  MakeQueue(limits);
  Enqueue(PutReq("a", "1"));
  Enqueue(PutReq("b", "2"));
  EXPECT_EQ(queue_->queued(), 2u);
  auto refused = PutReq("c", "3");
  EXPECT_EQ(queue_->TryEnqueue(refused.get()), CommitQueue::EnqueueResult::kFull);
  queue_->Start();
  // The committer empties the queue; then there is room again.
  CommitQueue::EnqueueResult r;
  while ((r = queue_->TryEnqueue(refused.get())) == CommitQueue::EnqueueResult::kFull) {
    std::this_thread::yield();
  }
  EXPECT_EQ(r, CommitQueue::EnqueueResult::kQueued);
  owned_.push_back(std::move(refused));
  queue_->Stop();
  for (const auto& w : owned_) EXPECT_TRUE(w->done && w->status.ok());
  EXPECT_EQ(Get("c"), "3");
}

TEST_F(CommitQueueTest, StopCommitsEverythingQueuedThenRefuses) {
  MakeQueue();
  queue_->Start();
  for (int i = 0; i < 500; i++) Enqueue(PutReq("k" + std::to_string(i), "v"));
  queue_->Stop();
  for (const auto& w : owned_) EXPECT_TRUE(w->done && w->status.ok());
  EXPECT_EQ(Get("k499"), "v");
  auto late = PutReq("late", "v");
  EXPECT_EQ(queue_->TryEnqueue(late.get()), CommitQueue::EnqueueResult::kStopped);
  EXPECT_FALSE(late->done);
  queue_->Stop();  // idempotent

  // Never started: Stop commits on the calling thread.
  MakeQueue();
  Enqueue(PutReq("unstarted", "v"));
  queue_->Stop();
  EXPECT_TRUE(owned_.back()->done);
  EXPECT_EQ(Get("unstarted"), "v");
}

TEST_F(CommitQueueTest, OversizedDrainIsSplitWithoutSplittingARequest) {
  CommitQueue::Limits limits;
  limits.batch_mutations = 3;
  MakeQueue(limits);
  for (int i = 0; i < 4; i++) Enqueue(PutReq("p" + std::to_string(i), "v"));  // 3 + 1
  auto batch = std::make_unique<TestWrite>();
  batch->storage.reserve(5);
  for (int i = 0; i < 5; i++) batch->storage.push_back("w" + std::to_string(i));
  for (const auto& k : batch->storage) batch->mutations.push_back({k, "x", false});
  auto* big = Enqueue(std::move(batch));               // 5 mutations > 3: goes alone
  auto* cas = Enqueue(CasReq("w4", "x", "y"));         // next batch: reads the engine
  CommitQueued();
  EXPECT_EQ(queue_->drains(), 1u);
  EXPECT_EQ(queue_->batches(), 4u);  // [p0 p1 p2] [p3] [w0..w4] [cas]
  EXPECT_TRUE(big->status.ok());
  EXPECT_TRUE(cas->cas_applied);
  EXPECT_EQ(Get("w4"), "y");
  EXPECT_LT(owned_.front()->sequence, big->sequence);
  EXPECT_LT(big->sequence, cas->sequence);
}

TEST_F(CommitQueueTest, DrainOfFailedComparisonsWritesNothing) {
  MakeQueue();
  auto* cas = Enqueue(CasReq("absent", "x", "y"));
  CommitQueued();
  EXPECT_TRUE(cas->done && cas->status.ok());
  EXPECT_FALSE(cas->cas_applied);
  EXPECT_FALSE(cas->cas_found);
  EXPECT_EQ(queue_->batches(), 0u);
  EXPECT_EQ(db_->GetStats().writes, 0u);
}

}  // namespace
}  // namespace kvstore::node
