/**
 * The Kafka transport (docs/transport-kafka.md): one message per entry, value = the canonical line
 * unchanged, key = the chain id (one partition keeps a chain in order), headers with chain, seq and
 * hash. It takes a KafkaJS-style producer (kafkajs, or @confluentinc/kafka-javascript's KafkaJS
 * API): `write()` resolves when the broker acknowledged the batch (acks = all). One batch at a
 * time, so batches of a chain are never in flight together. On an error the producer is recreated
 * (when a factory is given) and the logger resends the same batch — from the last acknowledged seq.
 * With `spool`, batches are fsync'd to a directory first and sent from there in order, so an outage
 * longer than the logger's queue, or a crash during one, loses nothing (the next process replays it).
 */
import {
  AuditClosedError,
  AuditConfigError,
  AuditTransportError,
  checkOptionsObject,
  ENTRY_FORMATS,
  type EntryFormat,
  formatEntry,
  type ResumePoint,
  type SealedRecord,
  type Transport,
  type TransportContext,
} from '@auditready/core';
import { Spool } from '@auditready/core/spool';

/** The part of a KafkaJS-style producer the transport uses. */
export interface KafkaProducerLike {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  send(record: {
    topic: string;
    acks?: number;
    messages: { key: string; value: string; headers?: Record<string, string> }[];
  }): Promise<unknown>;
}

export interface KafkaTransportOptions {
  topic: string;
  /** A producer factory (preferred: the transport can recreate the producer after a fatal error). */
  createProducer?: () => KafkaProducerLike;
  /** Or a producer the app already has (then the app owns its lifecycle: it is not disconnected). */
  producer?: KafkaProducerLike;
  transportName?: string;
  /**
   * The client's API flavour. 'kafkajs' passes `acks: -1` on every send(); 'confluent'
   * (@confluentinc/kafka-javascript) does not, because that client takes acks only in the
   * producer's config: create it with `kafka.producer({ kafkaJS: { acks: -1, idempotent: true } })`.
   * Default: told apart by the producer itself (the Confluent one has `dependentAdmin()`).
   */
  client?: 'kafkajs' | 'confluent';
  /**
   * Keep unacknowledged batches on disk: write() resolves once a batch is fsync'd there, and a
   * background sender delivers the spool in order. For outages longer than the logger's queue
   * holds, and crashes during them. When the spool is full, the logger's overflow policy applies.
   */
  spool?: { dir: string; maxBytes?: number };
  /**
   * The message value: 'canonical' (default) the canonical line; 'ocsf', 'ecs' or 'otel-json' the
   * entry mapped to that schema (docs/formats.md), which still carries the line (readTopic and
   * `auditready verify kafka://` take it back out).
   */
  format?: 'canonical' | EntryFormat;
}

/**
 * Why a broker refused a connection, when it is one of the two a user fixes by configuration: the
 * SASL credentials, or a TLS certificate the client does not trust. The clients bury both in
 * generic connection errors (kafkajs wraps the cause); undefined for anything else.
 */
export function kafkaRefusal(err: unknown): 'authentication' | 'certificate' | undefined {
  if (!(err instanceof Error)) return undefined;
  const cause = (err as { cause?: unknown }).cause;
  const text = `${err.name} ${err.message} ${cause instanceof Error ? cause.message : ''}`;
  if (/SASLAuthentication|authentication failed/i.test(text)) return 'authentication';
  if (/certificate|self[- ]signed|unable to verify|SSL handshake/i.test(text)) return 'certificate';
  return undefined;
}

/** A refusal the user fixes by configuration, in words that say what to fix; anything else as it is. */
function explained(err: unknown, name: string): unknown {
  const why = kafkaRefusal(err);
  if (why === undefined) return err;
  const detail = (err as Error).message;
  return new AuditTransportError(
    name,
    why === 'authentication'
      ? `${name}: authentication failed: the broker refused the SASL user name or password (${detail})`
      : `${name}: the broker's TLS certificate is not trusted: give the client the CA that signed it (${detail})`,
    { cause: err },
  );
}

export function createKafkaTransport(options: KafkaTransportOptions): KafkaTransport {
  return new KafkaTransport(options);
}

/** @confluentinc/kafka-javascript's KafkaJS-style producer (it rejects `acks` in send()); kafkajs's has no dependentAdmin(). */
function isConfluentProducer(p: KafkaProducerLike): boolean {
  return typeof (p as { dependentAdmin?: unknown }).dependentAdmin === 'function';
}

export class KafkaTransport implements Transport {
  readonly name: string;
  readonly #topic: string;
  readonly #factory: (() => KafkaProducerLike) | undefined;
  readonly #owned: boolean;
  readonly #client: 'kafkajs' | 'confluent' | undefined;
  #producer: KafkaProducerLike | undefined;
  #connected: Promise<void> | undefined;
  #ctx: TransportContext | undefined;
  #closed = false;
  readonly #spool: Spool | undefined;
  readonly #format: 'canonical' | EntryFormat;
  readonly stats = { batches: 0, messages: 0, recreated: 0 };

  constructor(options: KafkaTransportOptions) {
    checkOptionsObject(options, 'createKafkaTransport');
    if (typeof options.topic !== 'string' || !/^[A-Za-z0-9._-]{1,249}$/.test(options.topic)) {
      throw new AuditConfigError('topic must be 1-249 characters of A-Z a-z 0-9 . _ -', { path: 'topic' });
    }
    if (!options.createProducer && !options.producer)
      throw new AuditConfigError('give createProducer (preferred) or producer', { path: 'createProducer' });
    if (options.createProducer !== undefined && typeof options.createProducer !== 'function')
      throw new AuditConfigError('createProducer must be a function', { path: 'createProducer' });
    if (options.client !== undefined && options.client !== 'kafkajs' && options.client !== 'confluent')
      throw new AuditConfigError("client must be 'kafkajs' or 'confluent'", { path: 'client' });
    this.#client = options.client;
    if (options.format !== undefined && options.format !== 'canonical' && !ENTRY_FORMATS.includes(options.format))
      throw new AuditConfigError(`format must be canonical, ${ENTRY_FORMATS.join(', ')}`, { path: 'format' });
    this.#format = options.format ?? 'canonical';
    this.#topic = options.topic;
    this.#factory = options.createProducer;
    this.#owned = options.createProducer !== undefined;
    this.#producer = options.producer;
    this.name = options.transportName ?? `kafka:${options.topic}`;
    if (options.spool !== undefined && (options.spool === null || typeof options.spool !== 'object'))
      throw new AuditConfigError('spool must be { dir, maxBytes? }', { path: 'spool' });
    this.#spool = options.spool
      ? new Spool({
          dir: options.spool.dir,
          ...(options.spool.maxBytes !== undefined ? { maxBytes: options.spool.maxBytes } : {}),
          name: this.name,
          deliver: (records) => this.#send(records),
          reportError: (err) => this.#ctx?.reportError(err),
        })
      : undefined;
  }

  attach(context: TransportContext): void {
    this.#ctx = context;
    // Batches spooled by an earlier process go first, even if nothing new is recorded.
    this.#spool?.kick();
  }

  /** The newest spooled entry: the logger continues that chain, so the topic holds one chain across restarts. */
  resume(): ResumePoint | undefined {
    return this.#spool?.resume();
  }

  async #ready(): Promise<KafkaProducerLike> {
    if (!this.#producer) {
      this.#producer = (this.#factory as () => KafkaProducerLike)();
      this.#connected = undefined;
    }
    const p = this.#producer;
    this.#connected ??= p.connect();
    await this.#connected;
    return p;
  }

  async write(batch: readonly SealedRecord[]): Promise<void> {
    if (this.#closed) throw new AuditClosedError(`${this.name}: closed`);
    if (batch.length === 0) return;
    if (this.#spool) this.#spool.add(batch);
    else await this.#send(batch);
  }

  async #send(batch: readonly SealedRecord[]): Promise<void> {
    const messages = batch.map((r) => ({
      key: r.entry.chain,
      value: this.#format === 'canonical' ? r.line : JSON.stringify(formatEntry(this.#format, r.entry, r.line)),
      headers: { 'auditready-chain': r.entry.chain, 'auditready-seq': String(r.entry.seq), 'auditready-hash': r.entry.hash },
    }));
    try {
      const producer = await this.#ready();
      const confluent = this.#client === 'confluent' || (this.#client === undefined && isConfluentProducer(producer));
      await producer.send(confluent ? { topic: this.#topic, messages } : { topic: this.#topic, acks: -1, messages });
      this.stats.batches++;
      this.stats.messages += messages.length;
    } catch (err) {
      // Start over with a fresh producer: the logger resends this batch, the oldest unacknowledged.
      if (this.#factory) {
        const old = this.#producer;
        this.#producer = undefined;
        this.#connected = undefined;
        this.stats.recreated++;
        void old?.disconnect().catch(() => undefined);
      }
      throw explained(err, this.name);
    }
  }

  /** Tries to deliver what is spooled now (wakes a sender waiting out its backoff). */
  async flush(): Promise<void> {
    this.#spool?.flush();
  }

  /** Resolves true when the spool is empty (everything acknowledged by the broker), false at the timeout. */
  async idle(timeoutMs = 30_000): Promise<boolean> {
    return this.#spool ? this.#spool.idle(timeoutMs) : true;
  }

  /** Batches waiting in the spool. */
  spooled(): number {
    return this.#spool?.batches() ?? 0;
  }

  health(): { status: 'ok' | 'retrying'; lastError?: string; pending?: number } {
    return this.#spool?.health() ?? { status: 'ok', pending: 0 };
  }

  /** Stops the sender after the batch in flight (the spool keeps the rest for the next process), then disconnects. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#spool?.close();
    if (this.#owned && this.#producer) await this.#producer.disconnect().catch(() => undefined);
    void this.#ctx;
  }
}
