#include "db/db_iter.h"

namespace kvstore {

namespace {

// Forward: the internal iterator is at the current entry.
// Reverse: the internal iterator is before every entry of the current user
// key, whose key and value are held in saved_key_ / saved_value_.
class DBIter final : public Iterator {
 public:
  DBIter(const Comparator* ucmp, std::unique_ptr<Iterator> iter, SequenceNumber sequence,
         std::optional<std::string> lower, std::optional<std::string> upper)
      : ucmp_(ucmp),
        bytewise_(ucmp == BytewiseComparator()),
        iter_(std::move(iter)),
        sequence_(sequence),
        lower_(std::move(lower)),
        upper_(std::move(upper)) {}

  bool Valid() const override { return valid_; }
  Slice key() const override {
    return direction_ == kForward ? ExtractUserKey(iter_->key()) : Slice(saved_key_);
  }
  Slice value() const override {
    return direction_ == kForward ? iter_->value() : Slice(saved_value_);
  }
  Status status() const override { return status_.ok() ? iter_->status() : status_; }

  void Next() override;
  void Prev() override;
  void Seek(Slice target) override;
  void SeekToFirst() override;
  void SeekToLast() override;

 private:
  enum Direction { kForward, kReverse };

  bool ParseKey(ParsedInternalKey* ikey) {
    if (!ParseInternalKey(iter_->key(), ikey)) {
      status_ = Status::Corruption("corrupted internal key in DBIter");
      return false;
    }
    return true;
  }
  // The user order, without a virtual call for the bytewise one.
  int CompareUser(Slice a, Slice b) const {
    return bytewise_ ? BytewiseCompare(a, b) : ucmp_->Compare(a, b);
  }
  bool AboveUpper(Slice user_key) const {
    return upper_.has_value() && CompareUser(user_key, *upper_) >= 0;
  }
  bool BelowLower(Slice user_key) const {
    return lower_.has_value() && CompareUser(user_key, *lower_) < 0;
  }
  void FindNextUserEntry(bool skipping, std::string* skip);
  void FindPrevUserEntry();
  void Invalidate() {
    valid_ = false;
    saved_key_.clear();
    ClearSavedValue();
  }
  void ClearSavedValue() {
    if (saved_value_.capacity() > 1024 * 1024) {
      std::string empty;
      swap(empty, saved_value_);
    } else {
      saved_value_.clear();
    }
  }

  const Comparator* const ucmp_;
  const bool bytewise_;
  const std::unique_ptr<Iterator> iter_;
  const SequenceNumber sequence_;
  const std::optional<std::string> lower_;
  const std::optional<std::string> upper_;
  Status status_;
  std::string saved_key_;    // reverse: current key; forward while skipping: key to skip
  std::string saved_value_;  // reverse: current value
  Direction direction_ = kForward;
  bool valid_ = false;
};

void DBIter::FindNextUserEntry(bool skipping, std::string* skip) {
  // Loop until positioned at the newest visible value of a user key not skipped.
  while (iter_->Valid()) {
    ParsedInternalKey ikey;
    if (!ParseKey(&ikey)) break;
    if (AboveUpper(ikey.user_key)) break;
    if (ikey.sequence <= sequence_) {
      if (ikey.type == kTypeDeletion) {
        // Every older entry of this key is hidden by the deletion.
        skip->assign(ikey.user_key.data(), ikey.user_key.size());
        skipping = true;
      } else if (!skipping || CompareUser(ikey.user_key, *skip) > 0) {
        valid_ = true;
        saved_key_.clear();
        return;
      }
    }
    iter_->Next();
  }
  Invalidate();
}

void DBIter::FindPrevUserEntry() {
  ValueType value_type = kTypeDeletion;
  while (iter_->Valid()) {
    ParsedInternalKey ikey;
    if (!ParseKey(&ikey)) {
      value_type = kTypeDeletion;
      break;
    }
    if (BelowLower(ikey.user_key)) break;
    if (ikey.sequence <= sequence_) {
      if (value_type != kTypeDeletion && CompareUser(ikey.user_key, saved_key_) < 0) {
        break;  // saved_key_ holds a visible value and we moved past all its entries
      }
      value_type = ikey.type;
      if (value_type == kTypeDeletion) {
        saved_key_.clear();
        ClearSavedValue();
      } else {
        Slice raw_value = iter_->value();
        saved_key_.assign(ikey.user_key.data(), ikey.user_key.size());
        saved_value_.assign(raw_value.data(), raw_value.size());
      }
    }
    iter_->Prev();
  }
  if (value_type == kTypeDeletion) {
    Invalidate();
    direction_ = kForward;
  } else {
    valid_ = true;
  }
}

void DBIter::Next() {
  if (direction_ == kReverse) {
    direction_ = kForward;
    // iter_ is before the entries of key(): step into them, then skip them below.
    if (!iter_->Valid()) {
      iter_->SeekToFirst();
    } else {
      iter_->Next();
    }
    if (!iter_->Valid()) {
      Invalidate();
      return;
    }
    // saved_key_ already holds the key to skip.
  } else {
    saved_key_.assign(ExtractUserKey(iter_->key()));
    iter_->Next();
    if (!iter_->Valid()) {
      Invalidate();
      return;
    }
  }
  FindNextUserEntry(true, &saved_key_);
}

void DBIter::Prev() {
  if (direction_ == kForward) {
    // iter_ is at the current entry: move back until before all entries of key().
    saved_key_.assign(ExtractUserKey(iter_->key()));
    while (true) {
      iter_->Prev();
      if (!iter_->Valid()) {
        Invalidate();
        return;
      }
      if (CompareUser(ExtractUserKey(iter_->key()), saved_key_) < 0) break;
    }
    direction_ = kReverse;
  }
  FindPrevUserEntry();
}

void DBIter::Seek(Slice target) {
  direction_ = kForward;
  ClearSavedValue();
  if (BelowLower(target)) target = *lower_;
  saved_key_.clear();
  AppendInternalKey(&saved_key_, ParsedInternalKey{target, sequence_, kValueTypeForSeek});
  iter_->Seek(saved_key_);
  if (iter_->Valid()) {
    FindNextUserEntry(false, &saved_key_);
  } else {
    Invalidate();
  }
}

void DBIter::SeekToFirst() {
  if (lower_.has_value()) {
    Seek(*lower_);
    return;
  }
  direction_ = kForward;
  ClearSavedValue();
  iter_->SeekToFirst();
  if (iter_->Valid()) {
    FindNextUserEntry(false, &saved_key_);
  } else {
    Invalidate();
  }
}

void DBIter::SeekToLast() {
  direction_ = kReverse;
  ClearSavedValue();
  saved_key_.clear();
  if (upper_.has_value()) {
    std::string target;
    AppendInternalKey(&target, ParsedInternalKey{*upper_, kMaxSequenceNumber, kValueTypeForSeek});
    iter_->Seek(target);  // first entry of a key >= upper
    if (iter_->Valid()) {
      iter_->Prev();
    } else {
      iter_->SeekToLast();
    }
  } else {
    iter_->SeekToLast();
  }
  FindPrevUserEntry();
}

}  // namespace

std::unique_ptr<Iterator> NewDBIterator(const Comparator* user_comparator,
                                        std::unique_ptr<Iterator> internal_iter,
                                        SequenceNumber sequence,
                                        std::optional<std::string> lower_bound,
                                        std::optional<std::string> upper_bound) {
  return std::make_unique<DBIter>(user_comparator, std::move(internal_iter), sequence,
                                  std::move(lower_bound), std::move(upper_bound));
}

}  // namespace kvstore
