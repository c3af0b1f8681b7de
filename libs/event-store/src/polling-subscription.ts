import type { Position, StoredEvent, Subscription, SubscriptionOptions } from './event-store.port';

/** Reads at most `maxCount` events strictly after `from`, in global order. */
export type ReadAfter = (from: Position, maxCount: number) => Promise<StoredEvent[]>;

/**
 * A catch-up subscription built on repeated `readAll` calls: read a batch, hand it over, repeat;
 * once a read comes back short, report caught up and poll. Ordering and "never skip a late commit"
 * come from `read` (it only returns a stable prefix of the global order), not from this loop.
 *
 * An error thrown by `onEvents` ends the subscription (the checkpoint is the caller's to keep);
 * a failed read is reported through `onError` and retried after the poll interval, because a
 * database restart should not silently stop a projection.
 */
export function pollingSubscription(
  read: ReadAfter,
  options: SubscriptionOptions,
  onStopped: (subscription: Subscription) => void = () => undefined,
): Subscription {
  const batchSize = options.batchSize ?? 500;
  const pollIntervalMs = options.pollIntervalMs ?? 100;
  let stopped = false;
  let wake: (() => void) | undefined;

  const pause = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, pollIntervalMs);
      function done() {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });

  const run = async () => {
    let checkpoint = options.from;
    let reportedCaughtUpAt: Position | undefined;
    while (!stopped) {
      let events: StoredEvent[];
      try {
        events = await read(checkpoint, batchSize);
      } catch (error) {
        if (stopped) break;
        options.onError?.(error);
        await pause();
        continue;
      }
      if (stopped) break;
      if (events.length > 0) {
        try {
          await options.onEvents(events);
        } catch (error) {
          options.onError?.(error);
          break;
        }
        checkpoint = events[events.length - 1].position;
      }
      if (events.length < batchSize) {
        if (reportedCaughtUpAt !== checkpoint) {
          reportedCaughtUpAt = checkpoint;
          options.onCaughtUp?.(checkpoint);
        }
        if (!stopped) await pause();
      }
    }
    stopped = true;
  };

  const subscription: Subscription = {
    done: run().finally(() => onStopped(subscription)),
    stop: async () => {
      stopped = true;
      wake?.();
      await subscription.done;
    },
  };
  return subscription;
}
