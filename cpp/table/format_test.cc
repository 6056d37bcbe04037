// util/checksum.h declares an XXH3_state_t on the stack, whose definition
// xxhash.h only exposes under XXH_STATIC_LINKING_ONLY. Until checksum.h
// defines it itself, define it here, before anything includes xxhash.h.
#ifndef XXH_STATIC_LINKING_ONLY
#define XXH_STATIC_LINKING_ONLY
#endif

#include "table/format.h"

#include <gtest/gtest.h>

#include <limits>

#include "table/mem_file_testutil.h"
#include "util/checksum.h"
#include "util/coding.h"
#include "util/compression.h"

namespace kvstore {
namespace {

TEST(BlockHandleTest, RoundTrip) {
  const uint64_t values[] = {0, 1, 127, 128, 4096, uint64_t{1} << 32,
                             std::numeric_limits<uint64_t>::max()};
  for (uint64_t off : values) {
    for (uint64_t size : values) {
      BlockHandle h{off, size};
      std::string enc;
      h.EncodeTo(&enc);
      EXPECT_LE(enc.size(), BlockHandle::kMaxEncodedLength);
      enc.append("tail");
      Slice in = enc;
      BlockHandle d;
      ASSERT_TRUE(d.DecodeFrom(&in).ok());
      EXPECT_EQ(d.offset, off);
      EXPECT_EQ(d.size, size);
      EXPECT_EQ(in, "tail");
    }
  }
}

TEST(BlockHandleTest, TruncatedIsCorruption) {
  std::string enc;
  BlockHandle{300, 70000}.EncodeTo(&enc);
  for (size_t len = 0; len < enc.size(); len++) {
    Slice in(enc.data(), len);
    BlockHandle d;
    EXPECT_TRUE(d.DecodeFrom(&in).IsCorruption()) << len;
  }
}

TEST(FooterTest, RoundTripAndLength) {
  Footer f{{1234, 56}, {uint64_t{1} << 40, std::numeric_limits<uint64_t>::max()}};
  std::string enc = "prefix";
  f.EncodeTo(&enc);
  ASSERT_EQ(enc.size(), 6 + Footer::kEncodedLength);
  EXPECT_EQ(Footer::kEncodedLength, 52u);
  Footer d;
  ASSERT_TRUE(d.DecodeFrom(enc).ok());
  EXPECT_EQ(d.metaindex_handle.offset, 1234u);
  EXPECT_EQ(d.metaindex_handle.size, 56u);
  EXPECT_EQ(d.index_handle.offset, uint64_t{1} << 40);
  EXPECT_EQ(d.index_handle.size, std::numeric_limits<uint64_t>::max());
}

TEST(FooterTest, Rejects) {
  Footer f{{10, 20}, {30, 40}};
  std::string good;
  f.EncodeTo(&good);
  Footer d;

  Status s = d.DecodeFrom(Slice(good).substr(1));
  EXPECT_TRUE(s.IsCorruption());

  std::string bad_magic = good;
  bad_magic.back() ^= 1;
  s = d.DecodeFrom(bad_magic);
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_NE(s.message().find("bad magic number"), std::string::npos) << s.ToString();

  std::string bad_version = good;
  bad_version[Footer::kHandlesLength] = 2;
  s = d.DecodeFrom(bad_version);
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_NE(s.message().find("version"), std::string::npos) << s.ToString();

  std::string bad_padding = good;
  bad_padding[Footer::kHandlesLength - 1] = 'x';
  EXPECT_TRUE(d.DecodeFrom(bad_padding).IsCorruption());

  // Handles that run into the padding area do not decode cleanly.
  std::string bad_handles = good;
  for (size_t i = 0; i < Footer::kHandlesLength; i++) bad_handles[i] = '\x80';
  EXPECT_TRUE(d.DecodeFrom(bad_handles).IsCorruption());
}

// A file holding "junk" then one block with a trailer; returns its handle.
BlockHandle WriteBlock(std::string* file, Slice contents, char type) {
  file->append("junk");
  BlockHandle h{file->size(), contents.size()};
  file->append(contents.data(), contents.size());
  file->push_back(type);
  PutFixed32(file, Checksum2(contents, Slice(&type, 1)));
  return h;
}

TEST(ReadBlockTest, ReadsAndVerifies) {
  std::string file;
  BlockHandle h = WriteBlock(&file, "hello block", 0);
  StringSource src(file);
  std::string contents;
  ASSERT_TRUE(ReadBlock(&src, h, &contents).ok());
  EXPECT_EQ(contents, "hello block");

  BlockHandle empty = WriteBlock(&file, "", 0);
  StringSource src2(file);
  ASSERT_TRUE(ReadBlock(&src2, empty, &contents).ok());
  EXPECT_EQ(contents, "");
}

TEST(ReadBlockTest, AppendBlockTrailerMatchesFormat) {
  std::string a, b;
  WriteBlock(&a, "abc", 0);
  b = "junkabc";
  AppendBlockTrailer(&b, "abc", CompressionType::kNone);
  EXPECT_EQ(a, b);
}

TEST(ReadBlockTest, EveryFlippedByteIsCorruption) {
  std::string file;
  BlockHandle h = WriteBlock(&file, "some block contents", 0);
  for (size_t i = h.offset; i < file.size(); i++) {
    for (int bit = 0; bit < 8; bit++) {
      std::string bad = file;
      bad[i] ^= static_cast<char>(1 << bit);
      StringSource src(bad);
      std::string contents;
      Status s = ReadBlock(&src, h, &contents);
      EXPECT_TRUE(s.IsCorruption()) << i << " " << bit;
    }
  }
  std::string bad = file;
  bad[h.offset + 2] ^= 1;
  StringSource src(bad);
  std::string contents;
  Status s = ReadBlock(&src, h, &contents);
  EXPECT_NE(s.message().find("block checksum mismatch"), std::string::npos) << s.ToString();
}

TEST(ReadBlockTest, Truncated) {
  std::string file;
  BlockHandle h = WriteBlock(&file, "truncate me", 0);
  for (size_t len = 0; len < file.size(); len++) {
    StringSource src(file.substr(0, len));
    std::string contents;
    EXPECT_TRUE(ReadBlock(&src, h, &contents).IsCorruption()) << len;
  }
}

TEST(ReadBlockTest, UnknownCompressionType) {
  for (int type : {3, 200, 255}) {
    std::string file;
    BlockHandle h = WriteBlock(&file, "x", static_cast<char>(type));
    StringSource src(file);
    std::string contents;
    Status s = ReadBlock(&src, h, &contents);
    EXPECT_TRUE(s.IsCorruption()) << type;
    EXPECT_NE(s.message().find("compression type"), std::string::npos) << s.ToString();
  }
}

TEST(ReadBlockTest, CompressedBlocks) {
  const std::string raw(3000, 'z');
  for (Compression c : {Compression::kLZ4, Compression::kZstd}) {
    std::string payload;
    ASSERT_TRUE(CompressBlock(c, raw, 3, &payload));
    std::string file;
    BlockHandle h = WriteBlock(&file, payload, static_cast<char>(c));
    StringSource src(file);
    std::string contents;
    ASSERT_TRUE(ReadBlock(&src, h, &contents).ok());
    EXPECT_EQ(contents, raw);
    // Payloads that are not what their type says, with valid checksums.
    for (const std::string& bad : {std::string("x"), std::string(), payload.substr(0, 5),
                                   std::string("\x05hello")}) {
      std::string f2;
      BlockHandle h2 = WriteBlock(&f2, bad, static_cast<char>(c));
      StringSource src2(f2);
      Status s = ReadBlock(&src2, h2, &contents);
      EXPECT_TRUE(s.IsCorruption()) << s.ToString();
    }
  }
}

// Flips bytes of a compressed payload and re-seals the block with a valid
// checksum, so the decompressor itself sees the damage: Corruption or a
// block of the recorded size, never a crash (run under ASan).
TEST(ReadBlockTest, DamagedPayloadBehindValidChecksum) {
  std::string raw;
  for (int i = 0; i < 300; i++) raw += "entry" + std::to_string(i * 7919 % 1000);
  for (Compression c : {Compression::kLZ4, Compression::kZstd}) {
    std::string payload;
    ASSERT_TRUE(CompressBlock(c, raw, 3, &payload));
    for (size_t i = 0; i < payload.size(); i++) {
      for (int delta : {0x01, 0x40, 0xff}) {
        std::string bad = payload;
        bad[i] = static_cast<char>(bad[i] ^ delta);
        std::string file;
        BlockHandle h = WriteBlock(&file, bad, static_cast<char>(c));
        StringSource src(file);
        std::string contents;
        Status s = ReadBlock(&src, h, &contents);
        if (s.ok()) {
          ASSERT_EQ(contents.size(), raw.size());
        } else {
          ASSERT_TRUE(s.IsCorruption()) << s.ToString();
        }
      }
    }
  }
}

TEST(ReadBlockTest, HugeHandlesAndIOErrors) {
  std::string file;
  WriteBlock(&file, "abc", 0);
  StringSource src(file);
  std::string contents;
  EXPECT_TRUE(ReadBlock(&src, BlockHandle{0, uint64_t{1} << 40}, &contents).IsCorruption());
  EXPECT_TRUE(
      ReadBlock(&src, BlockHandle{std::numeric_limits<uint64_t>::max() - 2, 3}, &contents)
          .IsCorruption());
  EXPECT_TRUE(ReadBlock(&src, BlockHandle{1 << 20, 3}, &contents).IsCorruption());
  src.set_fail_reads(true);
  EXPECT_TRUE(ReadBlock(&src, BlockHandle{4, 3}, &contents).IsIOError());
}

}  // namespace
}  // namespace kvstore
