/**
 * A read shared by concurrent callers, without ever answering a caller from a read that began
 * before it asked: the first caller starts the read; callers arriving while it runs share the
 * next one, which starts when the running one ends. So each caller sees what was committed
 * before it asked (as if it had read alone), and 50 concurrent callers cost two reads, not 50.
 * A failed read fails the callers that shared it, and the next caller reads again.
 */
export class SharedRead<T> {
  private running: Promise<T> | undefined;
  private next: Promise<T> | undefined;

  constructor(private readonly read: () => Promise<T>) {}

  get(): Promise<T> {
    if (this.next) return this.next;
    if (!this.running) return this.start();
    const after = () => {
      this.next = undefined;
      return this.start();
    };
    this.next = this.running.then(after, after);
    return this.next;
  }

  private start(): Promise<T> {
    const reading = this.read();
    this.running = reading;
    const done = () => {
      if (this.running === reading) this.running = undefined;
    };
    reading.then(done, done);
    return reading;
  }
}

/** `SharedRead`s by key (one per DSA, say), each dropped once nobody is waiting on it. */
export class SharedReads<T> {
  private readonly reads = new Map<string, { read: SharedRead<T>; waiting: number }>();

  constructor(private readonly read: (key: string) => Promise<T>) {}

  async get(key: string): Promise<T> {
    let entry = this.reads.get(key);
    if (!entry) {
      entry = { read: new SharedRead(() => this.read(key)), waiting: 0 };
      this.reads.set(key, entry);
    }
    entry.waiting += 1;
    try {
      return await entry.read.get();
    } finally {
      entry.waiting -= 1;
      if (entry.waiting === 0 && this.reads.get(key) === entry) this.reads.delete(key);
    }
  }
}
