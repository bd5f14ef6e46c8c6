#include "search_lane.h"

#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

namespace patchline {

namespace {

struct Task {
  const std::function<void()>* fn;
  std::exception_ptr error;
  bool done = false;
};

thread_local bool onLane = false;

class Lane {
 public:
  Lane() : thread_([this] { loop(); }) { thread_.detach(); }

  void run(const std::function<void()>& fn) {
    Task task{&fn, nullptr, false};
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back(&task);
    }
    wake_.notify_one();
    std::unique_lock<std::mutex> lock(mu_);
    finished_.wait(lock, [&task] { return task.done; });
    if (task.error) std::rethrow_exception(task.error);
  }

 private:
  void loop() {
    onLane = true;
    for (;;) {
      Task* task;
      {
        std::unique_lock<std::mutex> lock(mu_);
        wake_.wait(lock, [this] { return !queue_.empty(); });
        task = queue_.front();
        queue_.pop_front();
      }
      try {
        (*task->fn)();
      } catch (...) {
        task->error = std::current_exception();
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        task->done = true;
      }
      finished_.notify_all();
    }
  }

  std::mutex mu_;
  std::condition_variable wake_, finished_;
  std::deque<Task*> queue_;
  std::thread thread_;
};

}  // namespace

void runOnSearchLane(const std::function<void()>& fn) {
  if (onLane) return fn();
  // Never destroyed: the thread is detached and outlives every environment (worker threads included) until the
  // process exits.
  static Lane* lane = new Lane();
  lane->run(fn);
}

}  // namespace patchline
