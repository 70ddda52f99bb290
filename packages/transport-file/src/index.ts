// @auditready/transport-file: the whole public contract, listed by hand.

export { AgeDecryptError, ageDecrypt, ageEncrypt, ageGenerateIdentity, ageRecipientOf } from './age.js';
export type { Durability, FileTransportOptions } from './file-transport.js';
export { createFileTransport, FileTransport } from './file-transport.js';
export type { FileKeyStore, OpenedKeys } from './keys.js';
export { ageIdentities, ageRecipients, fileKeyStore, openKeyDir, readIdentityFile, rewrapKeys } from './keys.js';
export type { EntryHead } from './segments.js';
export { activeName, isSegmentOf, listSegments, segmentBounds, stampOf } from './segments.js';
export type { FileSubjectKeyStore } from './subject-keys.js';
export { fileSubjectKeyStore, readSubjectKeys } from './subject-keys.js';
