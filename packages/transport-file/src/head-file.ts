/**
 * The head commitment `<name>.head.json`: the chain, seq, hash and time of the last entry the
 * transport acknowledged, so that a cut tail of the log is caught (docs/transport-file.md). It is
 * refreshed after every batch, so it must be cheap: the file stays open and is overwritten in place
 * with one fixed-size write (a create + rename per batch cost ~200 µs here; this costs a few). The
 * record is padded to HEAD_BYTES, one disk sector, so one write replaces it whole; JSON.parse
 * ignores the padding.
 */
import { closeSync, constants as fsConstants, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { AuditTransportError } from '@auditready/core';
import { activeName, type EntryHead } from './segments.js';

/** Read-write, created if missing, never truncated (the record is overwritten in place). */
const HEAD_OPEN_FLAGS = fsConstants.O_RDWR | fsConstants.O_CREAT;

/** Size of the head record: one sector, so a write replaces it whole. */
const HEAD_BYTES = 512;

export class HeadFile {
  readonly #path: string;
  readonly #activeFile: string;
  readonly #mode: number;
  readonly #transportName: string;
  /** The record's buffer: padding and the final newline are kept between writes. */
  readonly #buf = Buffer.alloc(HEAD_BYTES, 0x20).fill(0x0a, HEAD_BYTES - 1);
  /** The time of the last write, formatted once per ms. */
  #clockMs = Number.NaN;
  #clock = '';
  #fd: number | undefined;

  constructor(dir: string, baseName: string, mode: number, transportName: string) {
    this.#path = join(dir, `${baseName}.head.json`);
    this.#activeFile = activeName(baseName);
    this.#mode = mode;
    this.#transportName = transportName;
  }

  /** Overwrites the record with `h` at time `now` (ms); throws what the file system throws. */
  write(h: EntryHead, now: number): void {
    // Opened without truncating: a process killed between this open and the write below must
    // leave the previous commitment, not an empty file (opening with 'w' emptied it first).
    if (this.#fd === undefined) this.#fd = openSync(this.#path, HEAD_OPEN_FLAGS, this.#mode);
    if (now !== this.#clockMs) {
      this.#clockMs = now;
      this.#clock = new Date(now).toISOString();
    }
    // Written out field by field: a spread and JSON.stringify of the whole record, a new Date and
    // a fresh zero-filled buffer cost ~9 µs a batch, most of what a small batch's head costs.
    const json = `{"chain":${JSON.stringify(h.chain)},"seq":${h.seq},"hash":${JSON.stringify(h.hash)},"ts":${JSON.stringify(h.ts)},"file":${JSON.stringify(this.#activeFile)},"updatedAt":"${this.#clock}"}`;
    const buf = this.#buf;
    const n = buf.write(json, 0, HEAD_BYTES - 1, 'utf8'); // the last byte stays a newline
    if (n !== Buffer.byteLength(json, 'utf8')) {
      throw new AuditTransportError(this.#transportName, `${this.#transportName}: head record over ${HEAD_BYTES} bytes`);
    }
    buf.fill(0x20, n, HEAD_BYTES - 1);
    writeSync(this.#fd, buf, 0, HEAD_BYTES, 0);
  }

  /** Closes the file; the next write opens it again (after the active file is reopened: a directory recreated, logrotate ...). */
  close(): void {
    if (this.#fd === undefined) return;
    try {
      closeSync(this.#fd);
    } catch {
      // already gone
    }
    this.#fd = undefined;
  }
}
