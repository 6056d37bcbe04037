// Python bindings for the LSM engine: kvstore.DB, WriteBatch, Snapshot, Iterator.
//
// Thin by design: argument conversion, GIL handling and lifetime tracking only.
//
// Lifetime and threading contract
// - Every engine call runs with the GIL released, inside the DB's Gate (a count
//   of calls in flight that can be shut). close() shuts the gate, waits for the
//   calls in flight, destroys the live engine iterators and releases the live
//   snapshots (the engine requires both before the DB is deleted), then deletes
//   the DB. Any later use of the DB or of one of its iterators, snapshots or
//   batch contexts raises kvstore.ClosedError.
// - A Snapshot has a gate of its own, so it is never released while a read
//   through it is in flight on another thread.
// - An Iterator is meant for one thread at a time; a second thread entering it
//   while the first is inside gets RuntimeError instead of a data race.
//   Entries are fetched from the engine in chunks (growing from a few entries
//   after a seek up to kMaxChunkEntries / kMaxChunkBytes) per GIL release, so
//   a Python-level next() usually costs no engine call at all.
// - Python objects keep their owner alive: an Iterator holds its DB (or
//   Snapshot) object, a Snapshot holds its DB, so `for kv in DB(p).items()`
//   works. A DB that is garbage collected is closed.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <deque>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "bindings/bindings.h"
#include "bindings/memory_first_reads.h"
#include "kvstore/db.h"
#include "kvstore/iterator.h"
#include "kvstore/options.h"
#include "kvstore/slice.h"
#include "kvstore/status.h"
#include "kvstore/write_batch.h"
#include "util/bytewise.h"

namespace py = pybind11;

namespace kvstore::bindings {
namespace {

// Iterator chunking: the first refill after a seek fetches kFirstChunkEntries,
// each later one kChunkGrowth times more, up to kMaxChunkEntries entries or
// kMaxChunkBytes of keys and values (always at least one entry). The first
// chunk covers a seek followed by ten or so next() calls in one engine call.
constexpr size_t kFirstChunkEntries = 16;
constexpr size_t kChunkGrowth = 4;
constexpr size_t kMaxChunkEntries = 256;
constexpr size_t kMaxChunkBytes = 256 * 1024;

bool InterpreterFinalizing() {
#if PY_VERSION_HEX >= 0x030D0000
  return Py_IsFinalizing() != 0;
#else
  return _Py_IsFinalizing() != 0;
#endif
}

// ---------------------------------------------------------------------------
// Exceptions: the classes live in kvstore/_errors.py; looked up once at import
// and kept for the life of the interpreter.

struct ErrorTypes {
  PyObject* error = nullptr;
  PyObject* not_found = nullptr;
  PyObject* corruption = nullptr;
  PyObject* invalid_argument = nullptr;
  PyObject* io_error = nullptr;
  PyObject* busy = nullptr;
  PyObject* not_supported = nullptr;
  PyObject* closed = nullptr;
};
ErrorTypes g_errors;

void LoadErrorTypes() {
  py::module_ m = py::module_::import("kvstore._errors");
  auto load = [&](const char* name) { return py::object(m.attr(name)).release().ptr(); };
  g_errors.error = load("Error");
  g_errors.not_found = load("NotFoundError");
  g_errors.corruption = load("CorruptionError");
  g_errors.invalid_argument = load("InvalidArgumentError");
  g_errors.io_error = load("IOError");
  g_errors.busy = load("BusyError");
  g_errors.not_supported = load("NotSupportedError");
  g_errors.closed = load("ClosedError");
}

[[noreturn]] void Raise(PyObject* type, const std::string& message) {
  PyErr_SetString(type, message.c_str());
  throw py::error_already_set();
}

[[noreturn]] void RaiseStatus(const Status& s) {
  PyObject* type = g_errors.error;
  std::string message = s.message().empty() ? s.ToString() : s.message();
  switch (s.code()) {
    case Status::Code::kOk: break;  // not reached: callers raise only failures
    case Status::Code::kNotFound: type = g_errors.not_found; break;
    case Status::Code::kCorruption: type = g_errors.corruption; break;
    case Status::Code::kInvalidArgument: type = g_errors.invalid_argument; break;
    case Status::Code::kIOError: type = g_errors.io_error; break;
    case Status::Code::kBusy:
      type = g_errors.busy;
      if (message.find("already in use") == std::string::npos) {
        message = "database is already in use: " + message;
      }
      break;
    case Status::Code::kNotSupported: type = g_errors.not_supported; break;
    case Status::Code::kIncomplete: break;  // retried with I/O by the caller, never raised
  }
  Raise(type, message);
}

[[noreturn]] void RaiseClosed(const char* what) {
  Raise(g_errors.closed, std::string(what) + " is closed");
}

py::bytes ToBytes(const char* data, size_t size) {
  PyObject* b = PyBytes_FromStringAndSize(data, static_cast<Py_ssize_t>(size));
  if (b == nullptr) throw py::error_already_set();
  return py::reinterpret_steal<py::bytes>(b);
}

// ---------------------------------------------------------------------------
// Bytes-like arguments. Holds a buffer view (or a reference to an immutable
// bytes object) so the bytes stay valid and unmoved while the GIL is released.
// Must be destroyed with the GIL held.

class BytesArg {
 public:
  BytesArg(py::handle obj, const char* what) {
    PyObject* o = obj.ptr();
    if (PyBytes_Check(o)) {
      owner_ = py::reinterpret_borrow<py::object>(obj);
      data_ = PyBytes_AS_STRING(o);
      size_ = static_cast<size_t>(PyBytes_GET_SIZE(o));
      return;
    }
    if (!PyObject_CheckBuffer(o)) {
      throw py::type_error(std::string(what) + " must be bytes-like, not " + Py_TYPE(o)->tp_name);
    }
    if (PyObject_GetBuffer(o, &view_, PyBUF_SIMPLE) != 0) {
      PyErr_Clear();
      throw py::type_error(std::string(what) + " must be a contiguous bytes-like object, not " +
                           Py_TYPE(o)->tp_name);
    }
    has_view_ = true;
    data_ = static_cast<const char*>(view_.buf);
    size_ = static_cast<size_t>(view_.len);
  }
  BytesArg(const BytesArg&) = delete;
  BytesArg& operator=(const BytesArg&) = delete;
  ~BytesArg() {
    if (has_view_) PyBuffer_Release(&view_);
  }

  Slice slice() const { return Slice(data_, size_); }
  size_t size() const { return size_; }

 private:
  py::object owner_;
  Py_buffer view_{};
  bool has_view_ = false;
  const char* data_ = nullptr;
  size_t size_ = 0;
};

void CheckKeySize(const BytesArg& key) {
  if (key.size() > kMaxKeySize) {
    Raise(g_errors.invalid_argument, "key is " + std::to_string(key.size()) +
                                         " bytes, larger than the limit of " +
                                         std::to_string(kMaxKeySize) + " bytes (64 KiB)");
  }
}

void CheckValueSize(const BytesArg& value) {
  if (value.size() > kMaxValueSize) {
    Raise(g_errors.invalid_argument, "value is " + std::to_string(value.size()) +
                                         " bytes, larger than the limit of " +
                                         std::to_string(kMaxValueSize) + " bytes (256 MiB)");
  }
}

std::optional<std::string> OptionalBytes(py::handle obj, const char* what) {
  if (obj.is_none()) return std::nullopt;
  BytesArg arg(obj, what);
  return std::string(arg.slice());
}

std::string FsPath(py::handle path) {
  PyObject* p = PyOS_FSPath(path.ptr());
  if (p == nullptr) throw py::error_already_set();
  py::object fspath = py::reinterpret_steal<py::object>(p);
  if (PyUnicode_Check(p)) {
    PyObject* encoded = PyUnicode_EncodeFSDefault(p);
    if (encoded == nullptr) throw py::error_already_set();
    fspath = py::reinterpret_steal<py::object>(encoded);
  }
  std::string out(PyBytes_AS_STRING(fspath.ptr()),
                  static_cast<size_t>(PyBytes_GET_SIZE(fspath.ptr())));
  if (out.find('\0') != std::string::npos) throw py::value_error("path contains a NUL byte");
  return out;
}

// ---------------------------------------------------------------------------
// Gate: a count of calls in flight that can be shut once.

class Gate {
 public:
  // Non-blocking (safe with the GIL held). True if open; the caller must Exit().
  bool Enter() {
    std::lock_guard<std::mutex> l(mu_);
    if (state_ != State::kOpen) return false;
    ++active_;
    return true;
  }
  void Exit() {
    std::lock_guard<std::mutex> l(mu_);
    if (--active_ == 0 && state_ != State::kOpen) cv_.notify_all();
  }
  // Lock-free: read per entry by iterators serving their buffer.
  bool is_open() const { return open_.load(std::memory_order_acquire); }
  // Blocking: call with the GIL released. True: the caller owns the closing,
  // every call in flight has finished, and it must call FinishClose(). False:
  // someone else closed it; returns once that closing has finished.
  bool BeginClose() {
    std::unique_lock<std::mutex> l(mu_);
    if (state_ != State::kOpen) {
      cv_.wait(l, [&] { return state_ == State::kClosed; });
      return false;
    }
    state_ = State::kClosing;
    open_.store(false, std::memory_order_release);
    cv_.wait(l, [&] { return active_ == 0; });
    return true;
  }
  void FinishClose() {
    std::lock_guard<std::mutex> l(mu_);
    state_ = State::kClosed;
    cv_.notify_all();
  }

 private:
  enum class State { kOpen, kClosing, kClosed };
  std::mutex mu_;
  std::condition_variable cv_;
  int active_ = 0;
  State state_ = State::kOpen;
  std::atomic<bool> open_{true};  // state_ == kOpen, readable without mu_
};

// ---------------------------------------------------------------------------
// Shared state of one open DB, of its iterators and of its snapshots.

enum class IterMode { kItems, kKeys, kValues };

struct IterState {
  // Touched only inside the DB gate, by the thread that set `busy`, or by close.
  std::unique_ptr<Iterator> it;
  std::atomic<bool> dead{false};  // set when the DB closed under the iterator

  // Fixed at creation.
  std::optional<std::string> lower;  // inclusive
  std::optional<std::string> upper;  // exclusive
  bool reverse = false;
  IterMode mode = IterMode::kItems;

  // Cursor state, read and written with the GIL held (or by the busy thread).
  bool busy = false;
  bool closed = false;
  enum class Pending { kNone, kFirst, kLast, kSeek };
  Pending pending = Pending::kNone;
  std::string target;
  bool exhausted = false;
  Status error;
  size_t next_chunk = kFirstChunkEntries;
  struct Entry {
    size_t key_off, key_len, value_off, value_len;
  };
  std::string arena;
  std::vector<Entry> entries;
  size_t pos = 0;
};

struct SnapState {
  Gate gate;
  const Snapshot* snapshot = nullptr;  // valid while both gates are open
  uint64_t sequence = 0;
};

struct Core {
  Gate gate;
  std::unique_ptr<DB> db;
  std::string path;
  MemoryFirstReads memory_first;  // guarded by the GIL

  std::mutex mu;  // guards iters and snaps
  std::unordered_map<IterState*, std::shared_ptr<IterState>> iters;
  std::unordered_map<SnapState*, std::shared_ptr<SnapState>> snaps;

  // Call with the GIL released. Idempotent; concurrent callers all return
  // after the DB is deleted.
  void Close() {
    if (!gate.BeginClose()) return;
    std::unordered_map<IterState*, std::shared_ptr<IterState>> live_iters;
    std::unordered_map<SnapState*, std::shared_ptr<SnapState>> live_snaps;
    {
      std::lock_guard<std::mutex> l(mu);
      live_iters.swap(iters);
      live_snaps.swap(snaps);
    }
    for (auto& [ptr, st] : live_iters) {
      st->dead.store(true);
      st->it.reset();
    }
    for (auto& [ptr, st] : live_snaps) {
      if (st->snapshot != nullptr) db->ReleaseSnapshot(st->snapshot);
      st->snapshot = nullptr;
    }
    db.reset();
    gate.FinishClose();
  }
};

void CloseCoreFromPython(Core& core) {
  if (InterpreterFinalizing()) {
    core.Close();
  } else {
    py::gil_scoped_release nogil;
    core.Close();
  }
}

// RAII: inside the DB gate (and, for snapshot reads, the snapshot gate).
// Construct with the GIL held.
class ReadScope {
 public:
  ReadScope(Core& core, SnapState* snap) : core_(core), snap_(snap) {
    if (snap_ != nullptr && !snap_->gate.Enter()) RaiseClosed("snapshot");
    if (!core_.gate.Enter()) {
      if (snap_ != nullptr) snap_->gate.Exit();
      RaiseClosed("database");
    }
  }
  ReadScope(const ReadScope&) = delete;
  ReadScope& operator=(const ReadScope&) = delete;
  ~ReadScope() {
    core_.gate.Exit();
    if (snap_ != nullptr) snap_->gate.Exit();
  }

  DB* db() const { return core_.db.get(); }
  ReadOptions read_options() const {
    ReadOptions ro;
    if (snap_ != nullptr) ro.snapshot = snap_->snapshot;
    return ro;
  }

 private:
  Core& core_;
  SnapState* snap_;
};

// ---------------------------------------------------------------------------
// Reads shared by DB and Snapshot.

// One point read: from memory with the GIL held when MemoryFirstReads says so
// and the answer is there, else with the GIL released.
Status ReadValue(Core& core, SnapState* snap, Slice key, std::string* value) {
  ReadScope scope(core, snap);
  ReadOptions ro = scope.read_options();
  if (core.memory_first.ShouldTry()) {
    ro.no_io = true;
    Status s = scope.db()->Get(ro, key, value);
    core.memory_first.Record(!s.IsIncomplete());
    if (!s.IsIncomplete()) return s;
    ro.no_io = false;
  }
  py::gil_scoped_release nogil;
  return scope.db()->Get(ro, key, value);
}

py::object DoGet(Core& core, SnapState* snap, py::handle key, py::object dflt) {
  BytesArg k(key, "key");
  CheckKeySize(k);
  std::string value;
  Status s = ReadValue(core, snap, k.slice(), &value);
  if (s.IsNotFound()) return dflt;
  if (!s.ok()) RaiseStatus(s);
  return ToBytes(value.data(), value.size());
}

// Like DoGet but reports absence as (false, None).
std::pair<bool, py::object> DoLookup(Core& core, SnapState* snap, py::handle key) {
  BytesArg k(key, "key");
  CheckKeySize(k);
  std::string value;
  Status s = ReadValue(core, snap, k.slice(), &value);
  if (s.IsNotFound()) return {false, py::none()};
  if (!s.ok()) RaiseStatus(s);
  return {true, ToBytes(value.data(), value.size())};
}

py::list DoMultiGet(Core& core, SnapState* snap, py::handle keys) {
  std::deque<BytesArg> args;
  for (py::handle item : py::iter(keys)) {
    args.emplace_back(item, "key");
    CheckKeySize(args.back());
  }
  std::vector<Slice> slices;
  slices.reserve(args.size());
  for (const BytesArg& a : args) slices.push_back(a.slice());
  std::vector<std::string> values;
  std::vector<Status> statuses;
  if (!slices.empty()) {
    ReadScope scope(core, snap);
    ReadOptions ro = scope.read_options();
    py::gil_scoped_release nogil;
    statuses = scope.db()->MultiGet(ro, slices, &values);
  }
  if (statuses.size() != slices.size() || (values.size() < slices.size() && !slices.empty())) {
    Raise(g_errors.error, "engine MultiGet returned a result of the wrong size");
  }
  py::list out(slices.size());
  for (size_t i = 0; i < slices.size(); ++i) {
    if (statuses[i].IsNotFound()) {
      out[i] = py::none();
    } else if (!statuses[i].ok()) {
      RaiseStatus(statuses[i]);
    } else {
      out[i] = ToBytes(values[i].data(), values[i].size());
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Iterator

// Positions st.it for the pending seek, then fills the buffer with the next
// chunk. Runs with the GIL released, inside the DB gate, with st.busy set.
void Refill(IterState& st) {
  Iterator* it = st.it.get();
  const bool fwd = !st.reverse;
  const auto below_lower = [&](Slice k) { return st.lower && k < Slice(*st.lower); };
  const auto at_or_above_upper = [&](Slice k) { return st.upper && k >= Slice(*st.upper); };

  const auto position_last = [&] {
    // The last key < upper (or the last key at all).
    if (st.upper) {
      it->Seek(*st.upper);
      if (it->Valid()) {
        it->Prev();
      } else if (it->status().ok()) {
        it->SeekToLast();
      }
    } else {
      it->SeekToLast();
    }
    while (it->Valid() && at_or_above_upper(it->key())) it->Prev();
  };
  const auto position_first = [&] {
    if (st.lower) {
      it->Seek(*st.lower);
    } else {
      it->SeekToFirst();
    }
    while (it->Valid() && below_lower(it->key())) it->Next();
  };

  switch (st.pending) {
    case IterState::Pending::kNone:
      break;
    case IterState::Pending::kFirst:
      position_first();
      break;
    case IterState::Pending::kLast:
      position_last();
      break;
    case IterState::Pending::kSeek:
      if (fwd) {
        if (st.lower && Slice(st.target) < Slice(*st.lower)) {
          position_first();
        } else {
          it->Seek(st.target);
        }
      } else {
        // The last key <= target.
        if (at_or_above_upper(st.target)) {
          position_last();
        } else {
          it->Seek(st.target);
          if (it->Valid()) {
            if (it->key() != Slice(st.target)) it->Prev();
          } else if (it->status().ok()) {
            it->SeekToLast();
            while (it->Valid() && at_or_above_upper(it->key())) it->Prev();
          }
        }
      }
      break;
  }
  st.pending = IterState::Pending::kNone;

  st.arena.clear();
  st.entries.clear();
  st.pos = 0;
  const size_t limit = st.next_chunk;
  st.next_chunk = std::min(st.next_chunk * kChunkGrowth, kMaxChunkEntries);
  size_t bytes = 0;
  while (st.entries.size() < limit && bytes < kMaxChunkBytes) {
    if (!it->Valid()) {
      st.exhausted = true;
      st.error = it->status();
      break;
    }
    Slice k = it->key();
    if (fwd ? at_or_above_upper(k) : below_lower(k)) {
      st.exhausted = true;
      break;
    }
    IterState::Entry e{0, 0, 0, 0};
    if (st.mode != IterMode::kValues) {
      e.key_off = st.arena.size();
      e.key_len = k.size();
      st.arena.append(k);
    }
    if (st.mode != IterMode::kKeys) {
      Slice v = it->value();
      e.value_off = st.arena.size();
      e.value_len = v.size();
      st.arena.append(v);
    }
    bytes += k.size() + e.value_len;
    st.entries.push_back(e);
    if (fwd) {
      it->Next();
    } else {
      it->Prev();
    }
  }
}

class PyIterator {
 public:
  PyIterator(py::object owner, std::shared_ptr<Core> core, std::shared_ptr<IterState> st)
      : owner_(std::move(owner)), core_(std::move(core)), st_(std::move(st)) {}
  PyIterator(const PyIterator&) = delete;
  PyIterator& operator=(const PyIterator&) = delete;
  ~PyIterator() {
    try {
      Release();
    } catch (...) {
    }
  }

  // Creates the engine iterator and registers it with the DB.
  static std::unique_ptr<PyIterator> Create(py::object owner, const std::shared_ptr<Core>& core,
                                            SnapState* snap, py::handle start, py::handle stop,
                                            py::handle prefix, bool reverse, IterMode mode) {
    auto st = std::make_shared<IterState>();
    st->lower = OptionalBytes(start, "start");
    st->upper = OptionalBytes(stop, "stop");
    std::optional<std::string> prefix_key;
    if (!prefix.is_none()) {
      std::string p = *OptionalBytes(prefix, "prefix");
      if (!st->lower || *st->lower < p) st->lower = p;
      std::optional<std::string> end = PrefixSuccessor(p);
      if (end && (!st->upper || *end < *st->upper)) st->upper = end;
      prefix_key = std::move(p);
    }
    st->reverse = reverse;
    st->mode = mode;
    st->pending = reverse ? IterState::Pending::kLast : IterState::Pending::kFirst;
    {
      ReadScope scope(*core, snap);
      ReadOptions ro = scope.read_options();
      ro.lower_bound = st->lower;
      ro.upper_bound = st->upper;
      ro.prefix = std::move(prefix_key);
      py::gil_scoped_release nogil;
      st->it = scope.db()->NewIterator(ro);
      std::lock_guard<std::mutex> l(core->mu);
      core->iters.emplace(st.get(), st);
    }
    return std::make_unique<PyIterator>(std::move(owner), core, std::move(st));
  }

  // The next entry as a new reference, or nullptr with no Python error set
  // once the cursor is exhausted. Failures throw (RaiseStatus, RaiseClosed).
  PyObject* NextEntry() {
    IterState& st = *st_;
    CheckUsable();
    while (st.pos >= st.entries.size()) {
      if (st.pending == IterState::Pending::kNone) {
        if (!st.error.ok()) RaiseStatus(st.error);
        if (st.exhausted) return nullptr;
      }
      DoRefill();
    }
    const IterState::Entry& e = st.entries[st.pos++];
    const char* base = st.arena.data();
    switch (st.mode) {
      case IterMode::kKeys:
        return ToBytes(base + e.key_off, e.key_len).release().ptr();
      case IterMode::kValues:
        return ToBytes(base + e.value_off, e.value_len).release().ptr();
      case IterMode::kItems:
        break;
    }
    py::bytes k = ToBytes(base + e.key_off, e.key_len);
    py::bytes v = ToBytes(base + e.value_off, e.value_len);
    PyObject* t = PyTuple_New(2);
    if (t == nullptr) throw py::error_already_set();
    PyTuple_SET_ITEM(t, 0, k.release().ptr());
    PyTuple_SET_ITEM(t, 1, v.release().ptr());
    return t;
  }

  // __next__ called by name (it.__next__()); for loops and next() take
  // IterNextSlot instead.
  py::object Next() {
    PyObject* entry = NextEntry();
    if (entry == nullptr) throw py::stop_iteration();
    return py::reinterpret_steal<py::object>(entry);
  }

  // The type's tp_iternext: the same as Next() without pybind11's per-call
  // dispatch (argument conversion, StopIteration raised as an exception),
  // which would otherwise cost more than the entry itself.
  static PyObject* IterNextSlot(PyObject* self) {
    auto* inst = reinterpret_cast<py::detail::instance*>(self);
    py::detail::value_and_holder vh = inst->get_value_and_holder();
    if (!vh.holder_constructed()) {
      PyErr_SetString(PyExc_TypeError, "kvstore.Iterator was not created by a DB or Snapshot");
      return nullptr;
    }
    try {
      return vh.value_ptr<PyIterator>()->NextEntry();
    } catch (py::error_already_set& e) {
      e.restore();
    } catch (py::builtin_exception& e) {
      e.set_error();
    } catch (const std::bad_alloc&) {
      PyErr_NoMemory();
    } catch (const std::exception& e) {
      PyErr_SetString(PyExc_RuntimeError, e.what());
    }
    return nullptr;
  }

  void Seek(py::handle key) {
    CheckUsable();
    BytesArg k(key, "key");
    Reset(IterState::Pending::kSeek);
    st_->target.assign(k.slice());
  }
  void SeekToFirst() {
    CheckUsable();
    Reset(IterState::Pending::kFirst);
  }
  void SeekToLast() {
    CheckUsable();
    Reset(IterState::Pending::kLast);
  }

  void Close() {
    if (st_->busy) throw std::runtime_error("iterator is in use by another thread");
    Release();
  }

  bool closed() const { return st_->closed || st_->dead.load() || !core_->gate.is_open(); }
  bool reverse() const { return st_->reverse; }

 private:
  void CheckUsable() {
    IterState& st = *st_;
    if (st.closed) RaiseClosed("iterator");
    if (st.dead.load() || !core_->gate.is_open()) RaiseClosed("database");
    if (st.busy) throw std::runtime_error("iterator is in use by another thread");
  }

  void Reset(IterState::Pending pending) {
    IterState& st = *st_;
    st.pending = pending;
    st.arena.clear();
    st.entries.clear();
    st.pos = 0;
    st.exhausted = false;
    st.error = Status::OK();
    st.next_chunk = kFirstChunkEntries;
  }

  void DoRefill() {
    IterState& st = *st_;
    st.busy = true;
    struct Unbusy {
      IterState& st;
      ~Unbusy() { st.busy = false; }
    } unbusy{st};
    ReadScope scope(*core_, nullptr);
    py::gil_scoped_release nogil;
    Refill(st);
  }

  // Destroys the engine iterator (unless the DB's close already did).
  void Release() {
    IterState& st = *st_;
    if (st.closed) return;
    st.closed = true;
    st.entries.clear();
    st.arena.clear();
    st.arena.shrink_to_fit();
    st.pos = 0;
    if (!core_->gate.Enter()) return;  // the DB closed: it destroyed the iterator
    std::shared_ptr<IterState> mine;
    const auto release = [&] {
      {
        std::lock_guard<std::mutex> l(core_->mu);
        auto found = core_->iters.find(&st);
        if (found != core_->iters.end()) {
          mine = std::move(found->second);
          core_->iters.erase(found);
        }
      }
      if (mine) mine->it.reset();
    };
    if (InterpreterFinalizing()) {
      release();
    } else {
      py::gil_scoped_release nogil;
      release();
    }
    core_->gate.Exit();
  }

  py::object owner_;
  std::shared_ptr<Core> core_;
  std::shared_ptr<IterState> st_;
};

// ---------------------------------------------------------------------------
// WriteBatch

class PyWriteBatch {
 public:
  void Put(py::handle key, py::handle value) {
    CheckIdle();
    BytesArg k(key, "key");
    BytesArg v(value, "value");
    CheckKeySize(k);
    CheckValueSize(v);
    CheckBatchSize(k.size() + v.size());
    batch_.Put(k.slice(), v.slice());
  }
  void Delete(py::handle key) {
    CheckIdle();
    BytesArg k(key, "key");
    CheckKeySize(k);
    CheckBatchSize(k.size());
    batch_.Delete(k.slice());
  }
  void Clear() {
    CheckIdle();
    batch_.Clear();
  }
  size_t Count() const { return batch_.Count(); }
  size_t ApproximateSize() const { return batch_.ApproximateSize(); }

  WriteBatch* Acquire() {
    CheckIdle();
    writing_ = true;
    return &batch_;
  }
  void Unacquire() { writing_ = false; }

 private:
  void CheckIdle() const {
    if (writing_) throw std::runtime_error("batch is being written by another thread");
  }
  void CheckBatchSize(size_t add) const {
    // Records carry a tag and length prefixes: 32 bytes is a generous bound.
    if (batch_.ApproximateSize() + add + 32 > kMaxBatchSize) {
      Raise(g_errors.invalid_argument, "batch would exceed the limit of " +
                                           std::to_string(kMaxBatchSize) + " bytes (1 GiB)");
    }
  }

  WriteBatch batch_;
  bool writing_ = false;
};

// ---------------------------------------------------------------------------
// DB

struct OpenArgs {
  Options options;
  bool sync = false;  // the default of every write's sync argument
};

class PyDB {
 public:
  PyDB(std::shared_ptr<Core> core, py::object path, bool sync)
      : core_(std::move(core)), path_(std::move(path)), sync_(sync) {}
  PyDB(const PyDB&) = delete;
  PyDB& operator=(const PyDB&) = delete;
  ~PyDB() {
    try {
      CloseCoreFromPython(*core_);
    } catch (...) {
    }
  }

  static std::unique_ptr<PyDB> Open(py::handle path, const OpenArgs& args) {
    std::string name = FsPath(path);
    py::object path_obj = py::reinterpret_steal<py::object>(PyOS_FSPath(path.ptr()));
    auto core = std::make_shared<Core>();
    core->path = name;
    Status s;
    {
      py::gil_scoped_release nogil;
      s = DB::Open(args.options, name, &core->db);
    }
    if (!s.ok()) RaiseStatus(s);
    if (core->db == nullptr) Raise(g_errors.error, "engine Open returned no database");
    return std::make_unique<PyDB>(std::move(core), std::move(path_obj), args.sync);
  }

  const std::shared_ptr<Core>& core() const { return core_; }
  const py::object& path() const { return path_; }
  bool closed() { return !core_->gate.is_open(); }
  bool WriteSync(const std::optional<bool>& sync) const { return sync.value_or(sync_); }

  void Put(py::handle key, py::handle value, std::optional<bool> sync) {
    BytesArg k(key, "key");
    BytesArg v(value, "value");
    CheckKeySize(k);
    CheckValueSize(v);
    WriteOptions wo;
    wo.sync = WriteSync(sync);
    Status s;
    {
      ReadScope scope(*core_, nullptr);
      py::gil_scoped_release nogil;
      s = scope.db()->Put(wo, k.slice(), v.slice());
    }
    if (!s.ok()) RaiseStatus(s);
  }

  void Delete(py::handle key, std::optional<bool> sync) {
    BytesArg k(key, "key");
    CheckKeySize(k);
    WriteOptions wo;
    wo.sync = WriteSync(sync);
    Status s;
    {
      ReadScope scope(*core_, nullptr);
      py::gil_scoped_release nogil;
      s = scope.db()->Delete(wo, k.slice());
    }
    if (!s.ok()) RaiseStatus(s);
  }

  void Write(PyWriteBatch& batch, std::optional<bool> sync) {
    WriteOptions wo;
    wo.sync = WriteSync(sync);
    Status s;
    {
      ReadScope scope(*core_, nullptr);
      WriteBatch* b = batch.Acquire();
      struct Unacquire {
        PyWriteBatch& batch;
        ~Unacquire() { batch.Unacquire(); }
      } unacquire{batch};
      py::gil_scoped_release nogil;
      s = scope.db()->Write(wo, b);
    }
    if (!s.ok()) RaiseStatus(s);
  }

  void Flush() {
    Status s;
    {
      ReadScope scope(*core_, nullptr);
      py::gil_scoped_release nogil;
      s = scope.db()->Flush();
    }
    if (!s.ok()) RaiseStatus(s);
  }

  void CompactRange(py::handle start, py::handle stop) {
    std::optional<std::string> begin = OptionalBytes(start, "start");
    std::optional<std::string> end = OptionalBytes(stop, "stop");
    Status s;
    {
      ReadScope scope(*core_, nullptr);
      py::gil_scoped_release nogil;
      Slice b = begin ? Slice(*begin) : Slice();
      Slice e = end ? Slice(*end) : Slice();
      s = scope.db()->CompactRange(begin ? &b : nullptr, end ? &e : nullptr);
    }
    if (!s.ok()) RaiseStatus(s);
  }

  py::dict Stats() {
    DbStats st;
    uint64_t disk = 0;
    {
      ReadScope scope(*core_, nullptr);
      py::gil_scoped_release nogil;
      st = scope.db()->GetStats();
      disk = scope.db()->ApproximateDiskSize();
    }
    py::list levels;
    for (const LevelStats& l : st.levels) {
      py::dict d;
      d["files"] = l.files;
      d["bytes"] = l.bytes;
      levels.append(d);
    }
    py::dict out;
    out["levels"] = levels;
    out["memtable_bytes"] = st.memtable_bytes;
    out["immutable_memtables"] = st.immutable_memtables;
    out["last_sequence"] = st.last_sequence;
    out["live_snapshots"] = st.live_snapshots;
    out["flushes"] = st.flushes;
    out["compactions"] = st.compactions;
    out["subcompactions"] = st.subcompactions;
    out["compaction_bytes_read"] = st.compaction_bytes_read;
    out["compaction_bytes_written"] = st.compaction_bytes_written;
    out["flush_bytes_written"] = st.flush_bytes_written;
    out["wal_bytes_written"] = st.wal_bytes_written;
    out["wal_syncs"] = st.wal_syncs;
    out["write_groups"] = st.write_groups;
    out["writes"] = st.writes;
    out["stall_slowdowns"] = st.stall_slowdowns;
    out["stall_stops"] = st.stall_stops;
    out["stall_micros"] = st.stall_micros;
    out["wal_bytes_dropped"] = st.wal_bytes_dropped;
    out["prefix_filter_skips"] = st.prefix_filter_skips;
    out["disk_bytes"] = disk;
    return out;
  }

  uint64_t ApproximateSize() {
    ReadScope scope(*core_, nullptr);
    py::gil_scoped_release nogil;
    return scope.db()->ApproximateDiskSize();
  }

  void Close() { CloseCoreFromPython(*core_); }

 private:
  std::shared_ptr<Core> core_;
  py::object path_;
  bool sync_;
};

// ---------------------------------------------------------------------------
// Snapshot

class PySnapshot {
 public:
  PySnapshot(py::object owner, std::shared_ptr<Core> core, std::shared_ptr<SnapState> st)
      : owner_(std::move(owner)), core_(std::move(core)), st_(std::move(st)) {}
  PySnapshot(const PySnapshot&) = delete;
  PySnapshot& operator=(const PySnapshot&) = delete;
  ~PySnapshot() {
    try {
      if (InterpreterFinalizing()) {
        Release();
      } else {
        py::gil_scoped_release nogil;
        Release();
      }
    } catch (...) {
    }
  }

  static std::unique_ptr<PySnapshot> Create(py::object db_obj) {
    PyDB& db = db_obj.cast<PyDB&>();
    std::shared_ptr<Core> core = db.core();
    auto st = std::make_shared<SnapState>();
    {
      ReadScope scope(*core, nullptr);
      py::gil_scoped_release nogil;
      st->snapshot = scope.db()->GetSnapshot();
      st->sequence = st->snapshot->sequence();
      std::lock_guard<std::mutex> l(core->mu);
      core->snaps.emplace(st.get(), st);
    }
    return std::make_unique<PySnapshot>(std::move(db_obj), std::move(core), std::move(st));
  }

  Core& core() const { return *core_; }
  const std::shared_ptr<Core>& core_ptr() const { return core_; }
  SnapState* state() const { return st_.get(); }
  uint64_t sequence() const { return st_->sequence; }
  bool closed() { return !st_->gate.is_open() || !core_->gate.is_open(); }

  void Close() {
    py::gil_scoped_release nogil;
    Release();
  }

 private:
  // Call with the GIL released (or while finalizing).
  void Release() {
    if (!st_->gate.BeginClose()) return;
    if (core_->gate.Enter()) {
      std::shared_ptr<SnapState> mine;
      {
        std::lock_guard<std::mutex> l(core_->mu);
        auto found = core_->snaps.find(st_.get());
        if (found != core_->snaps.end()) {
          mine = std::move(found->second);
          core_->snaps.erase(found);
        }
      }
      if (mine && mine->snapshot != nullptr) {
        core_->db->ReleaseSnapshot(mine->snapshot);
        mine->snapshot = nullptr;
      }
      core_->gate.Exit();
    }
    st_->gate.FinishClose();
  }

  py::object owner_;
  std::shared_ptr<Core> core_;
  std::shared_ptr<SnapState> st_;
};

// ---------------------------------------------------------------------------
// db.write_batch(): a context manager committing a fresh WriteBatch on exit.

class PyBatchContext {
 public:
  PyBatchContext(py::object db, std::optional<bool> sync)
      : db_(std::move(db)), sync_(sync), batch_(py::cast(PyWriteBatch())) {}

  py::object Enter() {
    if (entered_) throw std::runtime_error("write_batch() context entered twice");
    entered_ = true;
    return batch_;
  }
  bool Exit(py::handle exc_type, py::handle, py::handle) {
    PyWriteBatch& batch = batch_.cast<PyWriteBatch&>();
    if (exc_type.is_none()) {
      db_.cast<PyDB&>().Write(batch, sync_);
    } else {
      batch.Clear();
    }
    return false;
  }

 private:
  py::object db_;
  std::optional<bool> sync_;
  py::object batch_;
  bool entered_ = false;
};

// ---------------------------------------------------------------------------
// Docstrings

// ---------------------------------------------------------------------------
// Options: one table drives keyword parsing, the DB docstring and
// default_options(), so the three cannot drift apart.

bool BoolOption(const char* name, py::handle v) {
  if (!PyBool_Check(v.ptr())) {
    throw py::type_error(std::string(name) + " must be bool, not " + Py_TYPE(v.ptr())->tp_name);
  }
  return v.ptr() == Py_True;
}

// An int option in [lo, hi]; InvalidArgumentError outside.
template <typename T>
T IntOption(const char* name, py::handle v, long long lo,
            long long hi = std::numeric_limits<long long>::max()) {
  if (PyBool_Check(v.ptr()) || !PyLong_Check(v.ptr())) {
    throw py::type_error(std::string(name) + " must be int, not " + Py_TYPE(v.ptr())->tp_name);
  }
  int overflow = 0;
  long long x = PyLong_AsLongLongAndOverflow(v.ptr(), &overflow);
  if (x == -1 && PyErr_Occurred()) throw py::error_already_set();
  if constexpr (sizeof(T) < sizeof(long long)) {
    hi = std::min<long long>(hi, static_cast<long long>(std::numeric_limits<T>::max()));
  }
  if (overflow != 0 || x < lo || x > hi) {
    std::string shown = overflow != 0 ? py::str(v).cast<std::string>() : std::to_string(x);
    Raise(g_errors.invalid_argument, std::string(name) + " must be in [" + std::to_string(lo) +
                                         ", " + std::to_string(hi) + "], not " + shown);
  }
  return static_cast<T>(x);
}

const char* CompressionName(Compression c) {
  switch (c) {
    case Compression::kNone: return "none";
    case Compression::kLZ4: return "lz4";
    case Compression::kZstd: return "zstd";
  }
  return "?";
}

Compression CompressionOption(const char* name, py::handle v) {
  if (!PyUnicode_Check(v.ptr())) {
    throw py::type_error(std::string(name) + " must be str, not " + Py_TYPE(v.ptr())->tp_name);
  }
  const std::string s = v.cast<std::string>();
  for (Compression c : {Compression::kNone, Compression::kLZ4, Compression::kZstd}) {
    if (s == CompressionName(c)) return c;
  }
  Raise(g_errors.invalid_argument,
        std::string(name) + " must be 'none', 'lz4' or 'zstd', not '" + s + "'");
}

struct OptionSpec {
  const char* name;
  py::object default_value;
  const char* doc;
  void (*set)(OpenArgs& a, py::handle v);
};

constexpr long long kIntMax = std::numeric_limits<int>::max();

const std::vector<OptionSpec>& OptionTable() {
  static const std::vector<OptionSpec>* table = [] {
    const Options d;
    auto* t = new std::vector<OptionSpec>{
        {"create_if_missing", py::bool_(d.create_if_missing),
         "create the database if the directory holds none.",
         [](OpenArgs& a, py::handle v) {
           a.options.create_if_missing = BoolOption("create_if_missing", v);
         }},
        {"error_if_exists", py::bool_(d.error_if_exists), "fail if the database already exists.",
         [](OpenArgs& a, py::handle v) {
           a.options.error_if_exists = BoolOption("error_if_exists", v);
         }},
        {"sync", py::bool_(false),
         "the default of every write's sync argument: fsync the WAL before a write returns\n"
         "      (without it a write survives a process crash but may be lost on power failure).",
         [](OpenArgs& a, py::handle v) { a.sync = BoolOption("sync", v); }},
        {"salvage_wal", py::bool_(d.salvage_wal),
         "on a WAL checksum failure before the log's tail, skip the damaged records and\n"
         "      open anyway (bytes dropped: stats()['wal_bytes_dropped']) instead of raising\n"
         "      CorruptionError.",
         [](OpenArgs& a, py::handle v) { a.options.salvage_wal = BoolOption("salvage_wal", v); }},
        {"write_buffer_size", py::int_(d.write_buffer_size),
         "bytes of writes buffered in a memtable before it is frozen and flushed.",
         [](OpenArgs& a, py::handle v) {
           a.options.write_buffer_size = IntOption<size_t>("write_buffer_size", v, 1);
         }},
        {"max_write_buffer_number", py::int_(d.max_write_buffer_number),
         "memtables held in memory, the active one included; writes wait only when all\n"
         "      are full.",
         [](OpenArgs& a, py::handle v) {
           a.options.max_write_buffer_number =
               IntOption<int>("max_write_buffer_number", v, 1, kIntMax);
         }},
        {"block_size", py::int_(d.block_size), "target uncompressed size of an SST data block.",
         [](OpenArgs& a, py::handle v) {
           a.options.block_size = IntOption<size_t>("block_size", v, 1);
         }},
        {"block_restart_interval", py::int_(d.block_restart_interval),
         "keys between restart points in a block.",
         [](OpenArgs& a, py::handle v) {
           a.options.block_restart_interval =
               IntOption<int>("block_restart_interval", v, 1, kIntMax);
         }},
        {"target_file_size", py::int_(d.target_file_size),
         "target size of one SST file written by compaction.",
         [](OpenArgs& a, py::handle v) {
           a.options.target_file_size = IntOption<uint64_t>("target_file_size", v, 1);
         }},
        {"max_bytes_for_level_base", py::int_(d.max_bytes_for_level_base),
         "size target of the first level below L0.",
         [](OpenArgs& a, py::handle v) {
           a.options.max_bytes_for_level_base =
               IntOption<uint64_t>("max_bytes_for_level_base", v, 1);
         }},
        {"level_size_multiplier", py::int_(d.level_size_multiplier),
         "each deeper level is this many times larger.",
         [](OpenArgs& a, py::handle v) {
           a.options.level_size_multiplier =
               IntOption<int>("level_size_multiplier", v, 1, kIntMax);
         }},
        {"dynamic_level_bytes", py::bool_(d.dynamic_level_bytes),
         "size the levels from the last one up (space amplification near 1.1).",
         [](OpenArgs& a, py::handle v) {
           a.options.dynamic_level_bytes = BoolOption("dynamic_level_bytes", v);
         }},
        {"level0_compaction_trigger", py::int_(d.level0_compaction_trigger),
         "L0 files that start a compaction.",
         [](OpenArgs& a, py::handle v) {
           a.options.level0_compaction_trigger =
               IntOption<int>("level0_compaction_trigger", v, 1, kIntMax);
         }},
        {"level0_slowdown_writes_trigger", py::int_(d.level0_slowdown_writes_trigger),
         "L0 files at which writes slow down to delayed_write_rate.",
         [](OpenArgs& a, py::handle v) {
           a.options.level0_slowdown_writes_trigger =
               IntOption<int>("level0_slowdown_writes_trigger", v, 1, kIntMax);
         }},
        {"level0_stop_writes_trigger", py::int_(d.level0_stop_writes_trigger),
         "L0 files at which writes wait for compaction.",
         [](OpenArgs& a, py::handle v) {
           a.options.level0_stop_writes_trigger =
               IntOption<int>("level0_stop_writes_trigger", v, 1, kIntMax);
         }},
        {"delayed_write_rate", py::int_(d.delayed_write_rate),
         "write rate (bytes/s) allowed while L0 is at or past the slowdown trigger.",
         [](OpenArgs& a, py::handle v) {
           a.options.delayed_write_rate = IntOption<uint64_t>("delayed_write_rate", v, 1);
         }},
        {"max_background_jobs", py::int_(d.max_background_jobs),
         "threads for flushes and compactions (0 = the number of cores, at least 2).",
         [](OpenArgs& a, py::handle v) {
           a.options.max_background_jobs = IntOption<int>("max_background_jobs", v, 0, kIntMax);
         }},
        {"max_subcompactions", py::int_(d.max_subcompactions),
         "key ranges an L0 -> base compaction is split into, merged in parallel (1 = never\n"
         "      split; 0 = the number of cores, at most 4).",
         [](OpenArgs& a, py::handle v) {
           a.options.max_subcompactions = IntOption<int>("max_subcompactions", v, 0, kIntMax);
         }},
        {"concurrent_memtable_writes", py::bool_(d.concurrent_memtable_writes),
         "writers of one commit group insert their own batches into the memtable in parallel.",
         [](OpenArgs& a, py::handle v) {
           a.options.concurrent_memtable_writes = BoolOption("concurrent_memtable_writes", v);
         }},
        {"max_open_files", py::int_(d.max_open_files),
         "SST files kept open: -1 keeps every live file open (point reads take no\n"
         "      shared lock); >= 10 bounds them with an LRU.",
         [](OpenArgs& a, py::handle v) {
           a.options.max_open_files = IntOption<int>("max_open_files", v, -1, kIntMax);
         }},
        {"bloom_bits_per_key", py::int_(d.bloom_bits_per_key),
         "bloom filter bits per key in every SST (0 disables filters; 10 gives ~1% false\n"
         "      positives).",
         [](OpenArgs& a, py::handle v) {
           a.options.bloom_bits_per_key = IntOption<int>("bloom_bits_per_key", v, 0, kIntMax);
         }},
        {"prefix_length", py::int_(d.prefix_length),
         "prefix filtering (0 = off): every new SST's filter also holds the first\n"
         "      prefix_length bytes of each key, so scans with prefix= at least that long skip\n"
         "      SSTs holding no key with that prefix (needs bloom_bits_per_key > 0).",
         [](OpenArgs& a, py::handle v) {
           a.options.prefix_length = IntOption<size_t>("prefix_length", v, 0, kMaxKeySize);
         }},
        {"block_cache_size", py::int_(d.block_cache_size),
         "bytes of the block cache shared by data, index and filter blocks (0 disables\n"
         "      caching of data blocks).",
         [](OpenArgs& a, py::handle v) {
           a.options.block_cache_size = IntOption<size_t>("block_cache_size", v, 0);
         }},
        {"compression", py::str(CompressionName(d.compression)),
         "codec of data blocks above the last level: 'none', 'lz4' or 'zstd'.",
         [](OpenArgs& a, py::handle v) {
           a.options.compression = CompressionOption("compression", v);
         }},
        {"bottommost_compression", py::str(CompressionName(d.bottommost_compression)),
         "codec of data blocks in the deepest level, where most data lives.",
         [](OpenArgs& a, py::handle v) {
           a.options.bottommost_compression = CompressionOption("bottommost_compression", v);
         }},
        {"zstd_level", py::int_(d.zstd_level), "zstd level when zstd is used (1..19).",
         [](OpenArgs& a, py::handle v) {
           a.options.zstd_level = IntOption<int>("zstd_level", v, 1, 19);
         }},
    };
    return t;
  }();
  return *table;
}

OpenArgs ParseOptions(const py::kwargs& kwargs) {
  OpenArgs args;
  const auto& table = OptionTable();
  for (auto [key, value] : kwargs) {
    const std::string name = py::str(key);
    auto spec = std::find_if(table.begin(), table.end(),
                             [&](const OptionSpec& o) { return name == o.name; });
    if (spec == table.end()) {
      throw py::type_error("DB() got an unexpected keyword argument '" + name + "'");
    }
    spec->set(args, value);
  }
  return args;
}

py::dict DefaultOptions() {
  py::dict out;
  for (const OptionSpec& o : OptionTable()) out[o.name] = o.default_value;
  return out;
}

std::string DbDoc() {
  std::string doc =
      "DB(path, *, create_if_missing=True, error_if_exists=False, sync=False, **options)\n"
      "\n"
      "An open kvstore database: an LSM tree in the directory ``path`` (str or\n"
      "os.PathLike).\n"
      "\n"
      "Keys and values are bytes-like (bytes, bytearray, memoryview); keys are ordered\n"
      "bytewise; keys are at most 64 KiB, values at most 256 MiB. A DB is safe to use\n"
      "from several threads. Use it as a context manager or call close(); afterwards any\n"
      "use of it, or of its iterators and snapshots, raises ClosedError.\n"
      "\n"
      "Keyword-only options [default]:\n";
  for (const OptionSpec& o : OptionTable()) {
    doc += std::string("  ") + o.name + " [" + py::repr(o.default_value).cast<std::string>() +
           "]\n      " + o.doc + "\n";
  }
  doc +=
      "\n"
      "Raises BusyError if the directory is in use by another DB (in this or another\n"
      "process), CorruptionError if recovery finds damage, InvalidArgumentError for bad\n"
      "option values, TypeError for unknown options, kvstore.IOError for file-system\n"
      "failures.";
  return doc;
}

constexpr const char* kRangeArgsDoc =
    "start (inclusive) and stop (exclusive) bound the keys; prefix restricts them to\n"
    "keys that start with it (combined with start/stop) and lets the scan skip SSTs\n"
    "whose key range or prefix filter (see prefix_length) excludes it; reverse walks\n"
    "from the last key down. All bounds are bytes-like or None.";

}  // namespace

void RegisterEngine(py::module_& m) {
  LoadErrorTypes();

  m.attr("MAX_KEY_SIZE") = kMaxKeySize;
  m.attr("MAX_VALUE_SIZE") = kMaxValueSize;
  m.attr("MAX_BATCH_SIZE") = kMaxBatchSize;

  // WriteBatch --------------------------------------------------------------
  py::class_<PyWriteBatch> batch(m, "WriteBatch",
                                 "An ordered set of puts and deletes that DB.write() applies "
                                 "atomically:\nafter a crash either all of it is present or "
                                 "none. Not thread safe.");
  batch.def(py::init<>())
      .def("put", &PyWriteBatch::Put, py::arg("key"), py::arg("value"),
           "Adds a put of key -> value.")
      .def("delete", &PyWriteBatch::Delete, py::arg("key"), "Adds a delete of key.")
      .def("clear", &PyWriteBatch::Clear, "Removes every operation.")
      .def("__len__", &PyWriteBatch::Count, "Number of operations.")
      .def("approximate_size", &PyWriteBatch::ApproximateSize,
           "Bytes of the encoded batch (close to its WAL cost).")
      .def("__repr__", [](const PyWriteBatch& b) {
        return "<kvstore.WriteBatch ops=" + std::to_string(b.Count()) + ">";
      });

  py::class_<PyBatchContext>(m, "BatchContext",
                             "Returned by DB.write_batch(): entering gives a fresh WriteBatch,\n"
                             "committed atomically on a normal exit, discarded if the block "
                             "raises.")
      .def("__enter__", &PyBatchContext::Enter)
      .def("__exit__", &PyBatchContext::Exit, py::arg("exc_type"), py::arg("exc"),
           py::arg("tb"));

  // Iterator ----------------------------------------------------------------
  py::class_<PyIterator> iter(m, "Iterator",
                              "A reusable cursor over a range of a DB or Snapshot.\n\n"
                              "Iterating yields entries from the current position: forward, or\n"
                              "backward for a reversed cursor. Returned by iterator() (yields\n"
                              "(key, value)) and by items()/keys()/values(). A consistent view "
                              "as of\nits creation. Use close() or a with block to free it early.");
  iter.def("__iter__", [](py::object self) { return self; })
      .def("__next__", &PyIterator::Next)
      .def("seek", &PyIterator::Seek, py::arg("key"),
           "Positions at the first key >= key (forward), or at the last key <= key\n"
           "(reversed cursor), within the cursor's range.")
      .def("seek_to_first", &PyIterator::SeekToFirst, "Positions at the first key of the range.")
      .def("seek_to_last", &PyIterator::SeekToLast, "Positions at the last key of the range.")
      .def("close", &PyIterator::Close, "Frees the cursor; later use raises ClosedError.")
      .def_property_readonly("closed", &PyIterator::closed)
      .def_property_readonly("reverse", &PyIterator::reverse)
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__",
           [](PyIterator& self, py::handle, py::handle, py::handle) {
             self.Close();
             return false;
           });
  iter.attr("__class_getitem__") = py::module_::import("builtins")
                                       .attr("classmethod")(
                                           py::module_::import("types").attr("GenericAlias"));
  // Set last: assigning a dunder attribute to the type would reset the slot.
  reinterpret_cast<PyTypeObject*>(iter.ptr())->tp_iternext = &PyIterator::IterNextSlot;

  const auto make_iter = [](IterMode mode) {
    return [mode](py::object self, py::handle start, py::handle stop, py::handle prefix,
                  bool reverse) {
      PyDB& db = self.cast<PyDB&>();
      return PyIterator::Create(self, db.core(), nullptr, start, stop, prefix, reverse, mode);
    };
  };

  // Snapshot ----------------------------------------------------------------
  py::class_<PySnapshot> snap(m, "Snapshot",
                              "A consistent read view of a DB as of its creation (DB.snapshot()).\n"
                              "Later writes are not seen. Release it with close() or a with "
                              "block.");

  // DB ------------------------------------------------------------------------
  py::class_<PyDB> db(m, "DB", DbDoc().c_str());
  db.def(py::init([](py::handle path, const py::kwargs& kwargs) {
           return PyDB::Open(path, ParseOptions(kwargs));
         }),
         py::arg("path"));

  db.def(
        "get",
        [](PyDB& self, py::handle key, py::object dflt) {
          return DoGet(*self.core(), nullptr, key, std::move(dflt));
        },
        py::arg("key"), py::arg("default") = py::none(),
        "Returns the value of key, or default if it is absent.")
      .def(
          "multi_get",
          [](PyDB& self, py::handle keys) { return DoMultiGet(*self.core(), nullptr, keys); },
          py::arg("keys"),
          "Returns a list with the value of each key (None where absent), all read from\n"
          "one consistent view.")
      .def("put", &PyDB::Put, py::arg("key"), py::arg("value"), py::kw_only(),
           py::arg("sync") = py::none(),
           "Sets key to value. sync=None uses the DB's default (the sync option).")
      .def("delete", &PyDB::Delete, py::arg("key"), py::kw_only(), py::arg("sync") = py::none(),
           "Removes key (a no-op if absent). sync=None uses the DB's default.")
      .def("write", &PyDB::Write, py::arg("batch"), py::kw_only(), py::arg("sync") = py::none(),
           "Applies a WriteBatch atomically. sync=None uses the DB's default.")
      .def(
          "write_batch",
          [](py::object self, std::optional<bool> sync) {
            if (self.cast<PyDB&>().closed()) RaiseClosed("database");
            return PyBatchContext(self, sync);
          },
          py::kw_only(), py::arg("sync") = py::none(),
          "Returns a context manager: `with db.write_batch() as b: b.put(k, v)` commits\n"
          "the batch atomically when the block exits normally and discards it if the\n"
          "block raises.")
      .def("__getitem__",
           [](PyDB& self, py::handle key) {
             auto [found, value] = DoLookup(*self.core(), nullptr, key);
             if (!found) throw py::key_error(py::repr(key).cast<std::string>());
             return value;
           })
      .def("__setitem__",
           [](PyDB& self, py::handle key, py::handle value) { self.Put(key, value, std::nullopt); })
      .def("__delitem__",
           [](PyDB& self, py::handle key) { self.Delete(key, std::nullopt); })
      .def("__contains__",
           [](PyDB& self, py::handle key) {
             return DoLookup(*self.core(), nullptr, key).first;
           })
      .def(
          "__iter__",
          [](py::object self) {
            PyDB& db = self.cast<PyDB&>();
            return PyIterator::Create(self, db.core(), nullptr, py::none(), py::none(),
                                      py::none(), false, IterMode::kKeys);
          },
          "Iterates over every key in order.")
      .def("items", make_iter(IterMode::kItems), py::arg("start") = py::none(),
           py::arg("stop") = py::none(), py::kw_only(), py::arg("prefix") = py::none(),
           py::arg("reverse") = false,
           (std::string("Iterates over (key, value) pairs in key order.\n") + kRangeArgsDoc)
               .c_str())
      .def("keys", make_iter(IterMode::kKeys), py::arg("start") = py::none(),
           py::arg("stop") = py::none(), py::kw_only(), py::arg("prefix") = py::none(),
           py::arg("reverse") = false,
           (std::string("Iterates over keys in order.\n") + kRangeArgsDoc).c_str())
      .def("values", make_iter(IterMode::kValues), py::arg("start") = py::none(),
           py::arg("stop") = py::none(), py::kw_only(), py::arg("prefix") = py::none(),
           py::arg("reverse") = false,
           (std::string("Iterates over values in key order.\n") + kRangeArgsDoc).c_str())
      .def("iterator", make_iter(IterMode::kItems), py::arg("start") = py::none(),
           py::arg("stop") = py::none(), py::kw_only(), py::arg("prefix") = py::none(),
           py::arg("reverse") = false,
           (std::string("Returns a reusable cursor (Iterator) positioned at the start of the\n"
                        "range (its end when reverse), yielding (key, value).\n") +
            kRangeArgsDoc)
               .c_str())
      .def(
          "snapshot", [](py::object self) { return PySnapshot::Create(std::move(self)); },
          "Returns a Snapshot: a consistent read view as of now.")
      .def("flush", &PyDB::Flush, "Writes the memtable to an SST file and waits for it.")
      .def("compact_range", &PyDB::CompactRange, py::arg("start") = py::none(),
           py::arg("stop") = py::none(),
           "Compacts the keys from start to stop (None = unbounded) down the levels and\n"
           "waits for it.")
      .def("stats", &PyDB::Stats,
           "Returns engine counters as a dict: 'levels' (a list of {'files', 'bytes'} per\n"
           "level), memtable_bytes, immutable_memtables, last_sequence, live_snapshots,\n"
           "flushes, compactions, subcompactions, compaction_bytes_read,\n"
           "compaction_bytes_written,\n"
           "flush_bytes_written, wal_bytes_written, wal_syncs, write_groups, writes,\n"
           "stall_slowdowns, stall_stops, stall_micros, wal_bytes_dropped,\n"
           "prefix_filter_skips (SSTs prefix scans skipped by their prefix filter) and\n"
           "disk_bytes (live SST and WAL bytes).")
      .def("approximate_size", &PyDB::ApproximateSize,
           "Bytes on disk of the live SST and WAL files.")
      .def("close", &PyDB::Close,
           "Closes the DB: invalidates its iterators and snapshots and releases the\n"
           "directory lock. Idempotent.")
      .def_property_readonly("closed", &PyDB::closed)
      .def_property_readonly("path", &PyDB::path)
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__",
           [](PyDB& self, py::handle, py::handle, py::handle) {
             self.Close();
             return false;
           })
      .def("__repr__", [](PyDB& self) {
        return "<kvstore.DB path=" + py::repr(self.path()).cast<std::string>() +
               (self.closed() ? " closed>" : ">");
      });

  // Snapshot methods (after DB, whose type they take).
  const auto snap_iter = [](IterMode mode) {
    return [mode](py::object self, py::handle start, py::handle stop, py::handle prefix,
                  bool reverse) {
      PySnapshot& s = self.cast<PySnapshot&>();
      return PyIterator::Create(self, s.core_ptr(), s.state(), start, stop, prefix, reverse,
                                mode);
    };
  };
  snap.def(
          "get",
          [](PySnapshot& self, py::handle key, py::object dflt) {
            return DoGet(self.core(), self.state(), key, std::move(dflt));
          },
          py::arg("key"), py::arg("default") = py::none(),
          "Returns the value of key in this view, or default if it is absent.")
      .def(
          "multi_get",
          [](PySnapshot& self, py::handle keys) {
            return DoMultiGet(self.core(), self.state(), keys);
          },
          py::arg("keys"), "Returns a list with the value of each key (None where absent).")
      .def("__getitem__",
           [](PySnapshot& self, py::handle key) {
             auto [found, value] = DoLookup(self.core(), self.state(), key);
             if (!found) throw py::key_error(py::repr(key).cast<std::string>());
             return value;
           })
      .def("__contains__",
           [](PySnapshot& self, py::handle key) {
             return DoLookup(self.core(), self.state(), key).first;
           })
      .def("items", snap_iter(IterMode::kItems), py::arg("start") = py::none(),
           py::arg("stop") = py::none(), py::kw_only(), py::arg("prefix") = py::none(),
           py::arg("reverse") = false,
           (std::string("Iterates over (key, value) pairs in this view.\n") + kRangeArgsDoc)
               .c_str())
      .def("keys", snap_iter(IterMode::kKeys), py::arg("start") = py::none(),
           py::arg("stop") = py::none(), py::kw_only(), py::arg("prefix") = py::none(),
           py::arg("reverse") = false,
           (std::string("Iterates over keys in this view.\n") + kRangeArgsDoc).c_str())
      .def("values", snap_iter(IterMode::kValues), py::arg("start") = py::none(),
           py::arg("stop") = py::none(), py::kw_only(), py::arg("prefix") = py::none(),
           py::arg("reverse") = false,
           (std::string("Iterates over values in this view.\n") + kRangeArgsDoc).c_str())
      .def("iterator", snap_iter(IterMode::kItems), py::arg("start") = py::none(),
           py::arg("stop") = py::none(), py::kw_only(), py::arg("prefix") = py::none(),
           py::arg("reverse") = false,
           (std::string("Returns a reusable cursor over this view.\n") + kRangeArgsDoc).c_str())
      .def_property_readonly("sequence", &PySnapshot::sequence,
                             "The sequence number the view is taken at.")
      .def_property_readonly("closed", &PySnapshot::closed)
      .def("close", &PySnapshot::Close, "Releases the snapshot. Idempotent.")
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](PySnapshot& self, py::handle, py::handle, py::handle) {
        self.Close();
        return false;
      });

  m.def("default_options", &DefaultOptions,
        "Returns a dict of every DB keyword option and its default value.");

  m.def(
      "destroy",
      [](py::handle path) {
        std::string name = FsPath(path);
        Status s;
        {
          py::gil_scoped_release nogil;
          s = DestroyDB(name, Options());
        }
        if (!s.ok()) RaiseStatus(s);
      },
      py::arg("path"),
      "Deletes the database in path (all of its files, and the directory if it is\n"
      "then empty). Raises BusyError if it is open.");

  for (const char* name : {"DB", "WriteBatch", "BatchContext", "Iterator", "Snapshot"}) {
    m.attr(name).attr("__module__") = "kvstore";
  }
}

}  // namespace kvstore::bindings
