// One long-lived thread of the process on which every index search runs. libuv hands jobs to any of its pool's
// threads, and each thread that opens an OpenMP region gets its own team of worker threads and its own per-thread
// scratch (index_scratch.h): a line scoring one part at a time then finds, search after search, a team that has gone
// to sleep and scratch that is cold. On magnetic tile (AMD EPYC, 2 cores) the median search + refine was 9.5–10.9 ms
// that way against 5.7 ms with a single pool thread (UV_THREADPOOL_SIZE=1, same code); the lane gives searches that
// one thread without taking sharp's or the file system's threads away.
#pragma once

#include <functional>

namespace patchline {

// Runs fn on the lane thread and returns when it has finished, rethrowing what it threw. Searches queue in order of
// arrival. Called from the lane thread itself, it runs fn inline.
void runOnSearchLane(const std::function<void()>& fn);

}  // namespace patchline
