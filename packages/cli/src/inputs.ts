/**
 * Inputs: files, directories and globs (quoted, so the shell did not expand them), in the order
 * given; a directory contributes its log files in name order, which for the file transport's
 * segment names is chronological. `.gz` files are decompressed on the fly. Reading is streaming:
 * memory does not grow with the size of the log.
 */
import { createReadStream, readdirSync, readFileSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { createGunzip, gunzip } from 'node:zlib';
import { AuditConfigError, AuditInputError, type ChainHead, canonicalLineOf } from '@auditready/core';
import { splitLines } from '@auditready/core/verify';
import { glob, isDynamicPattern } from 'tinyglobby';

const gunzipAsync = promisify(gunzip);
/** Blocks read and decompressed at once (libuv's thread pool has four threads by default). */
const RANGE_CONCURRENCY = 4;

/** The command line is wrong (unknown flag, missing argument): exit code 2. */
export class UsageError extends AuditConfigError {}

export interface InputFile {
  path: string;
  /** How the file is named in reports: relative to the working directory. */
  display: string;
  bytes: number;
  /**
   * Only these byte ranges of the file hold what is asked (its index blocks say so): each a gzip
   * member when the file is gzipped. Read in full if any of them does not read back.
   */
  ranges?: { at: number; bytes: number }[];
}

const LOG_FILE = /\.(log|ndjson|jsonl)(\.gz)?$/;

export function isLogFile(name: string): boolean {
  return LOG_FILE.test(name) && !name.includes('.torn-') && !name.includes('.foreign-');
}

/** A commitment to a chain's head, with the file it came from (named in the verdict). */
export type Anchor = ChainHead & { source: string };

export async function expandInputs(args: readonly string[]): Promise<{ files: InputFile[]; anchors: Anchor[] }> {
  if (args.length === 0) throw new UsageError('no input: name log files, directories or globs');
  const files: InputFile[] = [];
  const anchors: Anchor[] = [];
  const seen = new Set<string>();
  const add = (path: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    files.push({ path, display: relative(process.cwd(), path) || path, bytes: statSync(path).size });
  };
  for (const arg of args) {
    if (arg === '-') {
      // Standard input: a collected stream (`kubectl logs pod | auditready verify -`).
      if (!seen.has('-')) files.push({ path: '-', display: 'stdin', bytes: 0 });
      seen.add('-');
      continue;
    }
    if (isDynamicPattern(arg)) {
      // Log files only: a glob over a log directory also matches its head file, locks, temp files.
      const matches = (await glob(arg, { absolute: true, onlyFiles: true, dot: false })).filter((m) => isLogFile(basename(m))).sort();
      if (matches.length === 0)
        throw new UsageError(`the glob ${arg} matches no file that is a log (*.log, *.ndjson, *.jsonl, optionally .gz)`);
      for (const m of matches) add(m);
      continue;
    }
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(arg);
    } catch (err) {
      throw new UsageError(`${arg}: ${reasonOf(err as NodeJS.ErrnoException)}`);
    }
    if (st.isDirectory()) {
      const names = readdirSync(arg).sort();
      const logs = names.filter(isLogFile);
      if (logs.length === 0) throw new UsageError(`${arg}: no log files (*.log, *.ndjson, *.jsonl, optionally .gz) in this directory`);
      for (const n of logs) add(join(arg, n));
      for (const n of names.filter((x) => x.endsWith('.head.json'))) {
        const head = readHead(join(arg, n));
        if (head) anchors.push({ ...head, source: relative(process.cwd(), join(arg, n)) || n });
      }
    } else {
      add(arg);
    }
  }
  return { files, anchors };
}

/** Why a path cannot be read, in words (the real reason: a symlink loop is not a missing file). */
function reasonOf(err: NodeJS.ErrnoException): string {
  if (err.code === 'ENOENT') return 'no such file or directory';
  if (err.code === 'ELOOP') return 'too many levels of symbolic links (a symlink loop?)';
  if (err.code === 'EACCES' || err.code === 'EPERM') return 'permission denied';
  if (err.code === 'ENOTDIR') return 'a part of the path is not a directory';
  return err.message;
}

/** An anchor given on the command line: a head file (`<name>.head.json`) or any JSON file with { chain, seq, hash }. */
export function readAnchor(path: string): Anchor {
  const head = readHead(path);
  if (!head) throw new UsageError(`--anchor ${path}: not a readable { chain, seq, hash } file`);
  return { ...head, source: relative(process.cwd(), path) || path };
}

/** A file transport's head commitment (`<name>.head.json`), used as a verification anchor. */
function readHead(path: string): ChainHead | undefined {
  try {
    const h = JSON.parse(readFileSync(path, 'utf8')) as Partial<ChainHead>;
    if (typeof h.chain === 'string' && Number.isSafeInteger(h.seq) && typeof h.hash === 'string')
      return { chain: h.chain, seq: h.seq as number, hash: h.hash };
  } catch {
    // not a head file we understand
  }
  return undefined;
}

/**
 * The blocks of a file its index selected, decompressed, in order; undefined when one does not read
 * back (the file differs from what its index describes: then the whole file is to be read). Reads
 * and gunzips overlap in libuv's thread pool, a few at a time.
 */
export async function readRanges(file: InputFile, onBytes: (n: number) => void = () => {}): Promise<Buffer[] | undefined> {
  const ranges = file.ranges ?? [];
  const fh = await open(file.path, 'r');
  const gz = file.path.endsWith('.gz');
  const readOne = async (r: { at: number; bytes: number }): Promise<Buffer> => {
    const raw = Buffer.allocUnsafe(r.bytes);
    const { bytesRead } = await fh.read(raw, 0, r.bytes, r.at);
    onBytes(bytesRead);
    const plain = gz ? await gunzipAsync(raw.subarray(0, bytesRead)) : raw.subarray(0, bytesRead);
    if (bytesRead !== r.bytes || (plain.length > 0 && plain[plain.length - 1] !== 0x0a))
      throw new AuditInputError(`${file.display}: block at ${r.at} does not end at a line end`);
    return plain;
  };
  const out: Buffer[] = new Array(ranges.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < ranges.length; i = next++) out[i] = await readOne(ranges[i] as { at: number; bytes: number });
  };
  try {
    const settled = await Promise.allSettled(Array.from({ length: Math.min(RANGE_CONCURRENCY, ranges.length) }, worker));
    return settled.some((r) => r.status === 'rejected') ? undefined : out;
  } finally {
    await fh.close();
  }
}

/**
 * The blocks of a file its index selected (readRanges, or `ready` when they were read ahead). All
 * are read before any is given out: one that does not read back means the whole file is read
 * instead, so nothing is missed.
 */
export async function* rangesOf(
  file: InputFile,
  onBytes: (n: number) => void,
  ready: Promise<Buffer[] | undefined> = readRanges(file, onBytes),
): AsyncGenerator<Uint8Array> {
  const out = await ready;
  if (out) {
    yield* out;
    return;
  }
  process.stderr.write(`warning: ${file.display}: its blocks do not read back as its index describes: read in full\n`);
  yield* openBytes({ path: file.path, display: file.display, bytes: file.bytes }, onBytes);
}

/**
 * One file's bytes (decompressing .gz), reporting raw bytes read for progress, and the raw bytes
 * themselves to `onRaw` (the file as stored: what `sha256sum` hashes).
 */
export function openBytes(file: InputFile, onBytes: (n: number) => void, onRaw?: (chunk: Buffer) => void): AsyncIterable<Uint8Array> {
  if (file.path === '-') return process.stdin;
  if (file.ranges !== undefined) return rangesOf(file, onBytes);
  const raw = createReadStream(file.path, { highWaterMark: 4 * 1024 * 1024 });
  raw.on('data', (chunk) => {
    onBytes((chunk as Buffer).length);
    onRaw?.(chunk as Buffer);
  });
  if (!file.path.endsWith('.gz')) return raw;
  const gunzip = createGunzip();
  raw.on('error', (err) => gunzip.destroy(err));
  return raw.pipe(gunzip);
}

/** Streams one file's lines (decompressing .gz), counting raw bytes read for progress. */
export async function* readLines(file: InputFile, onBytes: (n: number) => void): AsyncGenerator<string> {
  yield* splitLines(openBytes(file, onBytes));
}

export function shortName(path: string): string {
  return basename(path);
}

/**
 * Only the audit entries of a stream that also carries other output (a container's stdout with
 * the app's own logs): lines that are canonical entries, or records in a SIEM format that carry
 * one (taken back out). The others are counted in `skipped`. Skipping cannot hide tampering: an
 * entry edited into something else is missing from its chain, and that is reported.
 */
export async function* auditLinesOnly(chunks: AsyncIterable<Uint8Array>, counts: { skipped: number }): AsyncGenerator<string> {
  for await (const raw of splitLines(chunks)) {
    const line = canonicalLineOf(raw.trim());
    if (line.startsWith('{') && line.includes('"chain":"') && line.includes('"hash":"')) yield `${line}\n`;
    else if (raw.trim() !== '') counts.skipped++;
  }
}
