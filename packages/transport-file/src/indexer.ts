/**
 * Indexing a closed segment (docs/spec/segment-index.md), and gzipping it in the same pass.
 *
 * The segment is cut into blocks at line boundaries (`blockBytes` of plain text each). Each block
 * is summarized (time range, membership filters) and, when the segment is compressed, written as
 * one gzip member: the members concatenated are an ordinary gzip file whose content is the plain
 * segment byte for byte, and a reader holding the block offsets decompresses only the blocks that
 * may match. The blocks file is committed by SHA-256 in the sidecar, the sidecar in the chain.
 */
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, fsyncSync, openSync, write, writeFileSync } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import {
  type AuditEntry,
  blockOf,
  compactRangeOf,
  type Hash,
  leafHashOf,
  type SegmentBlock,
  type SegmentBlocks,
  type SegmentIndex,
  SegmentIndexBuilder,
} from '@auditready/core';
import { fsyncDir } from '@auditready/core/spool';

const gzipAsync = promisify(gzip);
const writeAsync = promisify(write);

/** Plain bytes per block by default: small enough to skip most of a segment, large enough to compress well. */
export const DEFAULT_BLOCK_BYTES = 256 * 1024;

export interface IndexedSegment {
  /** The sidecar's SHA-256 (hex), for the chain's notice. */
  sha256: string;
  /** Completes the compression (when asked): renames the gzip file in and removes the plain segment. */
  finish(): Promise<void>;
}

function writeDurably(file: string, text: string, mode: number): Promise<void> {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, text, { mode });
  const fd = openSync(tmp, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return rename(tmp, file);
}

/** Each chain's leaf hashes in the segment, while its seqs follow one another. */
type Leaves = Map<string, { first: number; leaves: Hash[] } | null>;

function addLines(buf: Buffer, builders: SegmentIndexBuilder[], trees: Leaves): number {
  let lines = 0;
  let start = 0;
  while (start < buf.length) {
    let end = buf.indexOf(0x0a, start);
    if (end === -1) end = buf.length;
    if (end > start) {
      lines++;
      try {
        const e = JSON.parse(buf.toString('utf8', start, end)) as AuditEntry;
        for (const b of builders) b.add(e);
        const t = trees.get(e.chain);
        if (t === undefined) trees.set(e.chain, { first: e.seq, leaves: [leafHashOf(buf, start, end)] });
        else if (t !== null && t.first + t.leaves.length === e.seq) t.leaves.push(leafHashOf(buf, start, end));
        else trees.set(e.chain, null); // out of order: no compact range for this chain
      } catch {
        // a line that is not an entry is the verifier's business
      }
    }
    start = end + 1;
  }
  return lines;
}

/** Whole lines of the segment, about `blockBytes` at a time (the last block takes what is left). */
async function* blocksOf(path: string, blockBytes: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) {
    let buf = chunk as Buffer;
    while (size + buf.length >= blockBytes) {
      const nl = buf.indexOf(0x0a, Math.max(0, blockBytes - size - 1));
      if (nl === -1) break;
      pending.push(buf.subarray(0, nl + 1));
      yield Buffer.concat(pending);
      pending = [];
      size = 0;
      buf = buf.subarray(nl + 1);
    }
    if (buf.length > 0) {
      pending.push(buf);
      size += buf.length;
    }
  }
  if (size > 0) yield Buffer.concat(pending);
}

/**
 * Indexes `<dir>/<seg>` (and gzips it to `<seg>.gz` when `compress`): writes `<seg>.blk.json` and
 * `<seg>.idx.json` durably. The caller commits the returned SHA-256 in the chain, then calls finish().
 */
export async function indexSegment(
  dir: string,
  seg: string,
  o: { compress: boolean; blockBytes: number; mode: number },
): Promise<IndexedSegment> {
  const path = join(dir, seg);
  const gzTmp = `${path}.gz.tmp`;
  const fd = o.compress ? openSync(gzTmp, 'w', o.mode) : undefined;
  const segment = new SegmentIndexBuilder();
  const trees: Leaves = new Map();
  const blocks: SegmentBlock[] = [];
  let at = 0;
  try {
    for await (const plain of blocksOf(path, o.blockBytes)) {
      const block = new SegmentIndexBuilder();
      const lines = addLines(plain, [segment, block], trees);
      let bytes = plain.length;
      if (fd !== undefined) {
        const member = await gzipAsync(plain);
        await writeAsync(fd, member, 0, member.length, at);
        bytes = member.length;
      }
      blocks.push(blockOf(block.finish(seg), at, bytes, lines));
      at += bytes;
    }
    if (fd !== undefined) fsyncSync(fd);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  // The segment's membership filters go with the blocks: the sidecar, hashed by a reader for
  // every segment of an archive, keeps only what decides most segments (time, chains, lists).
  const { actors, actions, resources, ...header } = segment.finish(seg) as Required<SegmentIndex>;
  const form = o.compress ? 'gzip' : 'plain';
  const blocksText = `${JSON.stringify({ v: 1, segment: seg, form, fileBytes: at, actors, actions, resources, blocks } satisfies SegmentBlocks)}\n`;
  await writeDurably(join(dir, `${seg}.blk.json`), blocksText, o.mode);
  const sha = (t: string) => createHash('sha256').update(t).digest('hex');
  const ranges = [...trees].filter((t): t is [string, { first: number; leaves: Hash[] }] => t[1] !== null);
  const index: SegmentIndex = {
    ...header,
    trees: Object.fromEntries(ranges.map(([c, t]) => [c, compactRangeOf(t.first, t.leaves).map((h) => Buffer.from(h).toString('hex'))])),
    blocks: { file: `${seg}.blk.json`, sha256: sha(blocksText) },
  };
  const text = `${JSON.stringify(index)}\n`;
  await writeDurably(join(dir, `${seg}.idx.json`), text, o.mode);
  return {
    sha256: sha(text),
    finish: async () => {
      if (!o.compress) return;
      await rename(gzTmp, `${path}.gz`);
      fsyncDir(dir);
      await unlink(path);
    },
  };
}
