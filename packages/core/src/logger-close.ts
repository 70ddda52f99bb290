/**
 * The end of a logger's life (close()): what must be sealed before the logger stops taking
 * records, and the last checkpoint over all of it.
 */
import type { Checkpointer } from './checkpointer.js';
import type { FlushResult } from './logger-types.js';
import type { Transport } from './transport.js';

/**
 * 1. Transports finish background work that records in the chain (Transport.beforeClose: a file
 *    transport committing the index of a segment the last writes closed), each bounded by `ms` —
 *    one that hangs or rejects delays close by `ms` at most.
 * 2. The last checkpoint, then the flush; records sealed during that flush (an index notice, a
 *    retention record) get one more checkpoint, a few times at most, so the last covers everything.
 */
export async function finishClosing(
  cp: Checkpointer | undefined,
  flush: () => Promise<FlushResult>,
  ms: number,
  lanes: readonly { transport: Transport }[],
): Promise<FlushResult> {
  if (lanes.some((l) => l.transport.beforeClose)) {
    await flush();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    });
    await Promise.race([Promise.allSettled(lanes.map((l) => l.transport.beforeClose?.(ms))), bound]);
    clearTimeout(timer);
  }
  if (cp) await cp.finish(ms);
  let result = await flush();
  for (let round = 0; cp && round < 3 && cp.health().uncovered > 0; round++) {
    void cp.issue();
    await cp.settle(ms);
    result = await flush();
  }
  return result;
}
