// Per-index ordering of native calls: searches (and writes to disk) share the index, mutations (train, add,
// removeIds, reset, setParams) run alone. First come, first served: a reader that arrives while a mutation waits
// queues behind it, so a stream of searches cannot starve an add.
//
// The lock lives in JS rather than as a mutex in C++ so that waiting operations never occupy one of libuv's four
// worker threads (which file I/O and DNS share).
interface Waiting {
  exclusive: boolean;
  start: () => void;
}

export class ReadWriteQueue {
  private readers = 0;
  private writing = false;
  private readonly waiting: Waiting[] = [];

  /** Runs fn alongside other shared operations, never during an exclusive one. */
  shared<T>(fn: () => Promise<T> | T): Promise<T> {
    return this.enqueue(false, fn);
  }

  /** Runs fn when nothing else runs on this index. */
  exclusive<T>(fn: () => Promise<T> | T): Promise<T> {
    return this.enqueue(true, fn);
  }

  /** Operations running or waiting. */
  get pending(): number {
    return this.readers + (this.writing ? 1 : 0) + this.waiting.length;
  }

  private enqueue<T>(exclusive: boolean, fn: () => Promise<T> | T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({
        exclusive,
        start: () => {
          let result: Promise<T>;
          try {
            result = Promise.resolve(fn());
          } catch (err) {
            result = Promise.reject(err);
          }
          result.then(resolve, reject).finally(() => this.release(exclusive));
        },
      });
      this.pump();
    });
  }

  private pump(): void {
    while (this.waiting.length > 0) {
      const head = this.waiting[0];
      if (this.writing) return;
      if (head.exclusive) {
        if (this.readers > 0) return;
        this.waiting.shift();
        this.writing = true;
        head.start();
        return;
      }
      this.waiting.shift();
      this.readers++;
      head.start();
    }
  }

  private release(exclusive: boolean): void {
    if (exclusive) this.writing = false;
    else this.readers--;
    this.pump();
  }
}
