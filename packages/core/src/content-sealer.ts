/**
 * What the logger seals of an app entry's content before hashing it: its subject's personal fields
 * (erasure, subjects.ts), then the whole content (encryption at rest, encryption.ts). Both keep
 * their keys' storing in step with delivery: pending() settles before any batch is written.
 */
import { type EncryptionOptions, EntryEncryptor } from './encryption.js';
import { AuditConfigError } from './errors.js';
import type { EntryBody } from './hash-chain.js';
import { type ErasureOptions, type ErasureResult, SubjectSealer } from './subjects.js';

const SUBJECT_KINDS = new Set(['access', 'event']);

export class ContentSealer {
  readonly #enc: EntryEncryptor | undefined;
  readonly #subjects: SubjectSealer | undefined;

  private constructor(enc: EntryEncryptor | undefined, subjects: SubjectSealer | undefined) {
    this.#enc = enc;
    this.#subjects = subjects;
  }

  /** Neither: erase() says the option is missing. */
  static readonly none = new ContentSealer(undefined, undefined);

  /** The sealer the options ask for, or undefined (neither `encryption` nor `erasure`). */
  static of(o: { encryption?: EncryptionOptions; erasure?: ErasureOptions }, chain: string): ContentSealer | undefined {
    if (o.encryption === undefined && o.erasure === undefined) return undefined;
    return new ContentSealer(
      o.encryption === undefined ? undefined : new EntryEncryptor(o.encryption, chain),
      o.erasure === undefined ? undefined : new SubjectSealer(o.erasure, chain),
    );
  }

  /** `body` as it will be sealed at `seq` (`sorted`: its objects are in canonical key order). */
  seal(body: EntryBody, seq: number, sorted: boolean): EntryBody {
    const b = this.#subjects && SUBJECT_KINDS.has(body.kind) ? this.#subjects.seal(body, seq) : body;
    return this.#enc ? this.#enc.seal(b, seq, sorted) : b;
  }

  pending(): Promise<void> | undefined {
    const a = this.#enc?.pending();
    const b = this.#subjects?.pending();
    return a && b ? Promise.all([a, b]).then(() => undefined) : (a ?? b);
  }

  /** A new data key for entries sealed from now on (a file transport's new segment). */
  rotate(): void {
    this.#enc?.rotate();
  }

  erase(subject: string): Promise<ErasureResult> {
    if (this.#subjects === undefined) throw new AuditConfigError('eraseSubject(): the logger has no `erasure` option');
    if (typeof subject !== 'string' || subject === '') throw new AuditConfigError('eraseSubject(subject): the subject is an actor id');
    return this.#subjects.erase(subject);
  }
}
