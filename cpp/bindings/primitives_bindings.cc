// kvstore._core._primitives: the engine's hot primitives, driven from Python
// by the micro-benchmarks (bench/micro/test_primitives.py). Private: not part
// of kvstore's API, and free to change with the benchmarks.
//
// Each object is built with its data (that work is not what is measured) and
// run() performs one fixed batch of operations with the GIL released, so one
// Python call is amortised over the batch. run() returns a count derived from
// the results (hits found, bytes used, a checksum sum), which keeps the work
// from being optimised away and lets a test check that the primitive works.
//
// An object is meant for one thread at a time. Keys and values are `bytes`.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "bindings/bindings.h"
#include "db/dbformat.h"
#include "db/memtable.h"
#include "table/block.h"
#include "table/block_builder.h"
#include "util/bloom.h"
#include "util/cache.h"
#include "util/checksum.h"

namespace py = pybind11;

namespace kvstore::bindings {
namespace {

using Keys = std::vector<std::string>;

// An internal key as the engine stores it in memtables and data blocks, or,
// with kMaxSequenceNumber, as a lookup for the newest version of user_key.
std::string InternalKeyOf(const std::string& user_key, SequenceNumber seq) {
  std::string k;
  AppendInternalKey(&k, ParsedInternalKey{user_key, seq, kValueTypeForSeek});
  return k;
}

void Check(const Status& s) {
  if (!s.ok()) throw std::runtime_error(s.ToString());
}

// Skiplist insert: run() adds every key, in the given order, to a fresh
// memtable (MemTable::Add, or AddConcurrently on `threads` threads, key i
// going to thread i % threads) and returns the memtable's bytes in use.
// The memtable of the last run stays for user_keys(); the next run frees it
// first (one free per 4 KiB arena block, timed with the run).
class MemTableInsert {
 public:
  MemTableInsert(Keys keys, std::string value, bool concurrent, int threads)
      : keys_(std::move(keys)), value_(std::move(value)), concurrent_(concurrent),
        threads_(threads) {
    if (threads < 1) throw py::value_error("threads must be >= 1");
    if (threads > 1 && !concurrent) throw py::value_error("threads > 1 needs concurrent=True");
  }

  size_t Run() {
    table_ = std::make_unique<MemTable>(cmp_);
    if (!concurrent_) {
      for (size_t i = 0; i < keys_.size(); i++) table_->Add(i + 1, kTypeValue, keys_[i], value_);
      return table_->ApproximateMemoryUsage();
    }
    std::vector<std::thread> others;
    for (int t = 1; t < threads_; t++) others.emplace_back([this, t] { AddSlice(t); });
    AddSlice(0);
    for (std::thread& th : others) th.join();
    return table_->ApproximateMemoryUsage();
  }

  // The user keys of the last run's memtable, in its order.
  Keys UserKeys() const {
    Keys out;
    if (table_ == nullptr) return out;
    std::unique_ptr<Iterator> it = table_->NewIterator();
    for (it->SeekToFirst(); it->Valid(); it->Next()) out.emplace_back(ExtractUserKey(it->key()));
    return out;
  }

 private:
  void AddSlice(int t) {
    for (size_t i = t; i < keys_.size(); i += threads_) {
      table_->AddConcurrently(i + 1, kTypeValue, keys_[i], value_);
    }
  }

  const InternalKeyComparator cmp_{BytewiseComparator()};
  const Keys keys_;
  const std::string value_;
  const bool concurrent_;
  const int threads_;
  std::unique_ptr<MemTable> table_;
};

// Block seek: one data block built like a table's (internal keys, every key
// with `value`, a restart point every restart_interval entries); run() seeks
// each target's newest version, through one block iterator (iterator=True)
// or with the iterator-free Block::Seek that point lookups use, and returns
// how many targets were found.
class BlockSeek {
 public:
  BlockSeek(const Keys& keys, const std::string& value, const Keys& targets,
            int restart_interval, bool iterator)
      : iterator_(iterator) {
    BlockBuilder builder(restart_interval);
    for (size_t i = 0; i < keys.size(); i++) {
      if (i > 0 && !(keys[i - 1] < keys[i])) throw py::value_error("keys must increase");
      builder.Add(InternalKeyOf(keys[i], 1), value);
    }
    block_ = std::make_unique<Block>(std::string(builder.Finish()));
    num_entries_ = keys.size();
    for (const std::string& t : targets) targets_.push_back(InternalKeyOf(t, kMaxSequenceNumber));
  }

  size_t Run() const { return iterator_ ? RunIterator() : RunDirect(); }
  size_t block_size() const { return block_->size(); }
  size_t num_entries() const { return num_entries_; }

 private:
  static bool SameUserKey(Slice found, Slice target) {
    return ExtractUserKey(found) == ExtractUserKey(target);
  }

  size_t RunIterator() const {
    size_t found = 0;
    std::unique_ptr<Iterator> it = block_->NewIterator(&cmp_);
    for (const std::string& t : targets_) {
      it->Seek(t);
      if (it->Valid() && SameUserKey(it->key(), t)) found++;
    }
    Check(it->status());
    return found;
  }

  size_t RunDirect() const {
    size_t found = 0;
    BlockKey key;
    for (const std::string& t : targets_) {
      const Slice target(t);
      Slice value;
      bool hit = false;
      Check(block_->Seek(&cmp_, &target, &key, &value, &hit));
      if (hit && SameUserKey(key.slice(), target)) found++;
    }
    return found;
  }

  const InternalKeyComparator cmp_{BytewiseComparator()};
  const bool iterator_;
  std::unique_ptr<Block> block_;
  size_t num_entries_ = 0;
  Keys targets_;
};

// Bloom probe: a filter over keys at bits_per_key; run() probes every probe
// and returns how many may match (all present keys, plus false positives).
class BloomProbe {
 public:
  BloomProbe(const Keys& keys, Keys probes, int bits_per_key) : probes_(std::move(probes)) {
    BloomFilterBuilder builder(bits_per_key);
    for (const std::string& k : keys) builder.AddKey(k);
    std::string contents;
    builder.Finish(&contents);
    Check(BloomFilter::Parse(contents, &filter_));
  }

  size_t Run() const {
    size_t may_match = 0;
    for (const std::string& p : probes_) may_match += filter_->KeyMayMatch(p) ? 1 : 0;
    return may_match;
  }
  size_t memory_usage() const { return filter_->MemoryUsage(); }

 private:
  const Keys probes_;
  std::unique_ptr<BloomFilter> filter_;
};

// Block cache lookup: a cache holding keys (each charged `charge` bytes, with
// room for twice as many, so none is evicted); run() looks every probe up as a
// table does (hash, Lookup, Release on a hit) and returns the hits.
class CacheLookup {
 public:
  CacheLookup(const Keys& keys, Keys probes, size_t charge)
      : probes_(std::move(probes)), cache_(2 * (keys.size() + 1) * charge) {
    for (const std::string& k : keys) {
      cache_.Release(cache_.Insert(k, std::make_shared<int>(0), charge));
    }
  }

  size_t Run() {
    size_t hits = 0;
    for (const std::string& p : probes_) {
      if (Cache::Handle* h = cache_.Lookup(p, Cache::Hash(p))) {
        hits++;
        cache_.Release(h);
      }
    }
    return hits;
  }

 private:
  const Keys probes_;
  Cache cache_;
};

// Checksum: the XXH3-based block checksum of every block_size-byte block of
// data (a shorter tail is ignored); run() returns the sum of the checksums.
class ChecksumBlocks {
 public:
  ChecksumBlocks(std::string data, size_t block_size)
      : data_(std::move(data)), block_size_(block_size) {
    if (block_size == 0) throw py::value_error("block_size must be > 0");
  }

  uint64_t Run() const {
    uint64_t sum = 0;
    for (size_t off = 0; off + block_size_ <= data_.size(); off += block_size_) {
      sum += Checksum(data_.data() + off, block_size_);
    }
    return sum;
  }

 private:
  const std::string data_;
  const size_t block_size_;
};

}  // namespace

void RegisterPrimitives(py::module_& parent) {
  py::module_ m = parent.def_submodule(
      "_primitives", "The engine's hot primitives, batched for the micro-benchmarks (private).");
  using Release = py::call_guard<py::gil_scoped_release>;

  py::class_<MemTableInsert>(m, "MemTableInsert")
      .def(py::init<Keys, std::string, bool, int>(), py::arg("keys"), py::arg("value"),
           py::kw_only(), py::arg("concurrent") = false, py::arg("threads") = 1)
      .def("run", &MemTableInsert::Run, Release())
      .def("user_keys", [](const MemTableInsert& self) {
        py::list out;
        for (const std::string& k : self.UserKeys()) out.append(py::bytes(k));
        return out;
      });

  py::class_<BlockSeek>(m, "BlockSeek")
      .def(py::init<const Keys&, const std::string&, const Keys&, int, bool>(), py::arg("keys"),
           py::arg("value"), py::arg("targets"), py::kw_only(), py::arg("restart_interval") = 16,
           py::arg("iterator") = true)
      .def("run", &BlockSeek::Run, Release())
      .def_property_readonly("block_size", &BlockSeek::block_size)
      .def_property_readonly("num_entries", &BlockSeek::num_entries);

  py::class_<BloomProbe>(m, "BloomProbe")
      .def(py::init<const Keys&, Keys, int>(), py::arg("keys"), py::arg("probes"), py::kw_only(),
           py::arg("bits_per_key") = 10)
      .def("run", &BloomProbe::Run, Release())
      .def_property_readonly("memory_usage", &BloomProbe::memory_usage);

  py::class_<CacheLookup>(m, "CacheLookup")
      .def(py::init<const Keys&, Keys, size_t>(), py::arg("keys"), py::arg("probes"),
           py::kw_only(), py::arg("charge") = 4096)
      .def("run", &CacheLookup::Run, Release());

  py::class_<ChecksumBlocks>(m, "ChecksumBlocks")
      .def(py::init<std::string, size_t>(), py::arg("data"), py::kw_only(),
           py::arg("block_size") = 4096)
      .def("run", &ChecksumBlocks::Run, Release());
}

}  // namespace kvstore::bindings
