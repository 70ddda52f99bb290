// @auditready/core: the whole public contract, listed by hand.

export { assertCanonicalizable, canonicalBytes, canonicalize, MAX_CANONICAL_DEPTH } from './canonical.js';
export type { Checkpoint } from './checkpoint.js';
export { formatCheckpoint, openCheckpoint, parseCheckpoint, signCheckpoint } from './checkpoint.js';
export type { CheckpointOptions, IssuedCheckpoint } from './checkpointer.js';
export type { AuditClock, ClockStep, SystemClockOptions } from './clock.js';
export { createFixedClock, createSystemClock, formatMicros, parseMicros } from './clock.js';
export type { ConsistencyProofFile } from './consistency-file.js';
export {
  checkpointOrigin,
  formatConsistencyProof,
  parseConsistencyProof,
  proveConsistency,
  proveConsistencyFromLeaves,
  proveConsistencyIn,
  proveInclusion,
  proveInclusionFromLeaves,
  proveInclusionIn,
  verifyCheckpointConsistency,
} from './consistency-file.js';
export { COSIGNATURE_V1, cosignatureSigner, cosignedMessage, typedKeyId } from './cosignature.js';
export type { DetectorName } from './detectors.js';
export { DETECTORS, isCredentialKey, luhnValid } from './detectors.js';
export type { DataKeyContext, DataKeyFile, DataKeyStore, EncryptionOptions, KeyUnwrapper, KeyWrapper } from './encryption.js';
export {
  AuditDecryptError,
  AuditKeyStoreError,
  dataKeyId,
  ENCRYPTED_KINDS,
  EntryOpener,
  openEntry,
  parseDataKeyFile,
  unwrapDataKey,
} from './encryption.js';
export type { AuditErrorCode, ProofErrorKind } from './errors.js';
export {
  AuditAssertionError,
  AuditCanonicalError,
  AuditClosedError,
  AuditConfigError,
  AuditError,
  AuditHookError,
  AuditInputError,
  AuditLockedError,
  AuditProofError,
  AuditSchemaError,
  AuditTransportError,
  AuditUnavailableError,
} from './errors.js';
export type { EntryFormat } from './formats/index.js';
export {
  canonicalLineOf,
  ECS_VERSION,
  ENTRY_FORMATS,
  formatEntry,
  OCSF_SCHEMA_VERSION,
  OTEL_SEMCONV_VERSION,
  toEcs,
  toOcsf,
  toOtelLog,
} from './formats/index.js';
export type { ForwardSecureOptions, ForwardSecureState, ForwardSecureStore } from './forward-secure.js';
export { DEFAULT_EPOCH_MS, evolveKey } from './forward-secure.js';
export type { AuditKey } from './hash.js';
export { ENTRY_DOMAIN_TAG, hashCanonical, REDACTION_DOMAIN_TAG, ZERO_HASH } from './hash.js';
export type { EntryBody, HashChainOptions, SealedRecord } from './hash-chain.js';
export { canonicalUnhashed, computeEntryHash, HashChain, serializeEntry } from './hash-chain.js';
export type {
  AuditHealth,
  AuditLogger,
  AuditLoggerOptions,
  FlushResult,
  OverflowPolicy,
  RecordLaterOptions,
  TransportHealth,
  WrapOptions,
} from './logger.js';
export { classifyError, createAuditLogger } from './logger.js';
export type { Hash } from './merkle.js';
export {
  CompactRange,
  consistencyProof,
  EMPTY_ROOT,
  inclusionProof,
  leafHash,
  leafHashOf,
  nodeHash,
  rootOf,
  verifyConsistency,
  verifyInclusion,
} from './merkle.js';
export { compactRangeNodes, compactRangeOf, SparseTree } from './merkle-sparse.js';
export { consistencyProofFrom } from './merkle-state.js';
export type { NoteSignature, NoteSigner, NoteVerifier, OpenedNote } from './note.js';
export { generateNoteKey, noteKeyId, openNote, parseSignerKey, parseVerifierKey, parseWitnessKey, signNote, signNoteNow } from './note.js';
export { checkOptionsObject, enumOption, fnOption, intOption, positiveOption } from './options.js';
export type { RedactionCensor, RedactionMode, RedactionOptions, RedactionRule } from './redact.js';
export { compileRedaction, keyedHashMarker, MASK, redactBody, truncateString } from './redact.js';
export type { SchemaResult } from './schema.js';
export { assertValidEntry, checkEntry, entrySchema } from './schema.js';
export type { BloomFilter, IndexCommitment, IndexCriteria, SegmentBlock, SegmentBlocks, SegmentIndex } from './segment-index.js';
export {
  blockMayMatch,
  blockOf,
  bloomHas,
  filtersMayMatch,
  SEGMENT_INDEX_VERSION,
  SegmentIndexBuilder,
  segmentMayMatch,
} from './segment-index.js';
export type { StdoutTransportOptions, WritableLike } from './stdout-transport.js';
export { createStdoutTransport } from './stdout-transport.js';
export type { ErasureOptions, ErasureResult, SubjectKeyStore } from './subjects.js';
export { DEFAULT_PERSONAL_FIELDS, ERASED, openSubject, subjectPseudonym } from './subjects.js';
export type { TlogProof } from './tlog-proof.js';
export { formatTlogProof, parseTlogProof, verifyTlogProof } from './tlog-proof.js';
export type { MemoryTransport, MemoryTransportOptions, ResumePoint, Transport, TransportContext } from './transport.js';
export { createMemoryTransport } from './transport.js';
export type { TreeState } from './tree-state.js';
export { committedTree, rangeOf, resumeTree, treeStateOf } from './tree-state.js';
export type {
  Actor,
  ActorType,
  AuditEntry,
  AuditRecordInput,
  ChainHead,
  EntryKind,
  HttpInfo,
  Outcome,
  RedactionHow,
  RedactionNote,
  Resource,
  SealedFields,
  ServiceInfo,
  SubjectFields,
  TraceInfo,
} from './types.js';
export { FORMAT_VERSION } from './types.js';
export { errorMessage, safeGet } from './util.js';
export type { WitnessHealth, WitnessOptions } from './witness.js';
