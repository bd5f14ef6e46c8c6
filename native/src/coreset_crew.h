// Rounds of parallel work without a barrier, for loops that run tens of thousands of short rounds.
//
// An OpenMP parallel-for per greedy iteration ends in a barrier, and on a busy machine (other processes, or the
// Electron app itself) one preempted thread holds every round up by a scheduler time slice: measured 5 ms per
// iteration instead of 1 on this 2-core box under load. Here the threads of one OpenMP team claim chunks of a round
// from a shared ticket; the leader (thread 0) waits only for chunks someone has actually claimed, so a helper that is
// not running simply misses the round and the leader does its share; and a leader that still waits too much (helpers
// preempted mid-chunk) goes solo for a while. Helpers spin briefly between rounds, then sleep.
//
//   withCrew(threads, [&](Crew& crew) { ... crew.round(chunks, [&](size_t c) { work on chunk c }); ... });
#pragma once

#include <omp.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <type_traits>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define PL_PAUSE() _mm_pause()
#else
#define PL_PAUSE() std::this_thread::yield()
#endif

namespace patchline::coreset {

class Crew {
 public:
  static constexpr size_t kMaxChunks = (1u << 20) - 1;
  // Pause loops (~20-100 us) a helper spins before it sleeps: long enough to catch the next round of a tight loop,
  // short enough not to steal a busy machine's cores from threads that have real work.
  static constexpr int kSpins = 3000;

  // Runs work(c) for every c < chunks across the team and returns when all are done (leader only). Work must not
  // throw. chunks <= kMaxChunks.
  template <class F>
  void round(size_t chunks, F&& work) {
    if (chunks == 0) return;
    if (helpers_ == 0 || chunks == 1 || solo_ > 0) {
      if (solo_ > 0) --solo_;
      for (size_t c = 0; c < chunks; ++c) work(c);
      return;
    }
    const auto t0 = Clock::now();
    using Fn = std::remove_reference_t<F>;
    Slot& slot = slots_[(gen_ + 1) & 1];
    slot.ctx = &work;
    slot.fn = [](void* ctx, size_t c) { (*static_cast<Fn*>(ctx))(c); };
    done_.store(0, std::memory_order_relaxed);
    ++gen_;
    ticket_.store(pack(gen_, chunks, 0), std::memory_order_seq_cst);
    if (sleepers_.load(std::memory_order_seq_cst) > 0) {
      std::lock_guard<std::mutex> lock(mutex_);
      wake_.notify_all();
    }
    const size_t mine = claimAll();
    done_.fetch_add(mine, std::memory_order_acq_rel);
    const auto t1 = Clock::now();
    while (done_.load(std::memory_order_acquire) < chunks) PL_PAUSE();
    // A helper preempted while holding a chunk stalls the round for a scheduler time slice. When the leader keeps
    // waiting (a busy machine), it runs the next rounds alone, then tries the team again.
    const double total = std::chrono::duration<double>(Clock::now() - t0).count();
    const double waited = std::chrono::duration<double>(Clock::now() - t1).count();
    waitShare_ = 0.9 * waitShare_ + 0.1 * (total > 0 ? waited / total : 0.0);
    if (waitShare_ > kMaxWaitShare) {
      solo_ = kSoloRounds;
      waitShare_ = 0;
    }
  }

  size_t helpers() const { return helpers_; }
  bool solo() const { return solo_ > 0; }

 private:
  template <class Driver>
  friend void withCrew(int threads, Driver&& driver);

  struct Slot {
    void* ctx = nullptr;
    void (*fn)(void*, size_t) = nullptr;
  };

  // ticket: generation (24 bits) | chunk count (20) | next unclaimed chunk (20)
  static uint64_t pack(uint64_t gen, uint64_t n, uint64_t next) {
    return ((gen & 0xffffff) << 40) | (n << 20) | next;
  }
  static uint64_t genOf(uint64_t t) { return t >> 40; }
  static size_t countOf(uint64_t t) { return (t >> 20) & kMaxChunks; }
  static size_t nextOf(uint64_t t) { return t & kMaxChunks; }

  // Claims and runs chunks of the current round until none is left; returns how many it ran.
  size_t claimAll() {
    size_t ran = 0;
    uint64_t t = ticket_.load(std::memory_order_acquire);
    while (nextOf(t) < countOf(t)) {
      if (!ticket_.compare_exchange_weak(t, t + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
      const Slot& slot = slots_[genOf(t) & 1];
      slot.fn(slot.ctx, nextOf(t));
      ++ran;
      t = ticket_.load(std::memory_order_acquire);
    }
    return ran;
  }

  void serve() {
    uint64_t seen = 0;  // rounds start at generation 1, so a late helper still joins the first one
    for (;;) {
      // Spin a little: the leader's serial part between rounds is usually microseconds.
      uint64_t t = ticket_.load(std::memory_order_acquire);
      for (int spin = 0; spin < kSpins && genOf(t) == seen && !finished_.load(std::memory_order_acquire); ++spin) {
        PL_PAUSE();
        t = ticket_.load(std::memory_order_acquire);
      }
      if (genOf(t) == seen && !finished_.load(std::memory_order_acquire)) {
        std::unique_lock<std::mutex> lock(mutex_);
        sleepers_.fetch_add(1, std::memory_order_seq_cst);
        wake_.wait(lock, [&] {
          return genOf(ticket_.load(std::memory_order_seq_cst)) != seen || finished_.load(std::memory_order_seq_cst);
        });
        sleepers_.fetch_sub(1, std::memory_order_seq_cst);
        t = ticket_.load(std::memory_order_acquire);
      }
      if (finished_.load(std::memory_order_acquire)) return;
      seen = genOf(t);
      const size_t ran = claimAll();
      if (ran) done_.fetch_add(ran, std::memory_order_acq_rel);
    }
  }

  void finish() {
    std::lock_guard<std::mutex> lock(mutex_);
    finished_.store(true, std::memory_order_seq_cst);
    wake_.notify_all();
  }

  using Clock = std::chrono::steady_clock;
  static constexpr double kMaxWaitShare = 0.3;
  static constexpr int kSoloRounds = 200;

  size_t helpers_ = 0;
  int solo_ = 0;
  double waitShare_ = 0;
  uint64_t gen_ = 0;
  Slot slots_[2];
  std::atomic<uint64_t> ticket_{0};
  std::atomic<size_t> done_{0};
  std::atomic<int> sleepers_{0};
  std::atomic<bool> finished_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
};

// Runs driver(crew) on thread 0 of a `threads`-wide OpenMP team whose other threads serve the crew's rounds.
// An exception out of the driver ends the team and is rethrown here.
template <class Driver>
void withCrew(int threads, Driver&& driver) {
  Crew crew;
  std::exception_ptr error;
  if (threads <= 1) {
    driver(crew);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    if (omp_get_thread_num() == 0) {
      crew.helpers_ = static_cast<size_t>(omp_get_num_threads() - 1);
      try {
        driver(crew);
      } catch (...) {
        error = std::current_exception();
      }
      crew.finish();
    } else {
      crew.serve();
    }
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace patchline::coreset
