/**
 * Runs steps one at a time, in the order they were given: each starts once the one before
 * it has ended, whether that one succeeded or failed. A step's own result or error goes to
 * its caller only.
 */
export class SerialQueue {
  private tail: Promise<void> = Promise.resolve();

  run<T>(step: () => Promise<T>): Promise<T> {
    // The tail never rejects (see below), so `step` runs after the previous one either way.
    const next = this.tail.then(step);
    this.tail = next.then(
      () => undefined,
      () => undefined,
    );
    return next;
  }
}
