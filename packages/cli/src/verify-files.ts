/**
 * Programmatic verification of log files (what `auditready verify` runs): every file streamed in
 * order through one Verifier, so chains that continue across segments are checked across them.
 */
import type { AuditKey, ChainHead } from '@auditready/core';
import { type Bridge, type EntryOpening, feedStream, Verifier, type VerifyBreak, type VerifyReport } from '@auditready/core/verify';
import { auditLinesOnly, type InputFile, openBytes } from './inputs.js';

export interface FileStatus {
  file: string;
  bytes: number;
  lines: number;
  valid: boolean;
  breaks: VerifyBreak[];
}

export interface VerifyFilesResult {
  report: VerifyReport;
  files: FileStatus[];
  bytes: number;
  /** With `mixed`: lines that were not audit entries. */
  skipped?: number;
}

export interface VerifyFilesOptions {
  keys?: AuditKey[];
  anchors?: ChainHead[];
  /** Ranges not read on purpose, vouched for by a trusted index (verify --since/--until). */
  bridges?: Bridge[];
  allowPartialStart?: boolean;
  extract?: boolean;
  /** Trusted checkpoint keys (verifier key strings). */
  trust?: string[];
  /** Checkpoint destination lines (needs trust). */
  checkpoints?: { line: string; source: string }[];
  witnesses?: string[];
  witnessThreshold?: number;
  forwardSecure?: AuditKey[];
  /** Opens encrypted entries (verify --identity): each must open and be a valid entry. */
  open?: EntryOpening;
  /** The input also carries other output (a container's stdout): only audit entries are read, the rest counted in `skipped`. */
  mixed?: boolean;
  /** Called with the raw bytes read so far (compressed bytes for .gz). */
  onProgress?: (bytesRead: number) => void;
}

export async function verifyFiles(files: readonly InputFile[], options: VerifyFilesOptions = {}): Promise<VerifyFilesResult> {
  const v = new Verifier({
    parallel: true,
    ...(options.keys ? { keys: options.keys } : {}),
    ...(options.anchors ? { anchors: options.anchors } : {}),
    ...(options.bridges ? { bridges: options.bridges } : {}),
    ...(options.allowPartialStart ? { allowPartialStart: true } : {}),
    ...(options.extract ? { extract: true } : {}),
    ...(options.trust ? { trust: options.trust } : {}),
    ...(options.checkpoints ? { checkpoints: options.checkpoints } : {}),
    ...(options.witnesses ? { witnesses: options.witnesses } : {}),
    ...(options.forwardSecure ? { forwardSecure: options.forwardSecure } : {}),
    ...(options.witnessThreshold !== undefined ? { witnessThreshold: options.witnessThreshold } : {}),
    ...(options.open ? { open: options.open } : {}),
  });
  let read = 0;
  const counts = new Map<string, number>();
  const mixed = { skipped: 0 };
  for (const f of files) {
    const bytes = openBytes(f, (b) => {
      read += b;
      options.onProgress?.(read);
    });
    counts.set(f.display, await feedStream(v, options.mixed ? auditLinesOnly(bytes, mixed) : bytes, { file: f.display, lineWorker: true }));
  }
  const report = await v.finishAsync();
  const statuses = files.map((f) => {
    const breaks = report.breaks.filter((b) => b.file === f.display);
    return { file: f.display, bytes: f.bytes, lines: counts.get(f.display) ?? 0, valid: breaks.length === 0, breaks };
  });
  return { report, files: statuses, bytes: read, ...(options.mixed ? { skipped: mixed.skipped } : {}) };
}
