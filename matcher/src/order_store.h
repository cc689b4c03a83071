#pragma once
// Storage for live orders: a pool in one reserved range of address space, committed 2 MB at a time
// (slots never move, so growth never copies orders; a slot's order is one shift and add away) and a
// paged direct index from the engine's sequential order counters to pool slots; and the append-only
// logs the engine keeps for the day (trades, final views of orders that traded and left).
//
// No page faults on the hot path: a first touch of a fresh 4 KB page costs 1-3 us on these virtual
// machines, and a log growing by 40-128 bytes per fill met one every few dozen fills (the p99 of adds
// that traded was 3.5 us, mostly that). Memory therefore comes in 2 MB blocks populated when the block
// is taken (one command pays once per block, instead of one in every few dozen fills paying each time),
// and index pages are recycled instead of freed and faulted in again.
//
// Thread rules: owned by the engine thread.

#include <sys/mman.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>
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

// What the batch prefetcher reads where a command names no order: no neighbours, no level.
inline constexpr Order kNilOrder = [] {
  Order o{};
  o.prev = o.next = o.level = kNil;
  return o;
}();

// A 2 MB block of memory, its pages populated (written once) before it is handed out, on a 2 MB
// boundary and offered for transparent huge pages where the kernel allows them.
inline constexpr std::size_t kBlockBytes = 2U << 20;

struct BlockFree {
  void operator()(void* p) const { ::munmap(p, kBlockBytes); }
};
using Block = std::unique_ptr<void, BlockFree>;

// Offers the writable 2 MB block at p for a transparent huge page and faults it in now.
inline void populate_block(void* p) {
  ::madvise(p, kBlockBytes, MADV_HUGEPAGE);
#ifdef MADV_POPULATE_WRITE
  if (::madvise(p, kBlockBytes, MADV_POPULATE_WRITE) == 0) return;
#endif
  // Older kernels: touch every page now.
  auto* bytes = static_cast<volatile std::uint8_t*>(p);
  for (std::size_t i = 0; i < kBlockBytes; i += 4096) bytes[i] = 0;
}

inline Block allocate_block() {
  void* p = ::mmap(nullptr, kBlockBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  populate_block(p);
  return Block(p);
}

// An append-only sequence of trivially copyable records in populated 2 MB blocks: appending never
// copies what is there (a vector's reallocation would stall one command by milliseconds) and never
// faults a page in. clear() keeps the blocks for the next day.
template <class T>
class DayLog {
  static_assert(std::is_trivially_copyable_v<T> && sizeof(T) <= kBlockBytes);

 public:
  // A power of two (a shift and a mask per access, not a division), as many as fit in a block.
  static constexpr std::size_t kPerBlock = std::size_t{1} << (63 - __builtin_clzll(kBlockBytes / sizeof(T)));

  __attribute__((always_inline)) void push_back(const T& v) {
    if (size_ == blocks_.size() * kPerBlock) [[unlikely]]
      grow();
    at(size_) = v;
    ++size_;
  }
  T& operator[](std::size_t i) { return at(i); }
  const T& operator[](std::size_t i) const {
    return static_cast<const T*>(blocks_[i / kPerBlock].get())[i % kPerBlock];
  }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  void clear() { size_ = 0; }
  // Takes (and populates) the blocks for n records now, so that the first n appends fault nothing in.
  void reserve(std::size_t n) {
    while (blocks_.size() * kPerBlock < n) blocks_.push_back(allocate_block());
  }
  // Keeps the records for which keep(record) is true, in their order.
  template <class Pred>
  void keep_if(Pred&& keep) {
    std::size_t out = 0;
    for (std::size_t i = 0; i < size_; ++i) {
      if (keep(at(i))) {
        if (out != i) at(out) = at(i);
        ++out;
      }
    }
    size_ = out;
  }
  template <class Fn>
  void for_each(Fn&& fn) const {
    for (std::size_t i = 0; i < size_; ++i) fn((*this)[i]);
  }
  template <class Fn>
  void for_each(Fn&& fn) {
    for (std::size_t i = 0; i < size_; ++i) fn(at(i));
  }

 private:
  __attribute__((noinline)) void grow() { blocks_.push_back(allocate_block()); }
  T& at(std::size_t i) { return static_cast<T*>(blocks_[i / kPerBlock].get())[i % kPerBlock]; }
  std::vector<Block> blocks_;
  std::size_t size_ = 0;
};

// Orders in one range of address space reserved (not committed) when the pool is built, taken a 2 MB
// chunk at a time: a slot's order is at base + slot, one shift and one add, where a table of chunks
// cost two dependent loads per access on the hot path (and the batch prefetcher's stages make several
// accesses per command). Slots never move. The reservation is address space only (PROT_NONE, no swap
// or memory accounted) until a chunk is taken.
class OrderPool {
 public:
  static constexpr unsigned kChunkBits = 14;
  static constexpr std::uint32_t kChunkSize = 1U << kChunkBits;
  // 2^27 orders (16 GiB of address space): far beyond what a shard keeps live.
  static constexpr std::size_t kMaxChunks = std::size_t{1} << (27 - kChunkBits);
  // Where a limit on address space (ulimit -v, RLIMIT_AS) refuses that much, half as much, a quarter...
  // down to 16 chunks (262,144 orders, 32 MB); the pool then holds what it reserved.
  static constexpr std::size_t kMinChunks = 16;

  static_assert(sizeof(Order) * kChunkSize == kBlockBytes, "a chunk is one block");

  OrderPool() {
    for (max_chunks_ = kMaxChunks;; max_chunks_ /= 2) {
      void* p = ::mmap(nullptr, map_bytes(), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
      if (p != MAP_FAILED) {
        map_ = p;
        break;
      }
      if (max_chunks_ / 2 < kMinChunks) throw std::bad_alloc();
    }
    const auto at = (reinterpret_cast<std::uintptr_t>(map_) + kBlockBytes - 1) & ~(std::uintptr_t{kBlockBytes} - 1);
    base_ = reinterpret_cast<Order*>(at);  // NOLINT(performance-no-int-to-ptr): an address from mmap, aligned
  }
  ~OrderPool() {
    if (map_ != nullptr) ::munmap(map_, map_bytes());
  }
  OrderPool(const OrderPool&) = delete;
  OrderPool& operator=(const OrderPool&) = delete;
  OrderPool(OrderPool&& o) noexcept { swap(o); }
  OrderPool& operator=(OrderPool&& o) noexcept {
    swap(o);
    return *this;
  }
  void swap(OrderPool& o) noexcept {
    std::swap(map_, o.map_);
    std::swap(base_, o.base_);
    std::swap(max_chunks_, o.max_chunks_);
    std::swap(chunks_, o.chunks_);
    std::swap(free_head_, o.free_head_);
    std::swap(high_water_, o.high_water_);
    std::swap(live_, o.live_);
  }

  Order& operator[](std::uint32_t slot) { return base_[slot]; }
  std::uint32_t slot_of(const Order& o) const { return static_cast<std::uint32_t>(&o - base_); }
  const Order& operator[](std::uint32_t slot) const { return base_[slot]; }

  [[gnu::always_inline]] std::uint32_t allocate() {
    if (free_head_ != kNil) {
      const std::uint32_t slot = free_head_;
      free_head_ = (*this)[slot].next;
      // The next new order's slot, unless a slot freed before then takes its turn: fetched now, it is
      // not a miss when that order is written (the read of the free list's link was one, by the profile).
      if (free_head_ != kNil) {
        const char* next = reinterpret_cast<const char*>(&(*this)[free_head_]);
        __builtin_prefetch(next, 1, 3);
        __builtin_prefetch(next + 64, 1, 3);
      }
      ++live_;
      return slot;
    }
    if (high_water_ == chunks_ * kChunkSize) add_chunk();
    ++live_;
    return high_water_++;
  }

  // For the batch prefetcher: the slot's order, or `fallback` for kNil, chosen without a branch (the
  // kinds of commands come in no predictable order). A slot read from a stale index entry or link is
  // still a slot of this pool (below the high-water mark: mapped) or kNil.
  [[gnu::always_inline]] const Order* address_or(std::uint32_t slot, const Order* fallback) const {
    const bool nil = slot == kNil;
    const Order* a = base_ + (nil ? 0 : slot);
    return nil ? fallback : a;
  }

  void release(std::uint32_t slot) {
    Order& o = (*this)[slot];
    o.live = false;
    o.next = free_head_;
    free_head_ = slot;
    --live_;
  }

  // Takes (and populates) the chunks for n orders now: the first n live orders fault nothing in.
  void reserve(std::size_t n) {
    while (chunks_ * kChunkSize < n) add_chunk();
  }

  std::uint32_t high_water() const { return high_water_; }
  std::size_t live() const { return live_; }

 private:
  // Commits the next 2 MB of the reservation, offered for a transparent huge page and populated.
  __attribute__((noinline)) void add_chunk() {
    if (chunks_ == max_chunks_) throw std::bad_alloc();
    char* p = reinterpret_cast<char*>(base_) + chunks_ * kBlockBytes;
    if (::mprotect(p, kBlockBytes, PROT_READ | PROT_WRITE) != 0) throw std::bad_alloc();
    populate_block(p);
    ++chunks_;
  }
  // The reservation: max_chunks_ chunks and room to align them to 2 MB.
  std::size_t map_bytes() const { return max_chunks_ * kBlockBytes + kBlockBytes; }

  void* map_ = nullptr;
  Order* base_ = nullptr;
  std::size_t max_chunks_ = 0;  // what the reservation holds (kMaxChunks unless a limit refused it)
  std::size_t chunks_ = 0;
  std::uint32_t free_head_ = kNil;
  std::uint32_t high_water_ = 0;
  std::size_t live_ = 0;
};

// Order counter -> pool slot. Counters are dense and increasing, so a page table of 4096-entry pages
// beats any hash: one shift, one load. A page is recycled once every counter in it has been issued and
// none of its orders is live any more (kept for the next page instead of freed and faulted in again).
class OrderIndex {
 public:
  static constexpr unsigned kPageBits = 12;
  static constexpr std::uint64_t kPageSize = 1ULL << kPageBits;

  OrderIndex() { clear(); }

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

  // For the batch prefetcher: the entry of `counter` when `want` is true and its page exists, else an
  // entry that holds kNil; no branch on either. The pointer stays readable for the rest of the batch
  // (pages are recycled through spare_, never freed while commands are applied), its content may not
  // stay current: a prefetch hint only.
  [[gnu::always_inline]] const std::uint32_t* entry_or_nil(std::uint64_t counter, bool want) const {
    const std::uint64_t p = counter >> kPageBits;
    const bool in = want & (p < pages_.size());  // pages_ is never empty: page 0 is there, or null
    const Page* page = pages_[in ? p : 0].get();
    const bool use = in & (page != nullptr);
    const auto at = reinterpret_cast<std::uintptr_t>(page) + (counter & (kPageSize - 1)) * sizeof(std::uint32_t);
    // A select between two valid addresses without a branch (the point of this function): the cast back
    // is of an address that came from a pointer.
    // NOLINTNEXTLINE(performance-no-int-to-ptr)
    return reinterpret_cast<const std::uint32_t*>(use ? at : reinterpret_cast<std::uintptr_t>(&kNilEntry));
  }

  // Inline where the counter's page exists (all but one insert in 4096); the rest out of line.
  void insert(std::uint64_t counter, std::uint32_t slot) {
    const std::uint64_t p = counter >> kPageBits;
    if (p < pages_.size() && pages_[p]) [[likely]] {
      pages_[p]->slot[counter & (kPageSize - 1)] = slot;
      ++live_[p];
      return;
    }
    insert_new_page(counter, slot);
  }

 private:
  __attribute__((noinline)) void insert_new_page(std::uint64_t counter, std::uint32_t slot) {
    const std::uint64_t p = counter >> kPageBits;
    if (p >= pages_.size()) {
      pages_.resize(p + 1);
      live_.resize(p + 1, 0);
    }
    if (!pages_[p]) {
      if (spare_.empty()) {
        pages_[p] = std::make_unique<Page>();
      } else {
        pages_[p] = std::move(spare_.back());
        spare_.pop_back();
      }
      std::memset(pages_[p]->slot, 0xFF, sizeof(Page::slot));
      live_[p] = 0;
    }
    pages_[p]->slot[counter & (kPageSize - 1)] = slot;
    ++live_[p];
  }

 public:
  // next_counter: the next counter the engine will issue (pages below it are complete). The live counts
  // sit apart from the pages (dense, so they stay in the cache): an erase only stores into its page.
  void erase(std::uint64_t counter, std::uint64_t next_counter) {
    const std::uint64_t p = counter >> kPageBits;
    pages_[p]->slot[counter & (kPageSize - 1)] = kNil;
    if (--live_[p] == 0 && ((p + 1) << kPageBits) <= next_counter) spare_.push_back(std::move(pages_[p]));
  }

  void clear() {
    pages_.clear();
    live_.clear();
    spare_.clear();
    pages_.emplace_back();
    live_.push_back(0);
  }

  // Makes n spare pages now (written once, so faulted in): the first pages the engine needs cost no
  // allocation and no page fault.
  void reserve(std::size_t n) {
    while (spare_.size() < n) {
      spare_.push_back(std::make_unique<Page>());
      std::memset(spare_.back()->slot, 0xFF, sizeof(Page::slot));
    }
  }

 private:
  struct Page {
    std::uint32_t slot[kPageSize];
  };
  static constexpr std::uint32_t kNilEntry = kNil;
  std::vector<std::unique_ptr<Page>> pages_;
  std::vector<std::uint32_t> live_;  // live orders per page
  std::vector<std::unique_ptr<Page>> spare_;
};

}  // namespace venue::matcher::detail
