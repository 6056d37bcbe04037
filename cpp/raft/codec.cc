// Message and ConfChange wire formats (docs/raft.md, "Wire format").
//
//   message := version(1 byte = 1) type(1 byte) from term log_term index commit
//              to reject_hint (varint64 each) flags(1 byte: bit0 = reject)
//              context(length-prefixed) n_entries(varint32) entry*
//              [snapshot, only for kSnapshot] checksum(fixed32 over all previous bytes)
//   entry   := term index (varint64) type(1 byte) data(length-prefixed)
//   snapshot:= index term (varint64) n_voters(varint32) voter* n_learners(varint32)
//              learner* (varint64 each) data(length-prefixed)
#ifndef XXH_STATIC_LINKING_ONLY
#define XXH_STATIC_LINKING_ONLY  // util/checksum.h needs the XXH3 state type
#endif
#include <algorithm>

#include "kvstore/raft.h"
#include "util/checksum.h"
#include "util/coding.h"

namespace kvstore::raft {

namespace {

constexpr uint8_t kMessageVersion = 1;
constexpr uint8_t kConfChangeVersion = 1;

void PutEntry(std::string* dst, const Entry& e) {
  PutVarint64(dst, e.term);
  PutVarint64(dst, e.index);
  dst->push_back(static_cast<char>(e.type));
  PutLengthPrefixedSlice(dst, e.data);
}

bool GetByte(Slice* in, uint8_t* b) {
  if (in->empty()) return false;
  *b = static_cast<uint8_t>((*in)[0]);
  in->remove_prefix(1);
  return true;
}

bool GetIdList(Slice* in, std::vector<uint64_t>* ids) {
  uint32_t n;
  if (!GetVarint32(in, &n) || n > in->size()) return false;  // each id takes >= 1 byte
  ids->clear();
  ids->reserve(n);
  for (uint32_t i = 0; i < n; i++) {
    uint64_t id;
    if (!GetVarint64(in, &id) || id == 0) return false;
    if (!ids->empty() && id <= ids->back()) return false;  // sorted, no duplicates
    ids->push_back(id);
  }
  return true;
}

void PutIdList(std::string* dst, const std::vector<uint64_t>& ids) {
  PutVarint32(dst, static_cast<uint32_t>(ids.size()));
  for (uint64_t id : ids) PutVarint64(dst, id);
}

}  // namespace

const char* MessageTypeName(MessageType t) {
  switch (t) {
    case MessageType::kAppend: return "Append";
    case MessageType::kAppendResp: return "AppendResp";
    case MessageType::kVote: return "Vote";
    case MessageType::kVoteResp: return "VoteResp";
    case MessageType::kPreVote: return "PreVote";
    case MessageType::kPreVoteResp: return "PreVoteResp";
    case MessageType::kHeartbeat: return "Heartbeat";
    case MessageType::kHeartbeatResp: return "HeartbeatResp";
    case MessageType::kSnapshot: return "Snapshot";
    case MessageType::kTimeoutNow: return "TimeoutNow";
    case MessageType::kReadIndex: return "ReadIndex";
    case MessageType::kReadIndexResp: return "ReadIndexResp";
    case MessageType::kTransferLeader: return "TransferLeader";
  }
  return "Unknown";
}

std::string EncodeMessage(const Message& m) {
  std::string out;
  size_t reserve = 48 + m.context.size();
  for (const Entry& e : m.entries) reserve += 24 + e.data.size();
  if (m.type == MessageType::kSnapshot) reserve += 32 + m.snapshot.data.size();
  out.reserve(reserve);
  out.push_back(static_cast<char>(kMessageVersion));
  out.push_back(static_cast<char>(m.type));
  PutVarint64(&out, m.from);
  PutVarint64(&out, m.to);
  PutVarint64(&out, m.term);
  PutVarint64(&out, m.log_term);
  PutVarint64(&out, m.index);
  PutVarint64(&out, m.commit);
  PutVarint64(&out, m.reject_hint);
  out.push_back(m.reject ? 1 : 0);
  PutLengthPrefixedSlice(&out, m.context);
  PutVarint32(&out, static_cast<uint32_t>(m.entries.size()));
  for (const Entry& e : m.entries) PutEntry(&out, e);
  if (m.type == MessageType::kSnapshot) {
    PutVarint64(&out, m.snapshot.meta.index);
    PutVarint64(&out, m.snapshot.meta.term);
    PutIdList(&out, m.snapshot.meta.conf.voters);
    PutIdList(&out, m.snapshot.meta.conf.learners);
    PutLengthPrefixedSlice(&out, m.snapshot.data);
  }
  PutFixed32(&out, Checksum(out.data(), out.size()));
  return out;
}

Status DecodeMessage(Slice bytes, Message* m) {
  auto bad = [](const char* why) { return Status::Corruption("raft message", why); };
  if (bytes.size() < 2 + 4) return bad("too short");
  uint32_t stored = DecodeFixed32(bytes.data() + bytes.size() - 4);
  Slice in = bytes.substr(0, bytes.size() - 4);
  if (Checksum(in.data(), in.size()) != stored) return bad("checksum mismatch");
  uint8_t version, type, flags;
  if (!GetByte(&in, &version) || version != kMessageVersion) return bad("unknown version");
  if (!GetByte(&in, &type) || type == 0 || type > kMaxMessageType) return bad("unknown type");
  Message out;
  out.type = static_cast<MessageType>(type);
  if (!GetVarint64(&in, &out.from) || !GetVarint64(&in, &out.to) || !GetVarint64(&in, &out.term) ||
      !GetVarint64(&in, &out.log_term) || !GetVarint64(&in, &out.index) ||
      !GetVarint64(&in, &out.commit) || !GetVarint64(&in, &out.reject_hint) ||
      !GetByte(&in, &flags)) {
    return bad("truncated header");
  }
  if (flags > 1) return bad("unknown flags");
  out.reject = flags == 1;
  if (out.from == 0 || out.to == 0) return bad("zero node id");
  Slice ctx;
  if (!GetLengthPrefixedSlice(&in, &ctx)) return bad("truncated context");
  out.context.assign(ctx.data(), ctx.size());
  uint32_t n;
  if (!GetVarint32(&in, &n) || n > in.size() / 4) return bad("bad entry count");  // >= 4 bytes each
  out.entries.resize(n);
  for (uint32_t i = 0; i < n; i++) {
    Entry& e = out.entries[i];
    uint8_t et;
    Slice data;
    if (!GetVarint64(&in, &e.term) || !GetVarint64(&in, &e.index) || !GetByte(&in, &et) ||
        !GetLengthPrefixedSlice(&in, &data)) {
      return bad("truncated entry");
    }
    if (et > static_cast<uint8_t>(EntryType::kConfChange)) return bad("unknown entry type");
    e.type = static_cast<EntryType>(et);
    e.data.assign(data.data(), data.size());
  }
  if (out.type == MessageType::kSnapshot) {
    Slice data;
    if (!GetVarint64(&in, &out.snapshot.meta.index) || !GetVarint64(&in, &out.snapshot.meta.term) ||
        !GetIdList(&in, &out.snapshot.meta.conf.voters) ||
        !GetIdList(&in, &out.snapshot.meta.conf.learners) || !GetLengthPrefixedSlice(&in, &data)) {
      return bad("truncated snapshot");
    }
    out.snapshot.data.assign(data.data(), data.size());
    if (out.snapshot.meta.index == 0) return bad("empty snapshot");
  } else if (!out.entries.empty() && out.type != MessageType::kAppend) {
    return bad("entries on a non-append message");
  }
  if (!in.empty()) return bad("trailing bytes");
  // Semantic checks: an append carries consecutive entries after `index`,
  // with terms that never decrease and never exceed the message's term.
  uint64_t prev_term = out.log_term;
  for (size_t i = 0; i < out.entries.size(); i++) {
    const Entry& e = out.entries[i];
    if (out.index > UINT64_MAX - 1 - i || e.index != out.index + 1 + i) return bad("entry index gap");
    if (e.term < prev_term || e.term > out.term) return bad("entry term out of order");
    prev_term = e.term;
  }
  *m = std::move(out);
  return Status::OK();
}

std::string EncodeConfChange(const ConfChange& cc) {
  std::string out;
  out.push_back(static_cast<char>(kConfChangeVersion));
  out.push_back(static_cast<char>(cc.type));
  PutVarint64(&out, cc.node_id);
  PutLengthPrefixedSlice(&out, cc.context);
  return out;
}

Status DecodeConfChange(Slice bytes, ConfChange* cc) {
  auto bad = [](const char* why) { return Status::Corruption("raft conf change", why); };
  uint8_t version, type;
  ConfChange out;
  Slice ctx;
  if (!GetByte(&bytes, &version) || version != kConfChangeVersion) return bad("unknown version");
  if (!GetByte(&bytes, &type) || type > static_cast<uint8_t>(ConfChangeType::kRemoveNode)) {
    return bad("unknown type");
  }
  out.type = static_cast<ConfChangeType>(type);
  if (!GetVarint64(&bytes, &out.node_id) || out.node_id == 0) return bad("bad node id");
  if (!GetLengthPrefixedSlice(&bytes, &ctx)) return bad("truncated context");
  if (!bytes.empty()) return bad("trailing bytes");
  out.context.assign(ctx.data(), ctx.size());
  *cc = std::move(out);
  return Status::OK();
}

// ---------------------------------------------------------------- ConfState

bool ConfState::IsVoter(uint64_t id) const {
  return std::binary_search(voters.begin(), voters.end(), id);
}
bool ConfState::IsLearner(uint64_t id) const {
  return std::binary_search(learners.begin(), learners.end(), id);
}

namespace {
void Insert(std::vector<uint64_t>* v, uint64_t id) {
  auto it = std::lower_bound(v->begin(), v->end(), id);
  if (it == v->end() || *it != id) v->insert(it, id);
}
void Erase(std::vector<uint64_t>* v, uint64_t id) {
  auto it = std::lower_bound(v->begin(), v->end(), id);
  if (it != v->end() && *it == id) v->erase(it);
}
}  // namespace

ConfState ApplyConfChange(const ConfState& cs, const ConfChange& cc) {
  ConfState out = cs;
  switch (cc.type) {
    case ConfChangeType::kAddNode:
      Erase(&out.learners, cc.node_id);
      Insert(&out.voters, cc.node_id);
      break;
    case ConfChangeType::kAddLearner:
      if (!out.IsVoter(cc.node_id)) Insert(&out.learners, cc.node_id);
      break;
    case ConfChangeType::kRemoveNode:
      Erase(&out.voters, cc.node_id);
      Erase(&out.learners, cc.node_id);
      break;
  }
  return out;
}

Status ValidateConfChange(const ConfState& cs, const ConfChange& cc) {
  if (cc.node_id == 0) return Status::InvalidArgument("conf change: node id 0");
  switch (cc.type) {
    case ConfChangeType::kAddNode:
      if (cs.IsVoter(cc.node_id)) return Status::InvalidArgument("conf change: already a voter");
      return Status::OK();
    case ConfChangeType::kAddLearner:
      if (cs.IsVoter(cc.node_id)) {
        return Status::InvalidArgument("conf change: demoting a voter is not supported");
      }
      if (cs.IsLearner(cc.node_id)) return Status::InvalidArgument("conf change: already a learner");
      return Status::OK();
    case ConfChangeType::kRemoveNode:
      if (!cs.IsVoter(cc.node_id) && !cs.IsLearner(cc.node_id)) {
        return Status::InvalidArgument("conf change: not a member");
      }
      if (cs.IsVoter(cc.node_id) && cs.voters.size() == 1) {
        return Status::InvalidArgument("conf change: cannot remove the last voter");
      }
      return Status::OK();
  }
  return Status::InvalidArgument("conf change: unknown type");
}

}  // namespace kvstore::raft
