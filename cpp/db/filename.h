// Names of the files in a database directory (see docs/format.md):
//   NNNNNN.log       write-ahead log          NNNNNN.sst     table (SST)
//   MANIFEST-NNNNNN  version-edit log         CURRENT        names the live MANIFEST
//   LOCK             held while open          NNNNNN.dbtmp   temporary (CURRENT swap)
#pragma once

#include <cstdint>
#include <string>

#include "kvstore/env.h"
#include "kvstore/slice.h"
#include "kvstore/status.h"

namespace kvstore {

enum class FileType { kLogFile, kLockFile, kTableFile, kDescriptorFile, kCurrentFile, kTempFile };

std::string LogFileName(const std::string& dbname, uint64_t number);
std::string TableFileName(const std::string& dbname, uint64_t number);
std::string DescriptorFileName(const std::string& dbname, uint64_t number);
std::string CurrentFileName(const std::string& dbname);
std::string LockFileName(const std::string& dbname);
std::string TempFileName(const std::string& dbname, uint64_t number);

// Parses a name produced above (without directory); false for foreign files.
bool ParseFileName(const std::string& filename, uint64_t* number, FileType* type);

// Points CURRENT at MANIFEST-descriptor_number atomically: writes a temp file,
// fsyncs it, renames it over CURRENT and fsyncs the directory.
Status SetCurrentFile(Env* env, const std::string& dbname, uint64_t descriptor_number);

}  // namespace kvstore
