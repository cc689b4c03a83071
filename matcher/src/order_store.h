#pragma once
// Storage for live orders: a chunked pool (slots never move, so growth never copies orders) and a
// paged direct index from the engine's sequential order counters to pool slots.
//
// Thread rules: owned by the engine thread.

#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "venue/matcher/commands.h"
#include "venue/matcher/events.h"

namespace venue::matcher::detail {

inline constexpr std::uint32_t kNil = 0xFFFF'FFFFU;

// 128 bytes, two cache lines: the first holds what matching and queue maintenance touch, the second
// what reports and fills update.
struct alignas(64) Order {
  // line 1
  std::int64_t price;    // limit price in ticks (0 for market and stop orders)
  std::int64_t leaves;   // lots still open
  std::int64_t visible;  // lots showing in the book (== leaves unless an iceberg)
  std::uint32_t prev;    // FIFO links within the price level; `next` also links the free list
  std::uint32_t next;
  std::uint32_t level;  // level slot while resting in a book, else kNil
  std::uint16_t book;   // instrument slot
  Side side;
  OrdType type;
  std::uint64_t id;  // OrderId value
  std::uint64_t client_ref;
  std::int64_t qty;
  // line 2
  std::int64_t cum_qty;
  std::int64_t display_qty;
  std::int64_t stop_price;
  std::int64_t expire_ns;
  std::uint64_t cum_value_lo;  // __int128 split in two so the struct keeps 8-byte alignment inside
  std::int64_t cum_value_hi;
  Owner owner;
  TimeInForce tif;
  StpMode stp;
  OrderState state;
  bool post_only : 1;
  bool triggered : 1;
  bool live : 1;
  bool traded_today : 1;  // a fill since the last end of day: its final view is kept when it leaves

  __int128 cum_value() const {
    return static_cast<__int128>(static_cast<unsigned __int128>(cum_value_hi) << 64 | cum_value_lo);
  }
  void set_cum_value(__int128 v) {
    cum_value_lo = static_cast<std::uint64_t>(v);
    cum_value_hi = static_cast<std::int64_t>(v >> 64);
  }
};

static_assert(sizeof(Order) == 128, "an order is two cache lines");

class OrderPool {
 public:
  static constexpr unsigned kChunkBits = 14;
  static constexpr std::uint32_t kChunkSize = 1U << kChunkBits;

  Order& operator[](std::uint32_t slot) { return chunks_[slot >> kChunkBits][slot & (kChunkSize - 1)]; }
  const Order& operator[](std::uint32_t slot) const { return chunks_[slot >> kChunkBits][slot & (kChunkSize - 1)]; }

  std::uint32_t allocate() {
    if (free_head_ != kNil) {
      const std::uint32_t slot = free_head_;
      free_head_ = (*this)[slot].next;
      ++live_;
      return slot;
    }
    if (high_water_ == chunks_.size() * kChunkSize) {
      chunks_.push_back(std::make_unique_for_overwrite<Order[]>(kChunkSize));
    }
    ++live_;
    return high_water_++;
  }

  void release(std::uint32_t slot) {
    Order& o = (*this)[slot];
    o.live = false;
    o.next = free_head_;
    free_head_ = slot;
    --live_;
  }

  std::uint32_t high_water() const { return high_water_; }
  std::size_t live() const { return live_; }
  void clear() {
    chunks_.clear();
    free_head_ = kNil;
    high_water_ = 0;
    live_ = 0;
  }

 private:
  std::vector<std::unique_ptr<Order[]>> chunks_;
  std::uint32_t free_head_ = kNil;
  std::uint32_t high_water_ = 0;
  std::size_t live_ = 0;
};

// Order counter -> pool slot. Counters are dense and increasing, so a page table of 4096-entry pages
// beats any hash: one shift, one load. A page is freed once every counter in it has been issued and
// none of its orders is live any more.
class OrderIndex {
 public:
  static constexpr unsigned kPageBits = 12;
  static constexpr std::uint64_t kPageSize = 1ULL << kPageBits;

  std::uint32_t find(std::uint64_t counter) const {
    const std::uint64_t p = counter >> kPageBits;
    if (p >= pages_.size() || !pages_[p]) return kNil;
    return pages_[p]->slot[counter & (kPageSize - 1)];
  }

  // The entry's address, for a prefetch (nullptr when its page is gone).
  const std::uint32_t* entry(std::uint64_t counter) const {
    const std::uint64_t p = counter >> kPageBits;
    if (p >= pages_.size() || !pages_[p]) return nullptr;
    return &pages_[p]->slot[counter & (kPageSize - 1)];
  }

  void insert(std::uint64_t counter, std::uint32_t slot) {
    const std::uint64_t p = counter >> kPageBits;
    if (p >= pages_.size()) pages_.resize(p + 1);
    if (!pages_[p]) {
      pages_[p] = std::make_unique<Page>();
      std::memset(pages_[p]->slot, 0xFF, sizeof(Page::slot));
    }
    pages_[p]->slot[counter & (kPageSize - 1)] = slot;
    ++pages_[p]->live;
  }

  // next_counter: the next counter the engine will issue (pages below it are complete).
  void erase(std::uint64_t counter, std::uint64_t next_counter) {
    const std::uint64_t p = counter >> kPageBits;
    Page& page = *pages_[p];
    page.slot[counter & (kPageSize - 1)] = kNil;
    if (--page.live == 0 && ((p + 1) << kPageBits) <= next_counter) pages_[p].reset();
  }

  void clear() { pages_.clear(); }

 private:
  struct Page {
    std::uint32_t slot[kPageSize];
    std::uint32_t live = 0;
  };
  std::vector<std::unique_ptr<Page>> pages_;
};

}  // namespace venue::matcher::detail
