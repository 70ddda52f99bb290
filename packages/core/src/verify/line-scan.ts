/**
 * What the line worker answers for each line of a block, and what the verifying thread computes
 * the same way for the lines it keeps (verify/line-feed.ts): the byte fast path's first steps.
 */
import { hashLineBytes } from '../hash.js';
import { bytesEqual, LINE_HASH_BAD, LINE_HASH_OK, LINE_KEYED, LINE_NO_SCAN, LINE_WIDTH, scanLine, writeScan } from './scan.js';

/**
 * Scans lines `from` to `to` (exclusive) of `lines` (start, end, line number: three numbers each;
 * start -1 marks a line over the limit, not scanned) and hashes those without a key id. Returns
 * LINE_WIDTH numbers per line, from line `from` on.
 */
export function scanBlock(b: Uint8Array, lines: Float64Array | number[], from: number, to: number): Float64Array {
  const out = new Float64Array((to - from) * LINE_WIDTH);
  for (let i = from; i < to; i++) {
    const o = (i - from) * LINE_WIDTH;
    const start = lines[3 * i] as number;
    let end = lines[3 * i + 1] as number;
    if (start < 0) {
      writeScan(out, o, LINE_NO_SCAN, undefined);
      continue;
    }
    if (end > start && b[end - 1] === 13) end--; // as pushBytes strips a CR
    const scan = scanLine(b, start, end);
    if (scan === undefined) writeScan(out, o, LINE_NO_SCAN, undefined);
    else if (scan.kidStart >= 0) writeScan(out, o, LINE_KEYED, scan);
    else {
      const hash = hashLineBytes(b, start, scan.hashStart, scan.hashEnd, end);
      writeScan(out, o, bytesEqual(b, scan.hashValStart, scan.hashValEnd, hash) ? LINE_HASH_OK : LINE_HASH_BAD, scan);
    }
  }
  return out;
}

/**
 * Verifier's entry for lines the line worker scanned (line-feed.ts). Not public: a caller that could
 * say "this line's hash matched" could make the verifier accept a line it never checked.
 */
export const PUSH_SCANNED: unique symbol = Symbol('auditready.pushScanned');
