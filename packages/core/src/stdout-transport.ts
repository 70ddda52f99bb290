/**
 * The stdout transport (docs/spec/delivery.md §stdout): JSON lines on the process's standard
 * output (or any writable stream), for platforms that collect a container's stdout (12-factor,
 * Kubernetes). The canonical line by default, or the entry in a SIEM's schema (which carries the
 * line). The weakest durability: a batch counts as delivered once the stream has handed it to the
 * operating system, not once the platform's collector has it.
 *
 * Backpressure: write() resolves only when the stream has taken the batch (its callback), so a
 * slow reader holds one batch in the stream and the rest in the logger's bounded queue, where the
 * overflow policy applies — memory never grows with a slow pipe. A closed pipe (EPIPE) is a failed
 * write reported through onError, never an exception in the app.
 */
import { AuditConfigError, AuditTransportError } from './errors.js';
import { ENTRY_FORMATS, type EntryFormat, formatEntry } from './formats/index.js';
import type { SealedRecord } from './hash-chain.js';
import type { Transport } from './transport.js';

/** What the transport needs of a stream (process.stdout, a pipe, a socket). */
export interface WritableLike {
  write(chunk: string, callback: (err?: Error | null) => void): boolean;
  on(event: 'error', listener: (err: Error) => void): unknown;
  writableLength?: number;
  destroyed?: boolean;
}

export interface StdoutTransportOptions {
  /** Default: process.stdout. */
  stream?: WritableLike;
  /** 'canonical' (default): the lines as sealed; or the entry mapped to a SIEM schema (docs/formats.md). */
  format?: 'canonical' | EntryFormat;
  transportName?: string;
}

export function createStdoutTransport(options: StdoutTransportOptions = {}): Transport {
  if (options === null || typeof options !== 'object')
    throw new AuditConfigError('createStdoutTransport: options must be an object', { path: '' });
  const format = options.format ?? 'canonical';
  if (format !== 'canonical' && !ENTRY_FORMATS.includes(format))
    throw new AuditConfigError(`format must be canonical, ${ENTRY_FORMATS.join(', ')}`, { path: 'format' });
  const stream = options.stream ?? (globalThis as { process?: { stdout?: WritableLike } }).process?.stdout;
  if (!stream || typeof stream.write !== 'function')
    throw new AuditConfigError('stream must be a writable stream (no process.stdout here)', { path: 'stream' });
  const name = options.transportName ?? 'stdout';
  let broken: Error | undefined;
  // An 'error' event with no listener would crash the process: it fails the next write instead.
  stream.on('error', (err) => {
    broken = err;
  });
  const text = (batch: readonly SealedRecord[]) =>
    `${batch.map((r) => (format === 'canonical' ? r.line : JSON.stringify(formatEntry(format, r.entry, r.line)))).join('\n')}\n`;
  return {
    name,
    write(batch) {
      if (batch.length === 0) return Promise.resolve();
      if (broken || stream.destroyed)
        return Promise.reject(
          new AuditTransportError(
            name,
            `${name}: the stream is closed (${broken?.message ?? 'destroyed'})`,
            broken ? { cause: broken } : {},
          ),
        );
      return new Promise<void>((resolve, reject) => {
        try {
          stream.write(text(batch), (err) => {
            if (err) reject(new AuditTransportError(name, `${name}: write failed: ${err.message}`, { cause: err }));
            else resolve();
          });
        } catch (err) {
          reject(new AuditTransportError(name, `${name}: write failed: ${(err as Error).message}`, { cause: err }));
        }
      });
    },
  };
}
