/**
 * Named errors with stable codes (docs/spec/errors in docs/spec/entry-format.md §Errors).
 * Codes never change meaning; messages may improve.
 */
export type AuditErrorCode =
  | 'ERR_AUDIT_CONFIG'
  | 'ERR_AUDIT_SCHEMA'
  | 'ERR_AUDIT_CANONICAL'
  | 'ERR_AUDIT_INPUT'
  | 'ERR_AUDIT_CLOSED'
  | 'ERR_AUDIT_UNAVAILABLE'
  | 'ERR_AUDIT_TRANSPORT'
  | 'ERR_AUDIT_HOOK'
  | 'ERR_AUDIT_ASSERTION'
  | 'ERR_AUDIT_LOCKED'
  | 'ERR_AUDIT_PROOF';

export class AuditError extends Error {
  readonly code: AuditErrorCode;
  /** JSON-pointer-like path of the offending value, when there is one (e.g. `details.items[3]`). */
  readonly path: string | undefined;

  constructor(code: AuditErrorCode, message: string, options?: { cause?: unknown; path?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.path = options?.path;
  }
}

/** Invalid options passed to a factory. Thrown at construction, never later. */
export class AuditConfigError extends AuditError {
  constructor(message: string, options?: { cause?: unknown; path?: string }) {
    super('ERR_AUDIT_CONFIG', message, options);
  }
}

/** An entry does not match the entry schema (format version 1). */
export class AuditSchemaError extends AuditError {
  readonly errors: readonly { path: string; message: string }[];
  constructor(message: string, errors: readonly { path: string; message: string }[], path?: string) {
    super('ERR_AUDIT_SCHEMA', message, path === undefined ? undefined : { path });
    this.errors = errors;
  }
}

/** A value cannot be put in canonical form (NaN, BigInt, cycle, lone surrogate, class instance ...). */
export class AuditCanonicalError extends AuditError {
  constructor(message: string, path: string) {
    super('ERR_AUDIT_CANONICAL', message, { path });
  }
}

/** The app passed something that is not a record at all (not an object, no action ...). */
export class AuditInputError extends AuditError {
  constructor(message: string, options?: { cause?: unknown; path?: string }) {
    super('ERR_AUDIT_INPUT', message, options);
  }
}

/** record() after close(). */
export class AuditClosedError extends AuditError {
  constructor(message = 'the audit logger is closed') {
    super('ERR_AUDIT_CLOSED', message);
  }
}

/** Fail-closed: the pipeline cannot accept the entry, so the caller must not proceed unaudited. */
export class AuditUnavailableError extends AuditError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_AUDIT_UNAVAILABLE', message, options);
  }
}

/** A transport failed to write a batch (reported through onError and health(), never thrown into the app). */
export class AuditTransportError extends AuditError {
  readonly transport: string;
  constructor(transport: string, message: string, options?: { cause?: unknown }) {
    super('ERR_AUDIT_TRANSPORT', message, options);
    this.transport = transport;
  }
}

/** A user hook (resolver, redaction function, onError itself) threw. */
export class AuditHookError extends AuditError {
  constructor(message: string, options?: { cause?: unknown; path?: string }) {
    super('ERR_AUDIT_HOOK', message, options);
  }
}

/** An assertion of the test kit failed. */
export class AuditAssertionError extends AuditError {
  constructor(message: string) {
    super('ERR_AUDIT_ASSERTION', message);
  }
}

/** Another live process holds the log (a transport's lock): two writers would fork the chain. */
export class AuditLockedError extends AuditError {
  /** The process holding the lock, as its lock file says. */
  readonly holder: { pid?: number; host?: string; since?: string };
  constructor(message: string, holder: { pid?: number; host?: string; since?: string }) {
    super('ERR_AUDIT_LOCKED', message);
    this.holder = holder;
  }
}

/** Why a Merkle proof, checkpoint or note was rejected (portable kinds, as RFC 9162 verifiers name them). */
export type ProofErrorKind =
  | 'invalid_size'
  | 'invalid_state'
  | 'index_out_of_range'
  | 'wrong_proof_size'
  | 'root_mismatch'
  | 'size1_greater_than_size2'
  | 'empty_proof'
  | 'nonempty_proof_for_equal_sizes'
  | 'nonempty_proof_for_size1_zero'
  | 'invalid_key'
  | 'malformed_note'
  | 'invalid_signature'
  | 'unverified_note'
  | 'malformed_checkpoint'
  | 'malformed_proof';

/** A proof that does not hold (or cannot be made): `kind` says why. */
export class AuditProofError extends AuditError {
  readonly kind: ProofErrorKind;
  constructor(kind: ProofErrorKind, message: string) {
    super('ERR_AUDIT_PROOF', message);
    this.kind = kind;
  }
}

/** A data key could not be wrapped or stored: entries under it are held (the transport retries) until it is. */
export class AuditKeyStoreError extends AuditTransportError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('encryption', message, options);
    this.name = 'AuditKeyStoreError';
  }
}

/** A ciphertext that does not open: altered, moved to another entry, or a wrong data key. */
export class AuditDecryptError extends AuditInputError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AuditDecryptError';
  }
}
