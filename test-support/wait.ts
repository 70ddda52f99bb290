/** Waiting in tests for what arrives after a response (an entry is sealed and delivered later). */
import { vi } from 'vitest';

/** The first value `fn` gives that is not undefined, polled with vi.waitFor. */
export const waitFor = <T>(fn: () => T | undefined, timeout = 3000): Promise<T> =>
  vi.waitFor(
    () => {
      const v = fn();
      if (v === undefined) throw new Error('the audit entry has not arrived');
      return v;
    },
    { timeout, interval: 5 },
  );
