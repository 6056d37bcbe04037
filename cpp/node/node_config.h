// NodeConfig: everything a storage node needs to start — where its data lives,
// where it listens, who it is, how it authenticates clients and which limits it
// enforces. A plain value: copy it freely. kvstore serve (Python) builds one
// from flags, a TOML file and KVSTORE_* environment variables.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "kvstore/options.h"

namespace kvstore::node {

struct NodeLimits {
  // Largest request message the node accepts (gRPC max receive size); a bigger
  // message is refused with RESOURCE_EXHAUSTED before it reaches a handler.
  // The default admits 64 MiB requests; raise it (up to 1 GiB) to store values
  // near the engine's 256 MiB limit.
  int max_receive_message_bytes = 64 * 1024 * 1024;
  // One Write request: at most this many mutations and this many key+value bytes.
  size_t max_batch_mutations = 10000;
  size_t max_batch_bytes = 64 * 1024 * 1024;
  // One MultiGet request: at most this many keys.
  size_t max_multi_get_keys = 10000;
  // Scan: the default and the largest byte budget per response message.
  uint32_t default_scan_message_bytes = 1024 * 1024;
  uint32_t max_scan_message_bytes = 16 * 1024 * 1024;
  // Scans open at once (each pins an engine iterator and a snapshot).
  size_t max_open_scans = 1024;
  // Writes (Put, Delete, Write, CompareAndSwap) wait in one queue drained by a
  // single committer thread, which writes everything queued as one engine batch
  // (one WAL append and at most one fsync; split past 4 MiB or 10,000 mutations). Reads that do not run inline
  // (MultiGet, Scan, Status) run on a pool of read_threads.
  int read_threads = 4;
  // Requests waiting for the committer / for a read worker. A full queue
  // answers RESOURCE_EXHAUSTED at once instead of buffering without bound.
  size_t max_queued_writes = 4096;
  size_t max_queued_reads = 4096;
  // Key+value bytes of the writes queued or running at once. Past it, new writes
  // get RESOURCE_EXHAUSTED (a single write is always admitted when none is in
  // flight), so queued requests never hold more than about this much memory.
  size_t max_inflight_write_bytes = 512 * 1024 * 1024;
};

struct NodeConfig {
  std::string data_dir = "./kvstore-data";
  // host:port; port 0 picks a free port (Node::Start reports it).
  std::string listen_address = "127.0.0.1:7379";
  uint64_t node_id = 1;
  Options engine;

  // TLS: PEM files. With cert and key set the node speaks only TLS; with a
  // client CA too, every client must present a certificate signed by it (mTLS).
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;
  // Bearer token auth: when non-empty every KV and Admin call must carry
  // "authorization: Bearer <token>". The health and reflection services are exempt.
  std::string auth_token;

  NodeLimits limits;
};

}  // namespace kvstore::node
