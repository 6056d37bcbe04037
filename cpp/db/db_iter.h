// DBIter: turns an iterator over internal keys (every version of every key,
// from memtables and tables merged) into the user's view at one sequence
// number: the newest visible version of each key, deletions hidden, within
// optional [lower_bound, upper_bound) user-key bounds.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "db/dbformat.h"
#include "kvstore/iterator.h"

namespace kvstore {

std::unique_ptr<Iterator> NewDBIterator(const Comparator* user_comparator,
                                        std::unique_ptr<Iterator> internal_iter,
                                        SequenceNumber sequence,
                                        std::optional<std::string> lower_bound,
                                        std::optional<std::string> upper_bound);

}  // namespace kvstore
