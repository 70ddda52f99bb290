// @auditready/transport-http: the whole public contract, listed by hand.

export type { EncodedBody, HttpFormat } from './formats.js';
export { encode } from './formats.js';
export type { HttpTransportOptions } from './http-transport.js';
export { createHttpTransport, HttpTransport } from './http-transport.js';
