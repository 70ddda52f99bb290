// @auditready/transport-file: the whole public contract, listed by hand.

export type { Durability, FileTransportOptions } from './file-transport.js';
export { createFileTransport, FileTransport } from './file-transport.js';
export type { EntryHead } from './segments.js';
export { activeName, isSegmentOf, listSegments, segmentBounds, stampOf } from './segments.js';
