// engine_bench: the engine suite's workloads in C++, with no Python in the way, so the cost of
// the binding is visible next to `python -m bench.engine`. Built by CMake with
// -DKVSTORE_BENCH=ON; drives RocksDB and LevelDB too when their development packages
// (Debian's librocksdb-dev, libleveldb-dev) were found at configure time.
//
//   engine_bench [--num=1000000] [--engines=kvstore,rocksdb,leveldb] [--workloads=a,b,...]
//                [--db=DIR] [--time_cap=20] [--sync_ops=20000] [--json=FILE]
//
// Same shapes as the Python suite: 16-byte zero-padded decimal keys, 100-byte values that are
// half random and half a repeat, a seeded permutation for random order, missing keys with a
// trailing '.', one op in 16 timed alone for p50/p99, each workload stopped at the time cap
// (the initial fillrandom load is not). Peers run with their defaults and again with 10-bit
// bloom filters. Durability: WAL on, no fsync, except fillsync/fillsync4 (sync per write).
//
// Uses only the public headers of kvstore (cpp/include/kvstore).

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "kvstore/db.h"
#include "kvstore/iterator.h"
#include "kvstore/options.h"
#include "kvstore/write_batch.h"

#ifdef KVSTORE_BENCH_WITH_ROCKSDB
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#endif
#ifdef KVSTORE_BENCH_WITH_LEVELDB
#include <leveldb/db.h>
#include <leveldb/filter_policy.h>
#include <leveldb/write_batch.h>
#endif

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "engine_bench: %s\n", what.c_str());
  std::exit(1);
}

// ------------------------------------------------------------------------------------- stores

// Reads an entry's first bytes so scans cannot skip materializing it.
// Only the measuring thread scans; the sum is printed at exit so it stays observable.
uint64_t g_sink = 0;
template <typename S>
void Touch(const S& key, const S& value) {
  g_sink += key.size() + value.size() +
            (value.size() ? static_cast<unsigned char>(value.data()[0]) : 0u);
}

// The operations the workloads need, over one open database.
class Store {
 public:
  virtual ~Store() = default;
  virtual void Open(const std::string& path) = 0;
  virtual void Close() = 0;
  virtual void Put(const std::string& k, const std::string& v, bool sync) = 0;
  virtual bool Get(const std::string& k, std::string* v) = 0;
  virtual void WriteBatch(const std::vector<std::pair<const std::string*, const std::string*>>&
                              pairs) = 0;
  virtual size_t MultiGet(const std::vector<std::string>& keys, size_t lo, size_t hi) = 0;
  virtual uint64_t Scan(bool reverse) = 0;
  // Seeks a cursor reused across calls, then reads up to n entries.
  virtual int SeekNext(const std::string& k, int n) = 0;
  virtual void EndSeeks() = 0;
  // Bytes written to SST files (flushes + compactions) where the engine reports it, else -1.
  virtual int64_t SstBytesWritten() { return -1; }
  virtual std::string Options() const = 0;
};

class KvStore final : public Store {
 public:
  void Open(const std::string& path) override {
    kvstore::Options o;
    auto s = kvstore::DB::Open(o, path, &db_);
    if (!s.ok()) Die("kvstore open: " + s.ToString());
  }
  void Close() override {
    it_.reset();
    db_.reset();
  }
  void Put(const std::string& k, const std::string& v, bool sync) override {
    kvstore::WriteOptions wo;
    wo.sync = sync;
    auto s = db_->Put(wo, k, v);
    if (!s.ok()) Die("kvstore put: " + s.ToString());
  }
  bool Get(const std::string& k, std::string* v) override {
    return db_->Get(kvstore::ReadOptions(), k, v).ok();
  }
  void WriteBatch(
      const std::vector<std::pair<const std::string*, const std::string*>>& pairs) override {
    kvstore::WriteBatch b;
    for (auto& [k, v] : pairs) b.Put(*k, *v);
    auto s = db_->Write(kvstore::WriteOptions(), &b);
    if (!s.ok()) Die("kvstore write: " + s.ToString());
  }
  size_t MultiGet(const std::vector<std::string>& keys, size_t lo, size_t hi) override {
    std::vector<kvstore::Slice> ks;
    ks.reserve(hi - lo);
    for (size_t i = lo; i < hi; i++) ks.emplace_back(keys[i]);
    std::vector<std::string> vals;
    auto st = db_->MultiGet(kvstore::ReadOptions(), ks, &vals);
    size_t found = 0;
    for (auto& s : st) found += s.ok();
    return found;
  }
  uint64_t Scan(bool reverse) override {
    auto it = db_->NewIterator(kvstore::ReadOptions());
    uint64_t n = 0;
    if (reverse) {
      for (it->SeekToLast(); it->Valid(); it->Prev()) n++, Touch(it->key(), it->value());
    } else {
      for (it->SeekToFirst(); it->Valid(); it->Next()) n++, Touch(it->key(), it->value());
    }
    return n;
  }
  int SeekNext(const std::string& k, int n) override {
    if (!it_) it_ = db_->NewIterator(kvstore::ReadOptions());
    int got = 0;
    for (it_->Seek(k); got < n && it_->Valid(); it_->Next()) got++, Touch(it_->key(), it_->value());
    return got;
  }
  void EndSeeks() override { it_.reset(); }
  int64_t SstBytesWritten() override {
    auto s = db_->GetStats();
    return static_cast<int64_t>(s.flush_bytes_written + s.compaction_bytes_written);
  }
  std::string Options() const override { return "defaults"; }

 private:
  std::unique_ptr<kvstore::DB> db_;
  std::unique_ptr<kvstore::Iterator> it_;
};

#ifdef KVSTORE_BENCH_WITH_ROCKSDB
class RocksStore final : public Store {
 public:
  explicit RocksStore(int bloom_bits) : bloom_bits_(bloom_bits) {}
  void Open(const std::string& path) override {
    rocksdb::Options o;
    o.create_if_missing = true;
    if (bloom_bits_) {
      rocksdb::BlockBasedTableOptions t;
      t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(bloom_bits_, false));
      o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
    }
    rocksdb::DB* db = nullptr;
    auto s = rocksdb::DB::Open(o, path, &db);
    if (!s.ok()) Die("rocksdb open: " + s.ToString());
    db_.reset(db);
  }
  void Close() override {
    it_.reset();
    db_.reset();
  }
  void Put(const std::string& k, const std::string& v, bool sync) override {
    rocksdb::WriteOptions wo;
    wo.sync = sync;
    auto s = db_->Put(wo, k, v);
    if (!s.ok()) Die("rocksdb put: " + s.ToString());
  }
  bool Get(const std::string& k, std::string* v) override {
    return db_->Get(rocksdb::ReadOptions(), k, v).ok();
  }
  void WriteBatch(
      const std::vector<std::pair<const std::string*, const std::string*>>& pairs) override {
    rocksdb::WriteBatch b;
    for (auto& [k, v] : pairs) b.Put(*k, *v);
    auto s = db_->Write(rocksdb::WriteOptions(), &b);
    if (!s.ok()) Die("rocksdb write: " + s.ToString());
  }
  size_t MultiGet(const std::vector<std::string>& keys, size_t lo, size_t hi) override {
    std::vector<rocksdb::Slice> ks;
    ks.reserve(hi - lo);
    for (size_t i = lo; i < hi; i++) ks.emplace_back(keys[i]);
    std::vector<std::string> vals;
    auto st = db_->MultiGet(rocksdb::ReadOptions(), ks, &vals);
    size_t found = 0;
    for (auto& s : st) found += s.ok();
    return found;
  }
  uint64_t Scan(bool reverse) override {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    uint64_t n = 0;
    if (reverse) {
      for (it->SeekToLast(); it->Valid(); it->Prev()) n++, Touch(it->key(), it->value());
    } else {
      for (it->SeekToFirst(); it->Valid(); it->Next()) n++, Touch(it->key(), it->value());
    }
    return n;
  }
  int SeekNext(const std::string& k, int n) override {
    if (!it_) it_.reset(db_->NewIterator(rocksdb::ReadOptions()));
    int got = 0;
    for (it_->Seek(k); got < n && it_->Valid(); it_->Next()) got++, Touch(it_->key(), it_->value());
    return got;
  }
  void EndSeeks() override { it_.reset(); }
  std::string Options() const override {
    return bloom_bits_ ? "bloom filter " + std::to_string(bloom_bits_) + " bits/key" : "defaults";
  }

 private:
  int bloom_bits_;
  std::unique_ptr<rocksdb::DB> db_;
  std::unique_ptr<rocksdb::Iterator> it_;
};
#endif

#ifdef KVSTORE_BENCH_WITH_LEVELDB
class LevelStore final : public Store {
 public:
  explicit LevelStore(int bloom_bits) : bloom_bits_(bloom_bits) {}
  void Open(const std::string& path) override {
    leveldb::Options o;
    o.create_if_missing = true;
    if (bloom_bits_) {
      policy_.reset(leveldb::NewBloomFilterPolicy(bloom_bits_));
      o.filter_policy = policy_.get();
    }
    leveldb::DB* db = nullptr;
    auto s = leveldb::DB::Open(o, path, &db);
    if (!s.ok()) Die("leveldb open: " + s.ToString());
    db_.reset(db);
  }
  void Close() override {
    it_.reset();
    db_.reset();
  }
  void Put(const std::string& k, const std::string& v, bool sync) override {
    leveldb::WriteOptions wo;
    wo.sync = sync;
    auto s = db_->Put(wo, k, v);
    if (!s.ok()) Die("leveldb put: " + s.ToString());
  }
  bool Get(const std::string& k, std::string* v) override {
    return db_->Get(leveldb::ReadOptions(), k, v).ok();
  }
  void WriteBatch(
      const std::vector<std::pair<const std::string*, const std::string*>>& pairs) override {
    leveldb::WriteBatch b;
    for (auto& [k, v] : pairs) b.Put(*k, *v);
    auto s = db_->Write(leveldb::WriteOptions(), &b);
    if (!s.ok()) Die("leveldb write: " + s.ToString());
  }
  size_t MultiGet(const std::vector<std::string>& keys, size_t lo, size_t hi) override {
    // LevelDB has no batched get: a loop of Get.
    std::string v;
    size_t found = 0;
    for (size_t i = lo; i < hi; i++) found += Get(keys[i], &v);
    return found;
  }
  uint64_t Scan(bool reverse) override {
    std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(leveldb::ReadOptions()));
    uint64_t n = 0;
    if (reverse) {
      for (it->SeekToLast(); it->Valid(); it->Prev()) n++, Touch(it->key(), it->value());
    } else {
      for (it->SeekToFirst(); it->Valid(); it->Next()) n++, Touch(it->key(), it->value());
    }
    return n;
  }
  int SeekNext(const std::string& k, int n) override {
    if (!it_) it_.reset(db_->NewIterator(leveldb::ReadOptions()));
    int got = 0;
    for (it_->Seek(k); got < n && it_->Valid(); it_->Next()) got++, Touch(it_->key(), it_->value());
    return got;
  }
  void EndSeeks() override { it_.reset(); }
  std::string Options() const override {
    return bloom_bits_ ? "bloom filter " + std::to_string(bloom_bits_) + " bits/key" : "defaults";
  }

 private:
  int bloom_bits_;
  std::unique_ptr<const leveldb::FilterPolicy> policy_;
  std::unique_ptr<leveldb::DB> db_;
  std::unique_ptr<leveldb::Iterator> it_;
};
#endif

// ------------------------------------------------------------------------------------ harness

struct Flags {
  size_t num = 1000000;
  std::string engines = "kvstore,rocksdb,leveldb";
  std::string workloads =
      "fillseq,fillrandom,overwrite,readrandom,readmissing,readseq,readreverse,seekrandom,"
      "multiget,readwhilewriting,fillbatch,fillsync,fillsync4";
  std::string db = "";
  double time_cap = 20;
  size_t sync_ops = 20000;
  size_t key_size = 16;
  size_t value_size = 100;
  uint64_t seed = 301;
  std::string json;
};

constexpr int kSampleEvery = 16;
constexpr size_t kBatch = 100;
constexpr int kSeekNext = 10;

struct Result {
  std::string workload;
  uint64_t ops = 0;
  double seconds = 0;
  double p50_us = -1, p99_us = -1;
  bool capped = false;
  int64_t sst_bytes = -1;
};

// Counts operations and samples latencies; thread-safe enough for fillsync4's writers.
class Meter {
 public:
  Meter(double cap, bool capped) : start_(Clock::now()) {
    deadline_ = capped ? start_ + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(cap))
                       : Clock::time_point::max();
  }
  bool Expired() const { return Clock::now() >= deadline_; }
  void Sample(Clock::duration d) {
    std::lock_guard<std::mutex> l(mu_);
    samples_.push_back(std::chrono::duration<double, std::micro>(d).count());
  }
  void Add(uint64_t n) { done_ += n; }
  Result Finish(const std::string& name, uint64_t total) {
    Result r;
    r.workload = name;
    r.ops = done_;
    r.seconds = std::chrono::duration<double>(Clock::now() - start_).count();
    r.capped = done_ < total;
    std::sort(samples_.begin(), samples_.end());
    if (!samples_.empty()) {
      r.p50_us = samples_[(samples_.size() - 1) / 2];
      r.p99_us = samples_[static_cast<size_t>(0.99 * static_cast<double>(samples_.size() - 1))];
    }
    return r;
  }

 private:
  Clock::time_point start_, deadline_;
  std::atomic<uint64_t> done_{0};
  std::mutex mu_;
  std::vector<double> samples_;
};

// Calls op(i) for i in [lo, hi), timing one in kSampleEvery, checking the cap every 1024.
template <typename Op>
void Drive(Meter& m, size_t lo, size_t hi, Op op, size_t chunk = 1024) {
  for (size_t base = lo; base < hi; base += chunk) {
    size_t end = std::min(base + chunk, hi);
    for (size_t i = base; i < end; i++) {
      if (i % kSampleEvery == 0) {
        auto t = Clock::now();
        op(i);
        m.Sample(Clock::now() - t);
      } else {
        op(i);
      }
    }
    m.Add(end - base);
    if (m.Expired()) break;
  }
}

class Bench {
 public:
  Bench(const Flags& f, Store* store, std::string dir) : f_(f), s_(store), dir_(std::move(dir)) {
    std::mt19937_64 rng(f.seed);
    keys_.reserve(f.num);
    missing_.reserve(f.num);
    char buf[64];
    for (size_t i = 0; i < f.num; i++) {
      std::snprintf(buf, sizeof buf, "%0*zu", static_cast<int>(f.key_size), i);
      keys_.emplace_back(buf);
      std::snprintf(buf, sizeof buf, "%0*zu.", static_cast<int>(f.key_size - 1), i);
      missing_.emplace_back(buf);
    }
    auto perm = [&] {
      std::vector<uint32_t> p(f.num);
      for (size_t i = 0; i < f.num; i++) p[i] = static_cast<uint32_t>(i);
      std::shuffle(p.begin(), p.end(), rng);
      return p;
    };
    fill_order_ = perm();
    overwrite_order_ = perm();
    read_order_ = perm();
    std::shuffle(missing_.begin(), missing_.end(), rng);
    values_.resize(1024);
    for (auto& v : values_) {
      std::string half(std::max<size_t>(1, f.value_size / 2), '\0');
      for (auto& c : half) c = static_cast<char>(rng());
      while (v.size() < f.value_size) v += half;
      v.resize(f.value_size);
    }
  }

  std::vector<Result> Run(const std::vector<std::string>& wanted) {
    auto want = [&](const char* w) {
      return std::find(wanted.begin(), wanted.end(), w) != wanted.end();
    };
    std::vector<Result> out;
    const size_t n = f_.num;
    if (want("fillseq")) {
      Fresh("fillseq");
      Meter m(f_.time_cap, true);
      Drive(m, 0, n, [&](size_t i) { s_->Put(keys_[i], Value(i), false); });
      out.push_back(Finish(m, "fillseq", n));
      s_->Close();
    }
    bool reads = false;
    for (auto* w : {"readrandom", "readmissing", "readseq", "readreverse", "seekrandom",
                    "multiget", "readwhilewriting", "fillrandom", "overwrite"}) {
      reads |= want(w);
    }
    if (reads) {
      std::string path = Fresh("main");
      {
        Meter m(f_.time_cap, false);
        Drive(m, 0, n, [&](size_t i) { s_->Put(keys_[fill_order_[i]], Value(i), false); });
        Result r = Finish(m, "fillrandom", n);
        if (want("fillrandom")) out.push_back(r);
      }
      if (want("overwrite")) {
        Meter m(f_.time_cap, true);
        Drive(m, 0, n, [&](size_t i) { s_->Put(keys_[overwrite_order_[i]], Value(i), false); });
        out.push_back(Finish(m, "overwrite", n));
      }
      s_->Close();
      s_->Open(path);  // reads after a reopen
      std::string v;
      if (want("readrandom")) {
        Meter m(f_.time_cap, true);
        Drive(m, 0, n, [&](size_t i) { s_->Get(keys_[read_order_[i]], &v); });
        out.push_back(Finish(m, "readrandom", n));
      }
      if (want("readmissing")) {
        Meter m(f_.time_cap, true);
        Drive(m, 0, n, [&](size_t i) { s_->Get(missing_[i], &v); });
        out.push_back(Finish(m, "readmissing", n));
      }
      for (bool rev : {false, true}) {
        const char* name = rev ? "readreverse" : "readseq";
        if (!want(name)) continue;
        Meter m(f_.time_cap, false);
        m.Add(s_->Scan(rev));
        out.push_back(Finish(m, name, n));
      }
      if (want("seekrandom")) {
        Meter m(f_.time_cap, true);
        Drive(m, 0, n, [&](size_t i) { s_->SeekNext(keys_[read_order_[i]], kSeekNext); });
        s_->EndSeeks();
        out.push_back(Finish(m, "seekrandom", n));
      }
      if (want("multiget")) {
        std::vector<std::string> rk(n);
        for (size_t i = 0; i < n; i++) rk[i] = keys_[read_order_[i]];
        Meter m(f_.time_cap, true);
        for (size_t lo = 0; lo < n; lo += kBatch) {
          size_t hi = std::min(n, lo + kBatch);
          auto t = Clock::now();
          s_->MultiGet(rk, lo, hi);
          if ((lo / kBatch) % 4 == 0) m.Sample(Clock::now() - t);
          m.Add(hi - lo);
          if ((lo / kBatch) % 64 == 0 && m.Expired()) break;
        }
        out.push_back(Finish(m, "multiget", n));
      }
      if (want("readwhilewriting")) {
        std::atomic<bool> stop{false};
        std::thread writer([&] {
          for (size_t i = 0; !stop.load(std::memory_order_relaxed); i++) {
            s_->Put(keys_[overwrite_order_[i % n]], Value(i), false);
          }
        });
        Meter m(f_.time_cap, true);
        Drive(m, 0, n, [&](size_t i) { s_->Get(keys_[read_order_[i]], &v); });
        stop = true;
        writer.join();
        out.push_back(Finish(m, "readwhilewriting", n));
      }
      s_->Close();
    }
    if (want("fillbatch")) {
      Fresh("fillbatch");
      Meter m(f_.time_cap, true);
      std::vector<std::pair<const std::string*, const std::string*>> pairs;
      for (size_t lo = 0; lo < n; lo += kBatch) {
        size_t hi = std::min(n, lo + kBatch);
        pairs.clear();
        for (size_t i = lo; i < hi; i++) pairs.emplace_back(&keys_[fill_order_[i]], &Value(i));
        auto t = Clock::now();
        s_->WriteBatch(pairs);
        if ((lo / kBatch) % 4 == 0) m.Sample(Clock::now() - t);
        m.Add(hi - lo);
        if ((lo / kBatch) % 16 == 0 && m.Expired()) break;
      }
      out.push_back(Finish(m, "fillbatch", n));
      s_->Close();
    }
    for (int threads : {1, 4}) {
      const char* name = threads == 1 ? "fillsync" : "fillsync4";
      if (!want(name)) continue;
      Fresh(name);
      size_t total = std::min(n, f_.sync_ops);
      size_t share = (total + threads - 1) / threads;
      Meter m(f_.time_cap, true);
      std::vector<std::thread> ts;
      for (int t = 0; t < threads; t++) {
        ts.emplace_back([&, t] {
          size_t lo = t * share, hi = std::min(total, lo + share);
          Drive(m, lo, hi, [&](size_t i) { s_->Put(keys_[fill_order_[i]], Value(i), true); }, 16);
        });
      }
      for (auto& t : ts) t.join();
      out.push_back(Finish(m, name, total));
      s_->Close();
    }
    return out;
  }

 private:
  const std::string& Value(size_t i) const { return values_[i & 1023]; }

  std::string Fresh(const std::string& name) {
    std::string path = dir_ + "/" + name;
    fs::remove_all(path);
    fs::create_directories(path);
    s_->Open(path);
    return path;
  }

  Result Finish(Meter& m, const std::string& name, uint64_t total) {
    Result r = m.Finish(name, total);
    r.sst_bytes = s_->SstBytesWritten();
    std::fprintf(stderr, "  %-18s %12.0f ops/s%s\n", name.c_str(),
                 r.seconds > 0 ? static_cast<double>(r.ops) / r.seconds : 0.0,
                 r.capped ? " (capped)" : "");
    return r;
  }

  const Flags& f_;
  Store* s_;
  std::string dir_;
  std::vector<std::string> keys_, missing_, values_;
  std::vector<uint32_t> fill_order_, overwrite_order_, read_order_;
};

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

Flags Parse(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    auto val = [&](const char* name) -> const char* {
      size_t len = std::strlen(name);
      if (a.compare(0, len, name) == 0 && a.size() > len && a[len] == '=') {
        return argv[i] + len + 1;
      }
      return nullptr;
    };
    if (auto v = val("--num")) f.num = std::strtoull(v, nullptr, 10);
    else if (auto v = val("--engines")) f.engines = v;
    else if (auto v = val("--workloads")) f.workloads = v;
    else if (auto v = val("--db")) f.db = v;
    else if (auto v = val("--time_cap")) f.time_cap = std::strtod(v, nullptr);
    else if (auto v = val("--sync_ops")) f.sync_ops = std::strtoull(v, nullptr, 10);
    else if (auto v = val("--value_size")) f.value_size = std::strtoull(v, nullptr, 10);
    else if (auto v = val("--seed")) f.seed = std::strtoull(v, nullptr, 10);
    else if (auto v = val("--json")) f.json = v;
    else if (a == "--help" || a == "-h") {
      std::printf(
          "engine_bench [--num=N] [--engines=kvstore,rocksdb,leveldb] [--workloads=...]\n"
          "             [--db=DIR] [--time_cap=S] [--sync_ops=N] [--value_size=B] [--seed=S]\n"
          "             [--json=FILE]\n");
      std::exit(0);
    } else {
      Die("unknown flag " + a + " (--help lists them)");
    }
  }
  if (f.num == 0 || f.num > UINT32_MAX) Die("--num must be in 1..2^32-1");
  return f;
}

struct Config {
  std::string name;
  std::function<std::unique_ptr<Store>()> make;
};

std::vector<Config> Configs(const std::vector<std::string>& engines) {
  std::vector<Config> out;
  for (auto& e : engines) {
    if (e == "kvstore") {
      out.push_back({"kvstore", [] { return std::make_unique<KvStore>(); }});
    } else if (e == "rocksdb") {
#ifdef KVSTORE_BENCH_WITH_ROCKSDB
      out.push_back({"rocksdb", [] { return std::make_unique<RocksStore>(0); }});
      out.push_back({"rocksdb+bloom", [] { return std::make_unique<RocksStore>(10); }});
#else
      std::fprintf(stderr, "engine_bench: built without RocksDB (librocksdb-dev); skipped\n");
#endif
    } else if (e == "leveldb") {
#ifdef KVSTORE_BENCH_WITH_LEVELDB
      out.push_back({"leveldb", [] { return std::make_unique<LevelStore>(0); }});
      out.push_back({"leveldb+bloom", [] { return std::make_unique<LevelStore>(10); }});
#else
      std::fprintf(stderr, "engine_bench: built without LevelDB (libleveldb-dev); skipped\n");
#endif
    } else {
      Die("unknown engine " + e);
    }
  }
  return out;
}

std::string JsonNum(double x) {
  if (x < 0) return "null";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", x);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  Flags f = Parse(argc, argv);
  std::string root = f.db.empty() ? (fs::temp_directory_path() / "kvstore-engine-bench").string()
                                  : f.db;
  auto wanted = Split(f.workloads);
  std::vector<std::pair<Config, std::vector<Result>>> all;
  for (auto& c : Configs(Split(f.engines))) {
    std::fprintf(stderr, "%s:\n", c.name.c_str());
    auto store = c.make();
    std::string dir = root + "/" + c.name;
    std::vector<Result> rs;
    {
      Bench b(f, store.get(), dir);
      rs = b.Run(wanted);
    }
    fs::remove_all(dir);
    all.emplace_back(c, std::move(rs));
  }

  // Markdown table: ops/s per workload, engines as columns.
  std::printf("| workload |");
  for (auto& [c, _] : all) std::printf(" %s |", c.name.c_str());
  std::printf("\n| --- |");
  for (size_t i = 0; i < all.size(); i++) std::printf(" --- |");
  std::printf("\n");
  for (auto& w : wanted) {
    std::printf("| %s |", w.c_str());
    for (auto& [c, rs] : all) {
      auto it = std::find_if(rs.begin(), rs.end(), [&](const Result& r) { return r.workload == w; });
      if (it == rs.end() || it->seconds <= 0) {
        std::printf(" – |");
      } else {
        std::printf(" %.0f%s |", static_cast<double>(it->ops) / it->seconds, it->capped ? "*" : "");
      }
    }
    std::printf("\n");
  }

  if (!f.json.empty()) {
    FILE* out = std::fopen(f.json.c_str(), "w");
    if (!out) Die("cannot write " + f.json);
    std::fprintf(out, "{\"kind\": \"kvstore-engine-bench-native\", \"num\": %zu, ", f.num);
    std::fprintf(out, "\"time_cap\": %g, \"sync_ops\": %zu, \"engines\": {", f.time_cap,
                 f.sync_ops);
    for (size_t e = 0; e < all.size(); e++) {
      auto& [c, rs] = all[e];
      std::fprintf(out, "%s\n \"%s\": {\"results\": {", e ? "," : "", c.name.c_str());
      for (size_t i = 0; i < rs.size(); i++) {
        auto& r = rs[i];
        double rate = r.seconds > 0 ? static_cast<double>(r.ops) / r.seconds : -1;
        std::fprintf(out,
                     "%s\n  \"%s\": {\"ops\": %" PRIu64 ", \"seconds\": %s, \"ops_per_s\": %s, "
                     "\"p50_us\": %s, \"p99_us\": %s, \"capped\": %s, \"sst_bytes_written\": %s}",
                     i ? "," : "", r.workload.c_str(), r.ops, JsonNum(r.seconds).c_str(),
                     JsonNum(rate).c_str(), JsonNum(r.p50_us).c_str(), JsonNum(r.p99_us).c_str(),
                     r.capped ? "true" : "false",
                     r.sst_bytes < 0 ? "null" : std::to_string(r.sst_bytes).c_str());
      }
      std::fprintf(out, "}}");
    }
    std::fprintf(out, "\n}}\n");
    std::fclose(out);
  }
  std::fprintf(stderr, "(scan checksum %" PRIu64 ")\n", g_sink);
  return 0;
}
