// node_load: a closed-loop load generator for key-value servers, in C++ so that the
// client is not what limits the measurement.
//
// It speaks three protocols with the same workloads and the same timing:
//   kvstore : kvstore.v1.KV Put / Get over gRPC (the callback API, several channels,
//             each its own TCP connection)
//   etcd    : etcd's v3 KV Put / Range (serializable) over gRPC (bench/node/etcd_kv.proto)
//   redis   : SET / GET in RESP over plain TCP, one connection per outstanding request,
//             driven by a few threads with poll()
//
// Closed loop: `--concurrency` requests are outstanding at every instant; each
// completion immediately issues the next one. Workloads:
//   load : writes keys 0..keys-1 once each (no time window), the preload for `get`
//   put  : durable writes of random keys in [0, keys), 100-byte values by default
//   get  : reads of random keys in [0, keys) (after `load`); a miss is counted
//   ping : one successful request with retries until --timeout (readiness probe)
//
// After `--warmup` seconds the measured window of `--duration` seconds starts: the
// operations that both start and finish inside it give the throughput and the latency
// percentiles. The CPU time (utime + stime from /proc/<pid>/stat) of this process and,
// with --server-pid, of the server is read at both ends of the window, so a client
// that saturates its cores shows up beside the numbers. One JSON object on stdout.

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "etcd_kv.grpc.pb.h"
#include "kvstore/v1/kv.grpc.pb.h"
#include "node/grpc_runtime.h"

namespace {

using Clock = std::chrono::steady_clock;

// ------------------------------------------------------------------ options

struct Options {
  std::string system = "kvstore";  // kvstore | etcd | redis
  std::string target = "127.0.0.1:7379";
  std::string workload = "put";  // load | put | get | ping
  int concurrency = 1;
  int channels = 0;  // gRPC channels (connections); 0 = min(concurrency, 8)
  int threads = 0;   // redis driver threads; 0 = min(concurrency, 2)
  double warmup = 1.0;
  double duration = 5.0;
  double timeout = 30.0;  // per request (gRPC deadline) and for ping
  uint64_t keys = 100000;
  int key_size = 16;
  int value_size = 100;
  int server_pid = 0;
  uint64_t seed = 301;
};

[[noreturn]] void Usage(const std::string& why) {
  if (!why.empty()) std::fprintf(stderr, "node_load: %s\n", why.c_str());
  std::fprintf(stderr,
               "usage: node_load --system=kvstore|etcd|redis --target=HOST:PORT\n"
               "         --workload=load|put|get|ping [--concurrency=N] [--channels=N]\n"
               "         [--threads=N] [--warmup=S] [--duration=S] [--timeout=S]\n"
               "         [--keys=N] [--key-size=16] [--value-size=100]\n"
               "         [--server-pid=PID] [--seed=N]\n");
  std::exit(2);
}

Options Parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") Usage("");
    auto eq = a.find('=');
    if (a.rfind("--", 0) != 0 || eq == std::string::npos) Usage("bad argument " + a);
    std::string name = a.substr(2, eq - 2), v = a.substr(eq + 1);
    try {
      if (name == "system") o.system = v;
      else if (name == "target") o.target = v;
      else if (name == "workload") o.workload = v;
      else if (name == "concurrency") o.concurrency = std::stoi(v);
      else if (name == "channels") o.channels = std::stoi(v);
      else if (name == "threads") o.threads = std::stoi(v);
      else if (name == "warmup") o.warmup = std::stod(v);
      else if (name == "duration") o.duration = std::stod(v);
      else if (name == "timeout") o.timeout = std::stod(v);
      else if (name == "keys") o.keys = std::stoull(v);
      else if (name == "key-size") o.key_size = std::stoi(v);
      else if (name == "value-size") o.value_size = std::stoi(v);
      else if (name == "server-pid") o.server_pid = std::stoi(v);
      else if (name == "seed") o.seed = std::stoull(v);
      else Usage("unknown option --" + name);
    } catch (const std::exception&) {
      Usage("bad value for --" + name + ": " + v);
    }
  }
  if (o.system != "kvstore" && o.system != "etcd" && o.system != "redis")
    Usage("unknown system " + o.system);
  if (o.workload != "load" && o.workload != "put" && o.workload != "get" && o.workload != "ping")
    Usage("unknown workload " + o.workload);
  if (o.concurrency < 1 || o.keys < 1 || o.key_size < 8 || o.value_size < 0)
    Usage("concurrency, keys must be >= 1 and key-size >= 8");
  if (o.workload == "ping") o.concurrency = 1;
  if (o.channels <= 0) o.channels = std::min(o.concurrency, 8);
  if (o.threads <= 0) o.threads = std::min(o.concurrency, 2);
  return o;
}

// ------------------------------------------------------------------ helpers

// Clock ticks of user + system CPU time of a process (fields 14 and 15 of /proc/PID/stat).
double CpuSeconds(int pid) {
  std::ifstream f(pid > 0 ? "/proc/" + std::to_string(pid) + "/stat" : "/proc/self/stat");
  std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  auto close = s.rfind(')');  // the command name may hold spaces
  if (close == std::string::npos) return -1;
  std::istringstream in(s.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && in >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Busy CPU seconds of the whole machine (every core; /proc/stat minus idle and iowait):
// what the client and the server did not use of it was other load.
double MachineBusySeconds() {
  std::ifstream f("/proc/stat");
  std::string cpu;
  unsigned long long v[8] = {};
  f >> cpu;
  for (auto& x : v) f >> x;
  // user nice system idle iowait irq softirq steal
  unsigned long long busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
  return static_cast<double>(busy) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

struct Rng {  // splitmix64: cheap, and independent streams per slot from one seed
  uint64_t s;
  uint64_t Next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
};

// "key" + the zero-padded decimal index, key_size bytes in all.
std::string MakeKey(uint64_t index, int key_size) {
  std::string digits = std::to_string(index);
  std::string key = "key";
  int pad = key_size - 3 - static_cast<int>(digits.size());
  if (pad > 0) key.append(static_cast<size_t>(pad), '0');
  key += digits;
  key.resize(static_cast<size_t>(key_size), '0');
  return key;
}

// A pool of random printable bytes; a value is a slice of it at a random offset.
struct ValueSource {
  std::string pool;
  int size;
  ValueSource(int value_size, uint64_t seed) : size(value_size) {
    Rng r{seed};
    pool.resize(static_cast<size_t>(value_size) + 4096);
    for (auto& c : pool) c = static_cast<char>('a' + r.Next() % 26);
  }
  std::string_view Get(Rng& r) const {
    return std::string_view(pool).substr(r.Next() % 4096, static_cast<size_t>(size));
  }
};

// Shared state of one run: the measured window, the stop flag and the load counter.
struct Run {
  Options opt;
  ValueSource values;
  Clock::time_point window_start, window_end;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> next_load{0};
  std::atomic<int> active{0};
  std::mutex mu;
  std::condition_variable cv;
  std::string first_error;
  explicit Run(const Options& o) : opt(o), values(o.value_size, o.seed ^ 0x5eed) {}

  bool NextKey(Rng& rng, uint64_t* index) {
    if (opt.workload == "load") {
      *index = next_load.fetch_add(1);
      return *index < opt.keys;
    }
    *index = rng.Next() % opt.keys;
    return true;
  }
  void SlotFinished() {
    std::lock_guard<std::mutex> l(mu);
    if (--active == 0) cv.notify_all();
  }
  void NoteError(const std::string& e) {
    std::lock_guard<std::mutex> l(mu);
    if (first_error.empty()) first_error = e;
  }
};

// What one outstanding-request slot (or, for Redis, one connection) measured.
struct Tally {
  std::vector<uint64_t> latency_ns;  // operations inside the window
  uint64_t ops_total = 0, errors = 0, misses = 0;
  void Record(const Run& run, Clock::time_point sent, Clock::time_point done, bool ok,
              bool miss) {
    ++ops_total;
    if (!ok) ++errors;
    if (miss) ++misses;
    if (ok && sent >= run.window_start && done <= run.window_end)
      latency_ns.push_back(static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(done - sent).count()));
  }
};

// ------------------------------------------------------------------ gRPC (kvstore, etcd)

// One closed-loop slot: issues a call, and from its completion callback the next one.
class GrpcSlot {
 public:
  GrpcSlot(Run* run, int id, kvstore::v1::KV::Stub* kv, etcdserverpb::KV::Stub* etcd)
      : run_(run), rng_{run->opt.seed * 1000003 + static_cast<uint64_t>(id)}, kv_(kv),
        etcd_(etcd) {}

  void Issue() {
    uint64_t index = 0;
    if (run_->stop.load(std::memory_order_relaxed) || !run_->NextKey(rng_, &index)) {
      run_->SlotFinished();
      return;
    }
    ctx_ = std::make_unique<grpc::ClientContext>();
    ctx_->set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(static_cast<int64_t>(run_->opt.timeout * 1000)));
    std::string key = MakeKey(index, run_->opt.key_size);
    bool write = run_->opt.workload == "put" || run_->opt.workload == "load";
    sent_ = Clock::now();
    if (kv_ != nullptr && write) {
      kput_.set_key(key);
      kput_.set_value(std::string(run_->values.Get(rng_)));  // durability: the default (sync)
      kv_->async()->Put(ctx_.get(), &kput_, &kput_resp_,
                        [this](grpc::Status s) { Done(s, false); });
    } else if (kv_ != nullptr) {
      kget_.set_key(key);
      kget_resp_.Clear();
      kv_->async()->Get(ctx_.get(), &kget_, &kget_resp_,
                        [this](grpc::Status s) { Done(s, s.ok() && !kget_resp_.found()); });
    } else if (write) {
      eput_.set_key(key);
      eput_.set_value(std::string(run_->values.Get(rng_)));
      etcd_->async()->Put(ctx_.get(), &eput_, &eput_resp_,
                          [this](grpc::Status s) { Done(s, false); });
    } else {
      erange_.set_key(key);
      erange_.set_serializable(true);
      erange_resp_.Clear();
      etcd_->async()->Range(ctx_.get(), &erange_, &erange_resp_, [this](grpc::Status s) {
        Done(s, s.ok() && erange_resp_.kvs_size() == 0);
      });
    }
  }

  Tally tally;

 private:
  void Done(const grpc::Status& s, bool miss) {
    tally.Record(*run_, sent_, Clock::now(), s.ok(), miss);
    if (!s.ok()) {
      run_->NoteError("gRPC " + std::to_string(s.error_code()) + ": " + s.error_message());
      // A failing server must not turn the loop into a spin: stop this slot.
      if (run_->opt.workload != "ping") {
        run_->SlotFinished();
        return;
      }
    }
    if (run_->opt.workload == "ping") {
      if (s.ok() || Clock::now() >= run_->window_end) {
        run_->SlotFinished();
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    Issue();
  }

  Run* run_;
  Rng rng_;
  kvstore::v1::KV::Stub* kv_;
  etcdserverpb::KV::Stub* etcd_;
  std::unique_ptr<grpc::ClientContext> ctx_;
  Clock::time_point sent_;
  kvstore::v1::PutRequest kput_;
  kvstore::v1::PutResponse kput_resp_;
  kvstore::v1::GetRequest kget_;
  kvstore::v1::GetResponse kget_resp_;
  etcdserverpb::PutRequest eput_;
  etcdserverpb::PutResponse eput_resp_;
  etcdserverpb::RangeRequest erange_;
  etcdserverpb::RangeResponse erange_resp_;
};

std::vector<Tally> RunGrpc(Run* run) {
  const Options& o = run->opt;
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  std::vector<std::unique_ptr<kvstore::v1::KV::Stub>> kv;
  std::vector<std::unique_ptr<etcdserverpb::KV::Stub>> etcd;
  for (int i = 0; i < o.channels; ++i) {
    grpc::ChannelArguments args;
    // Each channel its own subchannel pool, hence its own TCP connection.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt("kvstore.bench.channel", i);
    args.SetInt(GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH, -1);
    channels.push_back(
        grpc::CreateCustomChannel(o.target, grpc::InsecureChannelCredentials(), args));
    if (o.system == "kvstore") kv.push_back(kvstore::v1::KV::NewStub(channels.back()));
    else etcd.push_back(etcdserverpb::KV::NewStub(channels.back()));
  }
  for (auto& ch : channels) {
    // Connect before the clock starts (ping waits for readiness by retrying instead).
    if (o.workload != "ping")
      ch->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10));
  }
  std::vector<std::unique_ptr<GrpcSlot>> slots;
  for (int i = 0; i < o.concurrency; ++i) {
    int c = i % o.channels;
    slots.push_back(std::make_unique<GrpcSlot>(run, i, o.system == "kvstore" ? kv[c].get() : nullptr,
                                               o.system == "etcd" ? etcd[c].get() : nullptr));
  }
  run->active = o.concurrency;
  for (auto& s : slots) s->Issue();
  {
    std::unique_lock<std::mutex> l(run->mu);
    run->cv.wait(l, [&] { return run->active.load() == 0; });
  }
  std::vector<Tally> out;
  for (auto& s : slots) out.push_back(std::move(s->tally));
  return out;
}

// ------------------------------------------------------------------ Redis (RESP over TCP)

struct RedisConn {
  int fd = -1;
  std::string out;      // bytes not yet written
  std::string in;       // bytes read, not yet parsed
  size_t in_pos = 0;
  std::deque<Clock::time_point> sent;  // one per outstanding request, in order
  bool done = false;                   // no more requests will be issued
  Rng rng{0};
  Tally tally;
};

int ConnectTcp(const std::string& target) {
  auto colon = target.rfind(':');
  if (colon == std::string::npos) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(std::stoi(target.substr(colon + 1))));
  std::string host = target.substr(0, colon);
  if (host == "localhost") host = "127.0.0.1";
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) return -1;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

void AppendBulk(std::string* out, std::string_view s) {
  *out += '$';
  *out += std::to_string(s.size());
  *out += "\r\n";
  out->append(s);
  *out += "\r\n";
}

// Queues the next request on c; false when the workload has no more to issue.
bool RedisIssue(Run* run, RedisConn* c) {
  uint64_t index = 0;
  if (run->stop.load(std::memory_order_relaxed) || !run->NextKey(c->rng, &index)) return false;
  std::string key = MakeKey(index, run->opt.key_size);
  if (run->opt.workload == "get" || run->opt.workload == "ping") {
    c->out += "*2\r\n";
    AppendBulk(&c->out, "GET");
    AppendBulk(&c->out, key);
  } else {
    c->out += "*3\r\n";
    AppendBulk(&c->out, "SET");
    AppendBulk(&c->out, key);
    AppendBulk(&c->out, run->values.Get(c->rng));
  }
  c->sent.push_back(Clock::now());
  return true;
}

// Parses one reply at c->in[in_pos..]: 1 = parsed (ok / miss set), 0 = incomplete.
int RedisParse(RedisConn* c, bool* ok, bool* miss, std::string* err) {
  const std::string& b = c->in;
  size_t eol = b.find("\r\n", c->in_pos);
  if (eol == std::string::npos) return 0;
  char kind = b[c->in_pos];
  std::string head = b.substr(c->in_pos + 1, eol - c->in_pos - 1);
  *ok = true;
  *miss = false;
  if (kind == '+' || kind == ':') {
    c->in_pos = eol + 2;
  } else if (kind == '-') {
    *ok = false;
    *err = head;
    c->in_pos = eol + 2;
  } else if (kind == '$') {
    long n = std::stol(head);
    if (n < 0) {
      *miss = true;
      c->in_pos = eol + 2;
    } else {
      if (b.size() < eol + 2 + static_cast<size_t>(n) + 2) return 0;
      c->in_pos = eol + 2 + static_cast<size_t>(n) + 2;
    }
  } else {
    *ok = false;
    *err = "unexpected reply byte";
    c->in_pos = b.size();
  }
  return 1;
}

void RedisThread(Run* run, std::vector<RedisConn*> conns) {
  for (auto* c : conns) {
    if (!RedisIssue(run, c)) c->done = true;
  }
  std::vector<pollfd> pfds(conns.size());
  char buf[65536];
  for (;;) {
    size_t live = 0;
    for (size_t i = 0; i < conns.size(); ++i) {
      RedisConn* c = conns[i];
      pfds[i].fd = (c->sent.empty() && c->out.empty()) ? -1 : c->fd;
      pfds[i].events = static_cast<short>(POLLIN | (c->out.empty() ? 0 : POLLOUT));
      pfds[i].revents = 0;
      if (pfds[i].fd >= 0) ++live;
    }
    if (live == 0) return;
    int n = poll(pfds.data(), pfds.size(), 100);
    if (n < 0 && errno != EINTR) return;
    for (size_t i = 0; i < conns.size(); ++i) {
      RedisConn* c = conns[i];
      if (pfds[i].fd < 0) continue;
      if (!c->out.empty()) {  // write eagerly: usually the socket takes it all
        ssize_t w = write(c->fd, c->out.data(), c->out.size());
        if (w > 0) c->out.erase(0, static_cast<size_t>(w));
      }
      if (!(pfds[i].revents & (POLLIN | POLLERR | POLLHUP))) continue;
      ssize_t r = read(c->fd, buf, sizeof(buf));
      if (r <= 0) {
        if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        run->NoteError("redis connection closed");
        c->tally.errors += c->sent.size();
        c->sent.clear();
        c->out.clear();
        c->done = true;
        continue;
      }
      c->in.append(buf, static_cast<size_t>(r));
      bool ok = false, miss = false;
      std::string err;
      while (!c->sent.empty() && RedisParse(c, &ok, &miss, &err) == 1) {
        auto now = Clock::now();
        c->tally.Record(*run, c->sent.front(), now, ok, miss);
        c->sent.pop_front();
        if (!ok) {
          run->NoteError("redis: " + err);
          c->done = true;
        }
        if (run->opt.workload == "ping" && !ok) {
          c->done = false;  // retried below until the deadline
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
          if (now < run->window_end) {
            RedisIssue(run, c);
            continue;
          }
          c->done = true;
        }
        if (run->opt.workload == "ping") c->done = true;
        if (!c->done && !RedisIssue(run, c)) c->done = true;
      }
      if (c->in_pos > 0) {
        c->in.erase(0, c->in_pos);
        c->in_pos = 0;
      }
    }
  }
}

std::vector<Tally> RunRedis(Run* run) {
  const Options& o = run->opt;
  std::vector<std::unique_ptr<RedisConn>> conns;
  Clock::time_point give_up = Clock::now() + std::chrono::milliseconds(
                                                 static_cast<int64_t>(o.timeout * 1000));
  for (int i = 0; i < o.concurrency; ++i) {
    auto c = std::make_unique<RedisConn>();
    c->rng = Rng{o.seed * 1000003 + static_cast<uint64_t>(i)};
    for (;;) {
      c->fd = ConnectTcp(o.target);
      if (c->fd >= 0 || o.workload != "ping" || Clock::now() >= give_up) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (c->fd < 0) {
      run->NoteError("cannot connect to " + o.target + ": " + std::strerror(errno));
      return {};
    }
    conns.push_back(std::move(c));
  }
  int threads = std::min(o.threads, o.concurrency);
  std::vector<std::vector<RedisConn*>> parts(static_cast<size_t>(threads));
  for (size_t i = 0; i < conns.size(); ++i)
    parts[i % static_cast<size_t>(threads)].push_back(conns[i].get());
  std::vector<std::thread> ts;
  for (auto& p : parts) ts.emplace_back(RedisThread, run, p);
  for (auto& t : ts) t.join();
  std::vector<Tally> out;
  for (auto& c : conns) {
    close(c->fd);
    out.push_back(std::move(c->tally));
  }
  return out;
}

// ------------------------------------------------------------------ report

double Percentile(const std::vector<uint64_t>& sorted, double q) {
  if (sorted.empty()) return 0;
  size_t i = static_cast<size_t>(q * static_cast<double>(sorted.size() - 1) + 0.5);
  return static_cast<double>(sorted[std::min(i, sorted.size() - 1)]) / 1000.0;
}

std::string JsonString(const std::string& s) {
  std::string o = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\', o += c;
    else if (static_cast<unsigned char>(c) < 0x20) o += ' ';
    else o += c;
  }
  return o + "\"";
}

}  // namespace

int main(int argc, char** argv) {
  Options o = Parse(argc, argv);
  kvstore::node::ConfigureGrpcRuntime();
  Run run(o);
  auto start = Clock::now();
  auto secs = [](double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
  };
  if (o.workload == "load") {  // every operation counts; no window
    run.window_start = start;
    run.window_end = Clock::time_point::max();
  } else if (o.workload == "ping") {
    run.window_start = start;
    run.window_end = start + secs(o.timeout);
  } else {
    run.window_start = start + secs(o.warmup);
    run.window_end = run.window_start + secs(o.duration);
  }

  // CPU at the window's edges, read by a timer thread so the drivers are untouched.
  double client_cpu0 = CpuSeconds(0), server_cpu0 = o.server_pid ? CpuSeconds(o.server_pid) : 0;
  double client_cpu1 = -1, server_cpu1 = -1;
  double machine0 = MachineBusySeconds(), machine1 = -1;
  std::thread timer;
  if (o.workload == "put" || o.workload == "get") {
    timer = std::thread([&] {
      std::this_thread::sleep_until(run.window_start);
      client_cpu0 = CpuSeconds(0);
      if (o.server_pid) server_cpu0 = CpuSeconds(o.server_pid);
      machine0 = MachineBusySeconds();
      std::this_thread::sleep_until(run.window_end);
      client_cpu1 = CpuSeconds(0);
      if (o.server_pid) server_cpu1 = CpuSeconds(o.server_pid);
      machine1 = MachineBusySeconds();
      run.stop = true;
    });
  }

  std::vector<Tally> tallies = o.system == "redis" ? RunRedis(&run) : RunGrpc(&run);
  auto end = Clock::now();
  if (timer.joinable()) timer.join();
  double window;
  if (o.workload == "put" || o.workload == "get") {
    window = o.duration;
  } else {
    window = std::chrono::duration<double>(end - start).count();
    client_cpu1 = CpuSeconds(0);
    if (o.server_pid) server_cpu1 = CpuSeconds(o.server_pid);
    machine1 = MachineBusySeconds();
  }

  std::vector<uint64_t> lat;
  uint64_t ops_total = 0, errors = 0, misses = 0;
  for (auto& t : tallies) {
    lat.insert(lat.end(), t.latency_ns.begin(), t.latency_ns.end());
    ops_total += t.ops_total;
    errors += t.errors;
    misses += t.misses;
  }
  std::sort(lat.begin(), lat.end());
  uint64_t ops = (o.workload == "load") ? ops_total - errors : lat.size();
  if (o.workload == "ping") ops = ops_total - errors;
  double mean = 0;
  for (auto x : lat) mean += static_cast<double>(x);
  mean = lat.empty() ? 0 : mean / static_cast<double>(lat.size()) / 1000.0;

  std::printf(
      "{\"system\": %s, \"workload\": %s, \"target\": %s, \"concurrency\": %d, "
      "\"channels\": %d, \"threads\": %d, \"keys\": %llu, \"key_size\": %d, \"value_size\": %d, "
      "\"warmup_s\": %.3f, \"seconds\": %.3f, \"ops\": %llu, \"ops_total\": %llu, "
      "\"ops_per_s\": %.1f, \"errors\": %llu, \"misses\": %llu, "
      "\"mean_us\": %.1f, \"p50_us\": %.1f, \"p99_us\": %.1f, \"p999_us\": %.1f, "
      "\"max_us\": %.1f, \"client_cpu_s\": %.3f, \"server_cpu_s\": %.3f, "
      "\"client_cpu_per_op_us\": %.2f, \"server_cpu_per_op_us\": %.2f, "
      "\"machine_busy_cpu_s\": %.3f, \"cores\": %ld, \"first_error\": %s}\n",
      JsonString(o.system).c_str(), JsonString(o.workload).c_str(), JsonString(o.target).c_str(),
      o.concurrency, o.system == "redis" ? o.concurrency : o.channels,
      o.system == "redis" ? std::min(o.threads, o.concurrency) : 0,
      static_cast<unsigned long long>(o.keys), o.key_size, o.value_size,
      o.workload == "load" ? 0.0 : o.warmup, window, static_cast<unsigned long long>(ops),
      static_cast<unsigned long long>(ops_total),
      window > 0 ? static_cast<double>(ops) / window : 0.0,
      static_cast<unsigned long long>(errors), static_cast<unsigned long long>(misses), mean,
      Percentile(lat, 0.50), Percentile(lat, 0.99), Percentile(lat, 0.999),
      lat.empty() ? 0.0 : static_cast<double>(lat.back()) / 1000.0, client_cpu1 - client_cpu0,
      o.server_pid ? server_cpu1 - server_cpu0 : -1.0,
      ops ? (client_cpu1 - client_cpu0) / static_cast<double>(ops) * 1e6 : 0.0,
      (ops && o.server_pid) ? (server_cpu1 - server_cpu0) / static_cast<double>(ops) * 1e6 : 0.0,
      machine1 - machine0, sysconf(_SC_NPROCESSORS_ONLN), JsonString(run.first_error).c_str());
  std::fflush(stdout);
  if (o.workload == "ping") return ops > 0 ? 0 : 1;
  return (ops == 0 || errors > 0) ? 1 : 0;
}
