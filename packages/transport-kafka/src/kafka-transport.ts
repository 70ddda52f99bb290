/**
 * The Kafka transport (docs/transport-kafka.md): one message per entry, value = the canonical line
 * unchanged, key = the chain id (one partition keeps a chain in order), headers with chain, seq and
 * hash. It takes a KafkaJS-style producer (kafkajs, or @confluentinc/kafka-javascript's KafkaJS
 * API): `write()` resolves when the broker acknowledged the batch (acks = all). One batch at a
 * time, so batches of a chain are never in flight together. On an error the producer is recreated
 * (when a factory is given) and the logger resends the same batch — from the last acknowledged seq.
 */
import { AuditConfigError, type SealedRecord, type Transport, type TransportContext } from '@auditready/core';

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
   * The client's API flavour. 'kafkajs' (default) passes `acks: -1` on every send();
   * 'confluent' (@confluentinc/kafka-javascript) does not, because that client takes acks only in
   * the producer's config: create it with `kafka.producer({ kafkaJS: { acks: -1, idempotent: true } })`.
   */
  client?: 'kafkajs' | 'confluent';
}

export function createKafkaTransport(options: KafkaTransportOptions): KafkaTransport {
  return new KafkaTransport(options);
}

export class KafkaTransport implements Transport {
  readonly name: string;
  readonly #topic: string;
  readonly #factory: (() => KafkaProducerLike) | undefined;
  readonly #owned: boolean;
  readonly #acksInSend: boolean;
  #producer: KafkaProducerLike | undefined;
  #connected: Promise<void> | undefined;
  #ctx: TransportContext | undefined;
  #closed = false;
  readonly stats = { batches: 0, messages: 0, recreated: 0 };

  constructor(options: KafkaTransportOptions) {
    if (options === null || typeof options !== 'object')
      throw new AuditConfigError('createKafkaTransport(options): options must be an object');
    if (typeof options.topic !== 'string' || !/^[A-Za-z0-9._-]{1,249}$/.test(options.topic)) {
      throw new AuditConfigError('topic must be 1-249 characters of A-Z a-z 0-9 . _ -', { path: 'topic' });
    }
    if (!options.createProducer && !options.producer)
      throw new AuditConfigError('give createProducer (preferred) or producer', { path: 'createProducer' });
    if (options.createProducer !== undefined && typeof options.createProducer !== 'function')
      throw new AuditConfigError('createProducer must be a function', { path: 'createProducer' });
    if (options.client !== undefined && options.client !== 'kafkajs' && options.client !== 'confluent')
      throw new AuditConfigError("client must be 'kafkajs' or 'confluent'", { path: 'client' });
    this.#acksInSend = options.client !== 'confluent';
    this.#topic = options.topic;
    this.#factory = options.createProducer;
    this.#owned = options.createProducer !== undefined;
    this.#producer = options.producer;
    this.name = options.transportName ?? `kafka:${options.topic}`;
  }

  attach(context: TransportContext): void {
    this.#ctx = context;
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
    if (this.#closed) throw new Error(`${this.name}: closed`);
    if (batch.length === 0) return;
    const messages = batch.map((r) => ({
      key: r.entry.chain,
      value: r.line,
      headers: { 'auditready-chain': r.entry.chain, 'auditready-seq': String(r.entry.seq), 'auditready-hash': r.entry.hash },
    }));
    try {
      const producer = await this.#ready();
      await producer.send(this.#acksInSend ? { topic: this.#topic, acks: -1, messages } : { topic: this.#topic, messages });
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
      throw err;
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#owned && this.#producer) await this.#producer.disconnect().catch(() => undefined);
    void this.#ctx;
  }
}
