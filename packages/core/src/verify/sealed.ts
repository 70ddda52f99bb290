/**
 * Entries whose content is encrypted (docs/spec/encryption.md). Without the data keys the verifier
 * checks them like any entry (the hash covers the ciphertext) and counts them; with an opener it
 * also opens each one: a ciphertext that does not open under its data key (altered and re-hashed,
 * or moved from another entry) is `modified`, and so is content that is not a valid entry.
 */
import { checkEntry } from '../schema.js';
import type { AuditEntry } from '../types.js';
import { errorMessage } from '../util.js';

/** Opens an entry's content: the opened entry, undefined when its data key is not held; throws when it does not open. */
export interface EntryOpening {
  open(entry: AuditEntry): AuditEntry | undefined;
  /** Entries whose personal fields read `[erased]` (erasure), when the opener counts them. */
  readonly erased?: number;
}

/** What the verifier saw of encrypted entries (VerifyReport.sealed). */
export interface SealedReport {
  /** Entries whose content is encrypted. */
  entries: number;
  /** Of those, opened with the keys given and found to be valid entries. */
  opened: number;
  /** Data keys entries were sealed under that the opener did not hold (their content was not checked). */
  keysMissing: string[];
  /** Entries whose personal fields read `[erased]`: their subject was erased (erasure; with subject keys given). */
  erased?: number;
}

export class SealedCheck {
  #entries = 0;
  #opened = 0;
  readonly #missing = new Set<string>();
  readonly #opener: EntryOpening | undefined;

  constructor(opener: EntryOpening | undefined) {
    this.#opener = opener;
  }

  /** Counts an entry; with an opener, the reason its content is bad (undefined when it is fine, or cannot be opened). */
  check(e: AuditEntry): string | undefined {
    if (e.enc === undefined && e.pii === undefined) return undefined;
    this.#entries++;
    if (this.#opener === undefined) return undefined;
    let opened: AuditEntry | undefined;
    try {
      opened = this.#opener.open(e);
    } catch (err) {
      return errorMessage(err);
    }
    if (opened === undefined) {
      this.#missing.add(e.enc?.kid ?? '');
      return undefined;
    }
    const schema = checkEntry(opened);
    if (!schema.valid)
      return `its content opens but is not a valid entry: ${schema.errors.map((x) => `${x.path || '(root)'} ${x.message}`).join('; ')}`;
    this.#opened++;
    return undefined;
  }

  /** The fast path's count (no opener there): `sealed` as scanEntry found it (enc, pii or both present). */
  countScanned(sealed: number): void {
    if (sealed !== 0) this.#entries++;
  }

  report(): SealedReport | undefined {
    if (this.#entries === 0) return undefined;
    const erased = this.#opener?.erased;
    return { entries: this.#entries, opened: this.#opened, keysMissing: [...this.#missing].sort(), ...(erased ? { erased } : {}) };
  }
}
