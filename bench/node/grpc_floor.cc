// grpc_floor: the cheapest server of kvstore.v1.KV's Get and Put that gRPC C++ allows here,
// to measure what the RPC layer alone costs per call (bench/node/floor.py drives it with
// node_load, beside Redis and the real node).
//
// It does no work: Get answers found=true with a fixed value (--value-size bytes, 100 by
// default) and Put answers OK without looking at the request. No engine, no queues, no
// validation, no health or reflection service. The other KV methods answer UNIMPLEMENTED
// (callback mode) or are never served (cq mode: nothing is requested for them, so a call
// to one waits until its deadline).
//
// Two server shapes, --mode:
//   callback : KV::CallbackService, the handler finishes the call inline on gRPC's
//              thread, as cpp/node does (ServerUnaryReactor via DefaultReactor()).
//   cq       : KV::AsyncService with --threads ServerCompletionQueues (default: one per
//              core), each polled by one thread blocked in Next(); each queue has
//              --prepost calls of each method requested in advance, and every accepted
//              call requests its replacement before it answers (the classic async shape).
// Server knobs (both modes): --arg=NAME=VALUE adds a channel argument (an integer when
// VALUE parses as one, else a string), repeatable; --quota-mib=N sets a resource quota.
//
// Listens on 127.0.0.1:--port (0: any free port), prints one line
//   {"event": "floor.listening", "port": N, "mode": "..."}
// on stdout once serving, and shuts down on SIGTERM or SIGINT.

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <grpcpp/resource_quota.h>

#include "kvstore/v1/kv.grpc.pb.h"
#include "node/grpc_runtime.h"

namespace {

using kvstore::v1::GetRequest;
using kvstore::v1::GetResponse;
using kvstore::v1::KV;
using kvstore::v1::PutRequest;
using kvstore::v1::PutResponse;

struct Options {
  std::string mode = "callback";
  int port = 0;
  int threads = 0;  // cq mode: completion queues, one polling thread each; 0 = cores
  int prepost = 64;
  int value_size = 100;
  int quota_mib = 0;  // 0: gRPC's default resource quota
  std::vector<std::pair<std::string, std::string>> args;
};

[[noreturn]] void Usage(const std::string& why) {
  if (!why.empty()) std::fprintf(stderr, "grpc_floor: %s\n", why.c_str());
  std::fprintf(stderr,
               "usage: grpc_floor --mode=callback|cq [--port=N] [--threads=N] [--prepost=N]\n"
               "         [--value-size=100] [--quota-mib=N] [--arg=NAME=VALUE ...]\n");
  std::exit(2);
}

Options Parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto eq = a.find('=');
    if (a.rfind("--", 0) != 0 || eq == std::string::npos) Usage("bad argument " + a);
    std::string name = a.substr(2, eq - 2), v = a.substr(eq + 1);
    try {
      if (name == "mode") o.mode = v;
      else if (name == "port") o.port = std::stoi(v);
      else if (name == "threads") o.threads = std::stoi(v);
      else if (name == "prepost") o.prepost = std::stoi(v);
      else if (name == "value-size") o.value_size = std::stoi(v);
      else if (name == "quota-mib") o.quota_mib = std::stoi(v);
      else if (name == "arg") {
        auto e = v.find('=');
        if (e == std::string::npos || e == 0) Usage("--arg wants NAME=VALUE, got " + v);
        o.args.emplace_back(v.substr(0, e), v.substr(e + 1));
      } else Usage("unknown option --" + name);
    } catch (const std::exception&) {
      Usage("bad value for --" + name + ": " + v);
    }
  }
  if (o.mode != "callback" && o.mode != "cq") Usage("unknown mode " + o.mode);
  if (o.threads <= 0) o.threads = static_cast<int>(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)));
  if (o.prepost < 1 || o.value_size < 0 || o.port < 0) Usage("bad --prepost, --value-size or --port");
  return o;
}

void FillGet(GetResponse* resp, const std::string& value) {
  resp->mutable_header()->set_node_id(1);
  resp->set_found(true);
  resp->set_value(value);
}

// ------------------------------------------------------------------ callback API

class CallbackFloor final : public KV::CallbackService {
 public:
  explicit CallbackFloor(std::string value) : value_(std::move(value)) {}

  grpc::ServerUnaryReactor* Get(grpc::CallbackServerContext* ctx, const GetRequest* /*req*/,
                                GetResponse* resp) override {
    FillGet(resp, value_);
    grpc::ServerUnaryReactor* r = ctx->DefaultReactor();
    r->Finish(grpc::Status::OK);
    return r;
  }

  grpc::ServerUnaryReactor* Put(grpc::CallbackServerContext* ctx, const PutRequest* /*req*/,
                                PutResponse* resp) override {
    resp->mutable_header()->set_node_id(1);
    grpc::ServerUnaryReactor* r = ctx->DefaultReactor();
    r->Finish(grpc::Status::OK);
    return r;
  }

 private:
  const std::string value_;
};

// ------------------------------------------------------------------ completion-queue API

// One accepted-or-awaited call; its tag is itself. Proceed(ok) runs on the polling thread
// of the queue it was requested on: first when a call arrives (or the queue shuts down),
// then once its answer is sent, when it deletes itself.
class CqCall {
 public:
  virtual ~CqCall() = default;
  virtual void Proceed(bool ok) = 0;
};

template <typename Request, typename Response>
class CqUnary final : public CqCall {
 public:
  using Fill = void (*)(Response*, const std::string&);
  using RequestFn = void (KV::AsyncService::*)(grpc::ServerContext*, Request*,
                                               grpc::ServerAsyncResponseWriter<Response>*,
                                               grpc::CompletionQueue*,
                                               grpc::ServerCompletionQueue*, void*);

  CqUnary(KV::AsyncService* svc, grpc::ServerCompletionQueue* cq, RequestFn request, Fill fill,
          const std::string* value)
      : svc_(svc), cq_(cq), request_(request), fill_(fill), value_(value), writer_(&ctx_) {
    (svc_->*request_)(&ctx_, &req_, &writer_, cq_, cq_, this);
  }

  void Proceed(bool ok) override {
    if (answered_ || !ok) {  // the answer went out, or the queue is shutting down
      delete this;
      return;
    }
    new CqUnary(svc_, cq_, request_, fill_, value_);  // keep the method requested
    fill_(&resp_, *value_);
    answered_ = true;
    writer_.Finish(resp_, grpc::Status::OK, this);
  }

 private:
  KV::AsyncService* svc_;
  grpc::ServerCompletionQueue* cq_;
  RequestFn request_;
  Fill fill_;
  const std::string* value_;
  grpc::ServerContext ctx_;
  Request req_;
  Response resp_;
  grpc::ServerAsyncResponseWriter<Response> writer_;
  bool answered_ = false;
};

void FillPut(PutResponse* resp, const std::string& /*value*/) {
  resp->mutable_header()->set_node_id(1);
}

void PollQueue(grpc::ServerCompletionQueue* cq) {
  void* tag = nullptr;
  bool ok = false;
  while (cq->Next(&tag, &ok)) static_cast<CqCall*>(tag)->Proceed(ok);
}

void AddArg(grpc::ServerBuilder* b, const std::string& name, const std::string& value) {
  char* end = nullptr;
  long n = std::strtol(value.c_str(), &end, 10);
  if (!value.empty() && end != nullptr && *end == '\0') {
    b->AddChannelArgument(name, static_cast<int>(n));
  } else {
    b->AddChannelArgument(name, value);
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o = Parse(argc, argv);
  kvstore::node::ConfigureGrpcRuntime();
  // Block the stop signals in every thread; the main thread waits for them below.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  const std::string value(static_cast<size_t>(o.value_size), 'v');
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:" + std::to_string(o.port),
                           grpc::InsecureServerCredentials(), &port);
  builder.SetMaxReceiveMessageSize(-1);
  builder.SetMaxSendMessageSize(-1);
  for (const auto& [name, v] : o.args) AddArg(&builder, name, v);
  grpc::ResourceQuota quota("grpc_floor");
  if (o.quota_mib > 0) {
    quota.Resize(static_cast<size_t>(o.quota_mib) << 20);
    builder.SetResourceQuota(quota);
  }

  CallbackFloor callback(value);
  KV::AsyncService async;
  std::vector<std::unique_ptr<grpc::ServerCompletionQueue>> cqs;
  if (o.mode == "callback") {
    builder.RegisterService(&callback);
  } else {
    builder.RegisterService(&async);
    for (int i = 0; i < o.threads; ++i) cqs.push_back(builder.AddCompletionQueue());
  }
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::fprintf(stderr, "grpc_floor: cannot listen on 127.0.0.1:%d\n", o.port);
    return 1;
  }
  std::vector<std::thread> pollers;
  for (auto& cq : cqs) {
    for (int i = 0; i < o.prepost; ++i) {
      new CqUnary<GetRequest, GetResponse>(&async, cq.get(), &KV::AsyncService::RequestGet,
                                           &FillGet, &value);
      new CqUnary<PutRequest, PutResponse>(&async, cq.get(), &KV::AsyncService::RequestPut,
                                           &FillPut, &value);
    }
    pollers.emplace_back(PollQueue, cq.get());
  }
  std::printf("{\"event\": \"floor.listening\", \"port\": %d, \"mode\": \"%s\"}\n", port,
              o.mode.c_str());
  std::fflush(stdout);

  int sig = 0;
  sigwait(&stop, &sig);
  server->Shutdown(std::chrono::system_clock::now());
  for (auto& cq : cqs) cq->Shutdown();
  for (auto& t : pollers) t.join();
  return 0;
}
