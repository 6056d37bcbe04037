// End-to-end tests of the node over loopback gRPC: the real server, the real
// engine in a temporary directory, the generated C++ client stubs.
#include "node/node.h"

#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "kvstore/v1/admin.grpc.pb.h"
#include "kvstore/v1/kv.grpc.pb.h"

namespace kvstore::node {
namespace {

namespace fs = std::filesystem;

class NodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "kvstore-node-test-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    config_.data_dir = dir_ + "/db";
    config_.listen_address = "127.0.0.1:0";
    config_.node_id = 7;
  }
  void TearDown() override {
    stub_.reset();
    admin_.reset();
    channel_.reset();
    node_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  void StartNode() {
    ASSERT_TRUE(Node::Open(config_, &node_).ok());
    int port = 0;
    Status s = node_->Start(&port);
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_GT(port, 0);
    grpc::ChannelArguments args;
    args.SetMaxSendMessageSize(-1);
    channel_ = grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port),
                                         grpc::InsecureChannelCredentials(), args);
    stub_ = v1::KV::NewStub(channel_);
    admin_ = v1::Admin::NewStub(channel_);
  }

  grpc::Status Put(const std::string& k, const std::string& v, v1::PutResponse* resp = nullptr) {
    grpc::ClientContext ctx;
    v1::PutRequest req;
    req.set_key(k);
    req.set_value(v);
    v1::PutResponse local;
    return stub_->Put(&ctx, req, resp != nullptr ? resp : &local);
  }

  std::optional<std::string> Get(const std::string& k) {
    grpc::ClientContext ctx;
    v1::GetRequest req;
    req.set_key(k);
    v1::GetResponse resp;
    auto s = stub_->Get(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    if (!resp.found()) return std::nullopt;
    return resp.value();
  }

  std::vector<std::vector<std::string>> Scan(const v1::ScanRequest& req, grpc::Status* status) {
    grpc::ClientContext ctx;
    auto reader = stub_->Scan(&ctx, req);
    std::vector<std::vector<std::string>> messages;
    v1::ScanResponse msg;
    while (reader->Read(&msg)) {
      std::vector<std::string> keys;
      for (const auto& e : msg.entries()) keys.push_back(e.key());
      messages.push_back(keys);
    }
    *status = reader->Finish();
    return messages;
  }

  std::string dir_;
  NodeConfig config_;
  std::unique_ptr<Node> node_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::KV::Stub> stub_;
  std::unique_ptr<v1::Admin::Stub> admin_;
};

TEST_F(NodeTest, PutGetDeleteWriteWithHeaders) {
  StartNode();
  v1::PutResponse put;
  ASSERT_TRUE(Put("a", "1", &put).ok());
  EXPECT_EQ(put.header().node_id(), 7u);
  EXPECT_GE(put.header().sequence(), 1u);
  EXPECT_EQ(Get("a"), "1");
  EXPECT_EQ(Get("missing"), std::nullopt);

  grpc::ClientContext ctx;
  v1::WriteRequest w;
  auto* m = w.add_mutations()->mutable_put();
  m->set_key("b");
  m->set_value("2");
  w.add_mutations()->mutable_delete_()->set_key("a");
  v1::WriteResponse wr;
  ASSERT_TRUE(stub_->Write(&ctx, w, &wr).ok());
  EXPECT_GT(wr.header().sequence(), put.header().sequence());
  EXPECT_EQ(Get("a"), std::nullopt);
  EXPECT_EQ(Get("b"), "2");

  grpc::ClientContext mctx;
  v1::MultiGetRequest mg;
  mg.add_keys("a");
  mg.add_keys("b");
  v1::MultiGetResponse mgr;
  ASSERT_TRUE(stub_->MultiGet(&mctx, mg, &mgr).ok());
  ASSERT_EQ(mgr.values_size(), 2);
  EXPECT_FALSE(mgr.values(0).found());
  EXPECT_EQ(mgr.values(1).value(), "2");

  grpc::ClientContext sctx;
  v1::StatusResponse st;
  ASSERT_TRUE(admin_->Status(&sctx, v1::StatusRequest(), &st).ok());
  EXPECT_EQ(st.node_id(), 7u);
  EXPECT_GE(st.engine_stats().at("wal_syncs"), 2u) << "writes are durable by default";
}

TEST_F(NodeTest, InvalidRequestsAreRefusedAndCounted) {
  StartNode();
  auto s = Put("", "x");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("key is empty"), std::string::npos);
  s = Put(std::string(kMaxKeySize + 1, 'k'), "x");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(Put("ok", "x").ok());
  auto m = node_->Metrics();
  const auto& put = m.methods[static_cast<int>(Method::kPut)];
  EXPECT_EQ(put.requests[static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT)], 2u);
  EXPECT_EQ(put.requests[0], 1u);
  EXPECT_EQ(put.latency_count, 3u);
}

TEST_F(NodeTest, OversizedMessageIsResourceExhausted) {
  config_.limits.max_receive_message_bytes = 1 << 20;
  StartNode();
  auto s = Put("big", std::string(2 << 20, 'v'));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  EXPECT_TRUE(Put("small", "v").ok()) << "the node keeps serving";
}

TEST_F(NodeTest, ScanBoundsPrefixReverseLimitAndBudget) {
  StartNode();
  for (int i = 0; i < 50; i++) {
    char key[16];
    snprintf(key, sizeof key, "k%02d", i);
    ASSERT_TRUE(Put(key, std::string(100, 'v')).ok());
  }
  ASSERT_TRUE(Put("other", "x").ok());
  grpc::Status st;
  v1::ScanRequest req;
  req.set_prefix("k");
  req.set_max_bytes_per_message(1000);  // ~9 entries of 103 bytes per message
  auto msgs = Scan(req, &st);
  ASSERT_TRUE(st.ok()) << st.error_message();
  size_t total = 0;
  for (const auto& m : msgs) {
    EXPECT_LE(m.size(), 10u);
    total += m.size();
  }
  EXPECT_EQ(total, 50u);
  EXPECT_GE(msgs.size(), 5u);
  EXPECT_EQ(msgs.front().front(), "k00");

  v1::ScanRequest rev;
  rev.set_start("k10");
  rev.set_stop("k20");
  rev.set_reverse(true);
  rev.set_limit(3);
  msgs = Scan(rev, &st);
  ASSERT_TRUE(st.ok());
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0], (std::vector<std::string>{"k19", "k18", "k17"}));

  v1::ScanRequest none;
  none.set_prefix("zzz");
  msgs = Scan(none, &st);
  ASSERT_TRUE(st.ok());
  ASSERT_EQ(msgs.size(), 1u) << "an empty scan still sends its header";
  EXPECT_TRUE(msgs[0].empty());
}

TEST_F(NodeTest, CompareAndSwapIsAtomicUnderConcurrency) {
  StartNode();
  constexpr int kThreads = 8, kIncrements = 25;
  std::atomic<int> conflicts{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kIncrements; i++) {
        for (;;) {
          grpc::ClientContext gctx;
          v1::GetRequest g;
          g.set_key("counter");
          v1::GetResponse gr;
          ASSERT_TRUE(stub_->Get(&gctx, g, &gr).ok());
          int cur = gr.found() ? std::stoi(gr.value()) : 0;
          grpc::ClientContext cctx;
          v1::CompareAndSwapRequest cas;
          cas.set_key("counter");
          if (gr.found()) cas.set_expected(gr.value());
          cas.set_new_value(std::to_string(cur + 1));
          // Durable and async requests share drains (and engine batches).
          if (t % 2 == 0) cas.set_durability(v1::DURABILITY_ASYNC);
          v1::CompareAndSwapResponse cr;
          ASSERT_TRUE(stub_->CompareAndSwap(&cctx, cas, &cr).ok());
          if (cr.applied()) break;
          conflicts++;
        }
        // Blind writes to neighbouring keys race with the CAS traffic.
        ASSERT_TRUE(Put("noise" + std::to_string(t), std::to_string(i)).ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(Get("counter"), std::to_string(kThreads * kIncrements))
      << "a lost update means CAS was not atomic (" << conflicts << " conflicts seen)";

  // Absent-expected creates only once; a missing new_value deletes.
  grpc::ClientContext c1;
  v1::CompareAndSwapRequest create;
  create.set_key("once");
  create.set_new_value("first");
  v1::CompareAndSwapResponse r1;
  ASSERT_TRUE(stub_->CompareAndSwap(&c1, create, &r1).ok());
  EXPECT_TRUE(r1.applied());
  grpc::ClientContext c2;
  create.set_new_value("second");
  v1::CompareAndSwapResponse r2;
  ASSERT_TRUE(stub_->CompareAndSwap(&c2, create, &r2).ok());
  EXPECT_FALSE(r2.applied());
  EXPECT_TRUE(r2.found());
  EXPECT_EQ(r2.current_value(), "first");
  grpc::ClientContext c3;
  v1::CompareAndSwapRequest del;
  del.set_key("once");
  del.set_expected("first");
  v1::CompareAndSwapResponse r3;
  ASSERT_TRUE(stub_->CompareAndSwap(&c3, del, &r3).ok());
  EXPECT_TRUE(r3.applied());
  EXPECT_FALSE(r3.found());
  EXPECT_EQ(Get("once"), std::nullopt);
}

TEST_F(NodeTest, FullWriteQueueAnswersResourceExhausted) {
  config_.limits.max_queued_writes = 1;
  StartNode();
  constexpr int kCalls = 300;
  grpc::CompletionQueue cq;
  struct Call {
    grpc::ClientContext ctx;
    v1::PutResponse resp;
    grpc::Status status;
    std::unique_ptr<grpc::ClientAsyncResponseReader<v1::PutResponse>> rpc;
  };
  std::vector<std::unique_ptr<Call>> calls;
  for (int i = 0; i < kCalls; i++) {
    auto c = std::make_unique<Call>();
    v1::PutRequest req;
    req.set_key("k" + std::to_string(i));
    req.set_value("v");
    c->rpc = stub_->AsyncPut(&c->ctx, req, &cq);
    c->rpc->Finish(&c->resp, &c->status, c.get());
    calls.push_back(std::move(c));
  }
  int ok = 0, exhausted = 0;
  for (int i = 0; i < kCalls; i++) {
    void* tag;
    bool got;
    ASSERT_TRUE(cq.Next(&tag, &got));
    auto* c = static_cast<Call*>(tag);
    if (c->status.ok()) {
      ok++;
    } else {
      EXPECT_EQ(c->status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
          << c->status.error_message();
      exhausted++;
    }
  }
  cq.Shutdown();
  EXPECT_GT(ok, 0);
  EXPECT_GT(exhausted, 0) << "300 concurrent durable puts against a commit queue of 1";
  EXPECT_EQ(node_->Metrics().rejected_overload, static_cast<uint64_t>(exhausted));
  EXPECT_TRUE(Put("after", "x").ok()) << "the node keeps serving";
}

TEST_F(NodeTest, WriteByteBudgetAnswersResourceExhausted) {
  config_.limits.max_inflight_write_bytes = 1 << 20;
  StartNode();
  constexpr int kCalls = 40;
  grpc::CompletionQueue cq;
  struct Call {
    grpc::ClientContext ctx;
    v1::PutResponse resp;
    grpc::Status status;
    std::unique_ptr<grpc::ClientAsyncResponseReader<v1::PutResponse>> rpc;
  };
  std::vector<std::unique_ptr<Call>> calls;
  const std::string value(512 * 1024, 'v');
  for (int i = 0; i < kCalls; i++) {
    auto c = std::make_unique<Call>();
    v1::PutRequest req;
    req.set_key("big" + std::to_string(i));
    req.set_value(value);
    c->rpc = stub_->AsyncPut(&c->ctx, req, &cq);
    c->rpc->Finish(&c->resp, &c->status, c.get());
    calls.push_back(std::move(c));
  }
  int ok = 0, exhausted = 0;
  for (int i = 0; i < kCalls; i++) {
    void* tag;
    bool got;
    ASSERT_TRUE(cq.Next(&tag, &got));
    auto* c = static_cast<Call*>(tag);
    if (c->status.ok()) {
      ok++;
    } else {
      EXPECT_EQ(c->status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
      EXPECT_NE(c->status.error_message().find("write bytes"), std::string::npos);
      exhausted++;
    }
  }
  cq.Shutdown();
  EXPECT_GT(ok, 0);
  EXPECT_GT(exhausted, 0) << "40 x 512 KiB in flight against a 1 MiB budget";
  EXPECT_TRUE(Put("after", value).ok()) << "the budget is released";
}

TEST_F(NodeTest, TokenAuth) {
  config_.auth_token = "s3cret";
  StartNode();
  EXPECT_EQ(Put("k", "v").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  grpc::ClientContext bad;
  bad.AddMetadata("authorization", "Bearer nope");
  v1::PutRequest req;
  req.set_key("k");
  v1::PutResponse resp;
  EXPECT_EQ(stub_->Put(&bad, req, &resp).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  grpc::ClientContext good;
  good.AddMetadata("authorization", "Bearer s3cret");
  EXPECT_TRUE(stub_->Put(&good, req, &resp).ok());
}

TEST_F(NodeTest, ShutdownDrainsAndReopenKeepsData) {
  StartNode();
  ASSERT_TRUE(Put("durable", "yes").ok());
  constexpr int kWriters = 4;
  std::atomic<int> acked{0};
  std::vector<int> last_acked(kWriters, -1);
  std::vector<std::thread> writers;
  for (int t = 0; t < kWriters; t++) {
    writers.emplace_back([&, t] {
      for (int i = 0;; i++) {
        auto s = Put("w" + std::to_string(t) + "-" + std::to_string(i), "v");
        if (!s.ok()) {
          EXPECT_TRUE(s.error_code() == grpc::StatusCode::UNAVAILABLE ||
                      s.error_code() == grpc::StatusCode::CANCELLED)
              << s.error_code() << " " << s.error_message();
          break;
        }
        last_acked[t] = i;
        acked++;
      }
    });
  }
  while (acked.load() < 50) std::this_thread::yield();  // writes are flowing
  node_->Shutdown(5);
  EXPECT_TRUE(node_->Wait(0));
  for (auto& th : writers) th.join();
  node_->Shutdown(5);  // idempotent
  node_.reset();
  StartNode();
  EXPECT_EQ(Get("durable"), "yes");
  for (int t = 0; t < kWriters; t++) {
    ASSERT_GE(last_acked[t], 0);
    EXPECT_EQ(Get("w" + std::to_string(t) + "-" + std::to_string(last_acked[t])), "v")
        << "an acknowledged put survives shutdown";
  }
}

TEST_F(NodeTest, BindFailureIsReported) {
  StartNode();
  NodeConfig other = config_;
  other.data_dir = dir_ + "/db2";
  other.listen_address = node_->address();  // taken
  std::unique_ptr<Node> second;
  ASSERT_TRUE(Node::Open(other, &second).ok());
  int port = 0;
  Status s = second->Start(&port);
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
}

}  // namespace
}  // namespace kvstore::node
