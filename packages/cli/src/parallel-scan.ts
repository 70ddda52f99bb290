/**
 * A large plain log file queried on both cores: read in blocks of whole lines, odd blocks to a
 * worker thread, even ones here, output written in block order. At most two blocks are in flight,
 * so memory stays bounded whatever the file's size. (A gzipped file is a single stream: it is
 * decompressed in libuv's thread pool and scanned here.)
 */
import { open } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { type LineCounts, lineHandler, type OutputFormat } from './line-handler.js';
import type { QueryFilters } from './query-command.js';
import { type BufferedOutput, type LineFilter, scanBlock } from './scan.js';

/** Block size; AUDITREADY_QUERY_BLOCK_BYTES sets it (tests use small blocks to exercise the hand-over). */
const BLOCK = Number(process.env.AUDITREADY_QUERY_BLOCK_BYTES ?? 16 * 1024 * 1024);
/** Below this, a worker costs more than it saves (AUDITREADY_QUERY_PARALLEL_BYTES sets it). */
export const PARALLEL_MIN_BYTES = Number(process.env.AUDITREADY_QUERY_PARALLEL_BYTES ?? 64 * 1024 * 1024);

interface Done {
  text: string;
  matched: number;
  unparseable: number;
  /** The worker's block, returned for reuse. */
  bytes?: ArrayBuffer;
}

export async function scanFileParallel(
  path: string,
  filters: QueryFilters,
  format: OutputFormat,
  filter: LineFilter,
  output: BufferedOutput,
  counts: LineCounts,
): Promise<void> {
  const worker = new Worker(new URL('./scan-worker.js', import.meta.url), {
    workerData: {
      filters,
      format,
      filter: { groups: filter.groups.map((g) => g.map((b) => [...b])), since: filter.since, until: filter.until },
    },
  });
  const waiting = new Map<number, (d: Done) => void>();
  const free: Buffer[] = [];
  worker.on('message', (d: Done & { id: number }) => {
    if (d.bytes) free.push(Buffer.from(d.bytes));
    waiting.get(d.id)?.(d);
  });
  const failed = new Promise<never>((_, reject) => worker.once('error', reject));
  const fh = await open(path, 'r');
  try {
    let pos = 0;
    let id = 0;
    const pending: Promise<Done>[] = [];
    const emit = async (d: Done) => {
      output.push(d.text);
      counts.matched += d.matched;
      counts.unparseable += d.unparseable;
      await output.flush();
    };
    const mine = Buffer.allocUnsafe(BLOCK + 1);
    for (;;) {
      // Even blocks are read into this thread's own buffer, odd ones into one the worker returned.
      const buf = id % 2 === 0 ? mine : (free.pop() ?? Buffer.from(new ArrayBuffer(BLOCK + 1)));
      const { bytesRead } = await fh.read(buf, 0, BLOCK, pos);
      if (bytesRead === 0) break;
      let end = bytesRead;
      if (bytesRead === BLOCK) {
        const nl = buf.lastIndexOf(0x0a, bytesRead - 1);
        if (nl < 0) throw new RangeError(`${path}: a line longer than ${BLOCK} bytes`);
        end = nl + 1;
      } else if (buf[bytesRead - 1] !== 0x0a) {
        buf[bytesRead] = 0x0a; // the last line, unterminated (allocUnsafe left room: bytesRead < BLOCK)
        end = bytesRead + 1;
      }
      pos += Math.min(end, bytesRead);
      const my = id++;
      if (my % 2 === 1) {
        pending.push(
          new Promise<Done>((resolve) => {
            waiting.set(my, resolve);
            worker.postMessage({ id: my, bytes: buf.buffer, length: end }, [buf.buffer as ArrayBuffer]);
          }),
        );
      } else {
        const parts: string[] = [];
        const local: LineCounts = { matched: 0, unparseable: 0 };
        const h = lineHandler(filters, format, local);
        scanBlock(buf.subarray(0, end), filter, (b, s, e) => {
          const t = h(b, s, e);
          if (t !== undefined) parts.push(t);
          return true;
        });
        pending.push(Promise.resolve({ text: parts.join(''), ...local }));
      }
      // In order, keeping at most two blocks unwritten.
      while (pending.length > 2) await emit(await Promise.race([pending.shift() as Promise<Done>, failed]));
    }
    while (pending.length > 0) await emit(await Promise.race([pending.shift() as Promise<Done>, failed]));
  } finally {
    await fh.close();
    await worker.terminate();
  }
}
