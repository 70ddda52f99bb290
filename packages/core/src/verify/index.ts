/**
 * @auditready/core/verify: prove a log complete and untampered, or say exactly where it is not
 * (docs/spec/hash-chain.md §Verification). The whole public contract, listed by hand.
 *
 *   types.ts        what goes in (options, items) and what comes out (reports, break kinds)
 *   verifier.ts     the Verifier: each entry on its own (hash, key, schema, canonical bytes)
 *   input.ts        options checked, items unwrapped; report.ts: a chain's part of the report
 *   chain.ts        an entry's place in its chain (holes, reorders, duplicates, forks)
 *   breaks.ts       the ledger of breaks (added, relabelled, withdrawn as input arrives)
 *   records.ts      what gap / retention / genesis records declare
 *   commitments.ts  end of input: keys, explained holes, anchors and genesis links
 *   seq-window.ts   the bounded memory of recent seqs
 *   scan.ts         byte-level scanning for the fast path; torn-write detection
 *   stream.ts       verify / verifySync / verifyStream / verifyText / splitLines / feedStream
 */

export { AuditDecryptError, EntryOpener, openEntry } from '../encryption.js';
export type { AuditKey } from '../hash.js';
export type { ChainHead } from '../types.js';
export type { EntryOpening, SealedReport } from './sealed.js';
export type { FeedOptions } from './stream.js';
export { feedStream, splitLines, verify, verifyStream, verifySync, verifyText } from './stream.js';
export type {
  BreakKind,
  Bridge,
  ChainReport,
  DeclaredGap,
  Position,
  RetainedRange,
  VerifyBreak,
  VerifyItem,
  VerifyOptions,
  VerifyReport,
} from './types.js';
export { Verifier } from './verifier.js';
