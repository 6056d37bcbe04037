#include "node/admin_service.h"

#include <chrono>

#include "node/status_map.h"

namespace kvstore::node {

std::vector<std::pair<std::string, uint64_t>> EngineCounters(const DbStats& s) {
  return {
      {"memtable_bytes", s.memtable_bytes},
      {"immutable_memtables", s.immutable_memtables},
      {"last_sequence", s.last_sequence},
      {"live_snapshots", s.live_snapshots},
      {"flushes", s.flushes},
      {"compactions", s.compactions},
      {"subcompactions", s.subcompactions},
      {"compaction_bytes_read", s.compaction_bytes_read},
      {"compaction_bytes_written", s.compaction_bytes_written},
      {"flush_bytes_written", s.flush_bytes_written},
      {"wal_bytes_written", s.wal_bytes_written},
      {"wal_syncs", s.wal_syncs},
      {"write_groups", s.write_groups},
      {"writes", s.writes},
      {"stall_slowdowns", s.stall_slowdowns},
      {"stall_stops", s.stall_stops},
      {"stall_micros", s.stall_micros},
      {"wal_bytes_dropped", s.wal_bytes_dropped},
  };
}

grpc::ServerUnaryReactor* AdminService::Status(grpc::CallbackServerContext* ctx,
                                               const v1::StatusRequest* req,
                                               v1::StatusResponse* resp) {
  UnaryCall call(state_, Method::kStatus, ctx->DefaultReactor());
  if (auto s = state_->Admit(ctx); !s.ok()) return call.Finish(s);
  NodeState* st = state_;
  const std::string version = version_;
  if (!st->read_pool.TrySubmit([st, call, resp, version] {
        DbStats stats = st->db->GetStats();
        resp->mutable_header()->set_node_id(st->config.node_id);
        resp->mutable_header()->set_sequence(stats.last_sequence);
        resp->set_node_id(st->config.node_id);
        resp->set_address(st->bound_address);
        resp->set_version(version);
        resp->set_uptime_seconds(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - st->started_at).count());
        resp->set_data_bytes(st->db->ApproximateDiskSize());
        for (const auto& level : stats.levels) {
          auto* l = resp->add_levels();
          l->set_files(static_cast<uint32_t>(level.files));
          l->set_bytes(level.bytes);
        }
        auto* m = resp->mutable_engine_stats();
        for (const auto& [name, value] : EngineCounters(stats)) (*m)[name] = value;
        call.Finish(grpc::Status::OK);
      })) {
    return call.Finish(OverloadedStatus("read"));
  }
  return call.reactor();
}

}  // namespace kvstore::node
