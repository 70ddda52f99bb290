/** The logger's public shapes: options live in logger-options.ts, delivery's in delivery-lane.ts. */

import type { IssuedCheckpoint } from './checkpointer.js';
import type { OverflowPolicy, TransportHealth } from './delivery-lane.js';
import type { NoteSigner } from './note.js';
import type { ErasureResult } from './subjects.js';
import type { AuditEntry, AuditRecordInput, ChainHead } from './types.js';
import type { WitnessHealth } from './witness.js';
import type { WrapOptions } from './wrap.js';

export interface RecordLaterOptions {
  /** The entry uses a reservation taken with reserve(): no fail-closed check now (its room was held). */
  reserved?: boolean;
}

export interface FlushResult {
  /** True when every transport holds every entry recorded before the call. */
  ok: boolean;
  /** Entries still queued (not yet durable) when the call returned. */
  pending: number;
}

export interface AuditHealth {
  /** ok: all transports delivering; degraded: retrying or entries dropped/rejected; closed. */
  status: 'ok' | 'degraded' | 'closed';
  /** False when record() would throw AuditUnavailableError (fail-closed and a queue is full) or after close. */
  accepting: boolean;
  overflow: OverflowPolicy;
  chain: { id: string; head?: ChainHead; keyId?: string };
  recorded: number;
  rejected: number;
  transports: TransportHealth[];
  /** With the `checkpoints` option: the tree, the newest checkpoint, entries no checkpoint covers yet, the destinations. */
  checkpoints?: {
    origin: string;
    issued: number;
    /** Leaves in the tree (records sealed in this chain). */
    size: number;
    /** Entries sealed since the newest checkpoint was cut. */
    uncovered: number;
    /** The newest checkpoint: its size, its record's seq and time (ISO 8601). */
    last?: { size: number; seq: number; at: string };
    destinations: TransportHealth[];
    /** With witnesses: each one's state (`behind`: has not cosigned the newest checkpoint yet). */
    witnesses?: WitnessHealth[];
    /** The newest checkpoint size that `witnessThreshold` witnesses cosigned. */
    witnessed?: number;
  };
}

export interface AuditLogger {
  /** Builds, redacts, validates, seals and enqueues an entry; returns it sealed. */
  record(input: AuditRecordInput): AuditEntry;
  /**
   * Like record(), for callers on a hot path that do not need the sealed entry back (framework
   * middleware): the timestamp is taken now and the entry's place in the chain is fixed now (any
   * later record() seals it first), but building, redaction, validation and sealing happen in one
   * batch before the next delivery — cheaper, as the same code runs for many entries in a row. The
   * input is read then: do not change its objects afterwards. Throws like record() when closed or
   * failing closed; bad input becomes a `rejected` entry and onError, as with record().
   */
  recordLater(input: AuditRecordInput, options?: RecordLaterOptions): void;
  /**
   * Fail-closed admission: holds room for one entry that will be recorded later with
   * `recordLater(input, { reserved: true })`, so a request admitted now is never served without
   * room for its entry. False when no room is left (refuse the request). Without fail-closed, true
   * unless closed. A reservation that will not be used is given back with release().
   */
  reserve(): boolean;
  /** Gives back one reservation (a request that turned out to need no entry). */
  release(): void;
  /** Wraps a sync or async function: records success / failure / denied with duration, rethrows. */
  wrap<A extends unknown[], R>(fn: (...args: A) => R, options: WrapOptions<A, R>): (...args: A) => R;
  /** Resolves when every transport holds everything recorded so far, or at the timeout. Never rejects. */
  flush(options?: { timeoutMs?: number }): Promise<FlushResult>;
  /** Flush, then close transports. Later record() calls throw AuditClosedError. Never rejects. */
  close(options?: { timeoutMs?: number }): Promise<FlushResult>;
  health(): AuditHealth;
  /** Cheap form of health().accepting, for a per-request fail-closed check. */
  accepting(): boolean;
  /** Reports an error through onError (for adapters: a resolver that threw, ...). Never throws. */
  reportError(error: unknown): void;
  /**
   * Cuts a signed checkpoint now (the `checkpoints` option; AuditConfigError without it) and
   * resolves once its record is sealed: undefined if nothing was sealed since the last one was cut
   * or signing failed (onError says why).
   */
  checkpoint(): Promise<IssuedCheckpoint | undefined>;
  /**
   * Erasure (the `erasure` option; AuditConfigError without it): destroys every key of the
   * subject (an actor id), so its personal fields read `[erased]` in every entry, and seals an
   * `erasure` record naming it by its keyed pseudonym. Entries, hashes and proofs do not change.
   */
  eraseSubject(subject: string): Promise<ErasureResult>;
  /**
   * Hands checkpoint signing to a new key (a signer key string, or a NoteSigner with its
   * `verifierKey`): the chain records a checkpoint signed by both keys and a statement signed by
   * the old key naming the new one, so verifiers that trust the old key follow the rotation.
   */
  rotateCheckpointKey(next: NoteSigner | string): Promise<IssuedCheckpoint | undefined>;
  readonly chainId: string;
}

export type { OverflowPolicy, TransportHealth, WrapOptions };
