#include "db/version_edit.h"

#include <limits>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "util/coding.h"

namespace kvstore {
namespace {

std::string Encode(const VersionEdit& edit) {
  std::string s;
  edit.EncodeTo(&s);
  return s;
}

// An edit with every kind of field; returns the number of fields.
int FillEdit(VersionEdit* edit, uint64_t base) {
  int fields = 0;
  edit->SetComparatorName("kvstore.BytewiseComparator");
  edit->SetLogNumber(base + 1);
  edit->SetNextFile(base + 2);
  edit->SetLastSequence(kMaxSequenceNumber - base);
  fields += 4;
  for (int i = 0; i < 4; i++) {
    edit->SetCompactPointer(i, InternalKey("cp" + std::to_string(i), base + i, kTypeValue));
    edit->RemoveFile(i + 3, base + 100 + i);
    edit->AddFile(i, base + 200 + i, (uint64_t{1} << 40) + i,
                  InternalKey(std::string("small\0est", 9), base + 300 + i, kTypeDeletion),
                  InternalKey("largest", base + 400 + i, kTypeValue));
    fields += 3;
  }
  return fields;
}

TEST(VersionEditTest, EmptyRoundTrip) {
  VersionEdit edit;
  EXPECT_EQ(Encode(edit), "");
  VersionEdit parsed;
  ASSERT_TRUE(parsed.DecodeFrom("").ok());
  EXPECT_EQ(Encode(parsed), "");
}

TEST(VersionEditTest, RoundTrip) {
  for (uint64_t base : {uint64_t{0}, uint64_t{1000}, uint64_t{1} << 50}) {
    VersionEdit edit;
    FillEdit(&edit, base);
    std::string encoded = Encode(edit);
    VersionEdit parsed;
    Status s = parsed.DecodeFrom(encoded);
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(Encode(parsed), encoded);
    EXPECT_EQ(parsed.DebugString(), edit.DebugString());
  }
}

TEST(VersionEditTest, ExtremeNumbers) {
  VersionEdit edit;
  edit.SetLogNumber(std::numeric_limits<uint64_t>::max());
  edit.SetNextFile(std::numeric_limits<uint64_t>::max());
  edit.AddFile(6, std::numeric_limits<uint64_t>::max(), std::numeric_limits<uint64_t>::max(),
               InternalKey("", 0, kTypeValue), InternalKey("", kMaxSequenceNumber, kTypeValue));
  VersionEdit parsed;
  ASSERT_TRUE(parsed.DecodeFrom(Encode(edit)).ok());
  EXPECT_EQ(Encode(parsed), Encode(edit));
}

TEST(VersionEditTest, DecodeReplacesPreviousContents) {
  VersionEdit a, b;
  FillEdit(&a, 1);
  b.SetLogNumber(77);
  ASSERT_TRUE(a.DecodeFrom(Encode(b)).ok());
  EXPECT_EQ(Encode(a), Encode(b));
}

TEST(VersionEditTest, EveryTruncationFailsCleanly) {
  VersionEdit edit;
  int fields = FillEdit(&edit, 12345);
  std::string encoded = Encode(edit);
  int ok_cuts = 0;
  for (size_t cut = 0; cut < encoded.size(); cut++) {
    VersionEdit parsed;
    Status s = parsed.DecodeFrom(Slice(encoded).substr(0, cut));
    if (s.ok()) {
      // Only a cut between fields decodes, and it yields exactly those fields.
      ok_cuts++;
      EXPECT_EQ(Encode(parsed), encoded.substr(0, cut)) << cut;
    } else {
      EXPECT_TRUE(s.IsCorruption()) << cut << ": " << s.ToString();
      EXPECT_EQ(Encode(parsed), "") << "a failed decode leaves an empty edit";
    }
  }
  EXPECT_EQ(ok_cuts, fields);  // the empty prefix plus every boundary but the end
}

TEST(VersionEditTest, RejectsMalformedFields) {
  auto decode = [](const std::string& s) {
    VersionEdit e;
    return e.DecodeFrom(s);
  };
  std::string s;

  // Unknown tags.
  for (uint32_t tag : {0u, 8u, 9u, 100u, 1u << 20}) {
    s.clear();
    PutVarint32(&s, tag);
    PutVarint64(&s, 1);
    Status st = decode(s);
    EXPECT_TRUE(st.IsCorruption()) << tag;
    EXPECT_NE(st.message().find("unknown tag"), std::string::npos) << st.ToString();
  }

  // Level 7 and above.
  s.clear();
  PutVarint32(&s, 6);  // deleted file
  PutVarint32(&s, 7);
  PutVarint64(&s, 1);
  EXPECT_TRUE(decode(s).IsCorruption());
  s.clear();
  PutVarint32(&s, 5);  // compact pointer
  PutVarint32(&s, 1000);
  PutLengthPrefixedSlice(&s, InternalKey("k", 1, kTypeValue).Encode());
  EXPECT_TRUE(decode(s).IsCorruption());
  // Level 6 is fine.
  s.clear();
  PutVarint32(&s, 6);
  PutVarint32(&s, 6);
  PutVarint64(&s, 1);
  EXPECT_TRUE(decode(s).ok());

  // Internal keys shorter than a tag, or with an unknown type byte.
  s.clear();
  PutVarint32(&s, 5);
  PutVarint32(&s, 0);
  PutLengthPrefixedSlice(&s, "short");
  EXPECT_TRUE(decode(s).IsCorruption());
  s.clear();
  PutVarint32(&s, 5);
  PutVarint32(&s, 0);
  std::string bad_type = "key";
  PutFixed64(&bad_type, (uint64_t{5} << 8) | 0x7f);
  PutLengthPrefixedSlice(&s, bad_type);
  EXPECT_TRUE(decode(s).IsCorruption());

  // A length prefix running past the end.
  s.clear();
  PutVarint32(&s, 1);
  PutVarint32(&s, 100);
  s += "abc";
  EXPECT_TRUE(decode(s).IsCorruption());

  // An overlong varint.
  s.clear();
  PutVarint32(&s, 2);
  s += std::string(11, '\xff');
  EXPECT_TRUE(decode(s).IsCorruption());
}

TEST(VersionEditTest, RandomBytesNeverCrash) {
  std::mt19937 rnd(5);
  VersionEdit full;
  FillEdit(&full, 9);
  std::string valid = Encode(full);
  for (int i = 0; i < 5000; i++) {
    std::string s;
    if (i % 2 == 0) {
      s.resize(rnd() % 64);
      for (auto& c : s) c = static_cast<char>(rnd() % 12);  // small bytes hit real tags
    } else {
      s = valid;
      for (int f = 0; f < 3; f++) s[rnd() % s.size()] = static_cast<char>(rnd());
    }
    VersionEdit e;
    Status st = e.DecodeFrom(s);
    EXPECT_TRUE(st.ok() || st.IsCorruption());
    if (st.ok()) {
      VersionEdit again;
      ASSERT_TRUE(again.DecodeFrom(Encode(e)).ok());  // what decodes re-encodes cleanly
      EXPECT_EQ(again.DebugString(), e.DebugString());
    }
  }
}

TEST(VersionEditTest, DebugStringMentionsEverything) {
  VersionEdit edit;
  edit.SetComparatorName("cmp");
  edit.SetLogNumber(5);
  edit.RemoveFile(2, 17);
  edit.AddFile(1, 33, 4096, InternalKey("a", 1, kTypeValue), InternalKey("z\x01", 9, kTypeDeletion));
  std::string d = edit.DebugString();
  for (const char* want : {"cmp", "LogNumber: 5", "RemoveFile: L2 #17", "AddFile: L1 #33", "4096",
                           "'a' @ 1 : value", "'z\\x01' @ 9 : deletion"}) {
    EXPECT_NE(d.find(want), std::string::npos) << want << " in\n" << d;
  }
}

}  // namespace
}  // namespace kvstore
