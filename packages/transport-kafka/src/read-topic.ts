/**
 * Reading a topic back: consume from the beginning (or from a checkpoint), drop exact duplicates (a
 * batch resent after a lost acknowledgement: same chain, seq, hash and the same bytes), and verify
 * every chain as for files. A read returns a checkpoint — the next offset of each partition and the
 * head of each chain — from which the next read continues, still linking every chain to what was
 * verified before.
 */
import { AuditConfigError, AuditTransportError, type ChainHead, canonicalLineOf } from '@auditready/core';
import { Verifier, type VerifyOptions, type VerifyReport } from '@auditready/core/verify';

type EachMessage = (p: { partition: number; message: { value: Buffer | null; offset: string } }) => Promise<void>;

/** The part of a KafkaJS-style client used to read (kafkajs `Kafka`, or the Confluent KafkaJS API). */
export interface KafkaLike {
  consumer(config: { groupId?: string; kafkaJS?: { groupId: string; fromBeginning: boolean; autoCommit: boolean } }): {
    connect(): Promise<void>;
    subscribe(s: { topic: string; fromBeginning?: boolean }): Promise<void>;
    run(r: { eachMessage: EachMessage }): Promise<void>;
    seek(s: { topic: string; partition: number; offset: string }): unknown;
    disconnect(): Promise<void>;
  };
}

/** Where a read stopped; give it as `from` to continue from there. Plain JSON: store it anywhere. */
export interface TopicCheckpoint {
  topic: string;
  /** The next offset to read, per partition (offsets as strings, as Kafka clients give them). */
  offsets: Record<string, string>;
  /** The last entry read of each chain: the next read links each chain's first new entry to it. */
  heads: ChainHead[];
}

export interface ReadTopicOptions {
  kafka: KafkaLike;
  topic: string;
  /** The client's API flavour: 'kafkajs' (default) or 'confluent' (@confluentinc/kafka-javascript's KafkaJS API). */
  client?: 'kafkajs' | 'confluent';
  /** Continue from a checkpoint an earlier read returned (default: the beginning of the topic). */
  from?: TopicCheckpoint;
  /** Stop after this long without a new message (the topic is read "to its end"). Default 3000 ms. */
  idleMs?: number;
  /** Give up after this long in total. Default 10 minutes. */
  timeoutMs?: number;
  groupId?: string;
}

export interface ReadTopicResult {
  /** The lines read, exact duplicates dropped, in consumption order (per partition, offset order). */
  lines: string[];
  /** Exact duplicates dropped. */
  duplicates: number;
  /**
   * Entries at or before their chain's head in `from` (a batch resent across the checkpoint): not
   * returned, as the read that made the checkpoint had them. A different line claiming the head's
   * own seq is returned, so the verifier reports it.
   */
  replayed: number;
  checkpoint: TopicCheckpoint;
}

function checkCheckpoint(from: unknown, topic: string): TopicCheckpoint {
  const c = from as TopicCheckpoint;
  const bad = (what: string) => new AuditConfigError(`from: ${what}`, { path: 'from' });
  if (c === null || typeof c !== 'object') throw bad('must be a checkpoint returned by readTopic/verifyTopic');
  if (c.topic !== topic) throw bad(`is a checkpoint of topic ${String(c.topic)}, not ${topic}`);
  if (c.offsets === null || typeof c.offsets !== 'object') throw bad('offsets must be { partition: offset }');
  for (const [p, o] of Object.entries(c.offsets))
    if (!/^\d+$/.test(p) || typeof o !== 'string' || !/^\d+$/.test(o)) throw bad(`offsets.${p} must be a numeric string`);
  if (
    !Array.isArray(c.heads) ||
    !c.heads.every(
      (h) =>
        h !== null && typeof h === 'object' && typeof h.chain === 'string' && Number.isSafeInteger(h.seq) && typeof h.hash === 'string',
    )
  )
    throw bad('heads must be an array of { chain, seq, hash }');
  return c;
}

/** Every message of a topic (values as strings) from the beginning or a checkpoint, exact duplicates dropped. */
export async function readTopic(options: ReadTopicOptions): Promise<ReadTopicResult> {
  if (options.client !== undefined && options.client !== 'kafkajs' && options.client !== 'confluent')
    throw new AuditConfigError("client must be 'kafkajs' or 'confluent'", { path: 'client' });
  const from = options.from === undefined ? undefined : checkCheckpoint(options.from, options.topic);
  const groupId = options.groupId ?? `auditready-read-${process.pid}-${Date.now()}`;
  const confluent = options.client === 'confluent';
  // A fresh group reading from the beginning; a checkpoint's offsets are applied with seek().
  const consumer = confluent
    ? options.kafka.consumer({ kafkaJS: { groupId, fromBeginning: true, autoCommit: false } })
    : options.kafka.consumer({ groupId });
  await consumer.connect();
  await consumer.subscribe(confluent ? { topic: options.topic } : { topic: options.topic, fromBeginning: true });

  const heads = new Map<string, ChainHead>((from?.heads ?? []).map((h) => [h.chain, { ...h }]));
  const startHeads = new Map(heads);
  const offsets: Record<string, string> = { ...from?.offsets };
  const lines: string[] = [];
  const seen = new Map<string, string>();
  let duplicates = 0;
  let replayed = 0;
  let last = Date.now();
  const idleMs = options.idleMs ?? 3000;
  const started = Date.now();
  const timeoutMs = options.timeoutMs ?? 600_000;
  let failed: unknown;
  const eachMessage: EachMessage = async ({ partition, message }) => {
    last = Date.now();
    offsets[String(partition)] = (BigInt(message.offset) + 1n).toString();
    // A topic written in a SIEM format carries the canonical line inside each document.
    const line = canonicalLineOf(message.value?.toString('utf8') ?? '');
    // Identity of an entry: chain, seq and hash. A line that does not parse is kept as it is (the
    // verifier reports it) and identified by its own text.
    let id = line;
    let entry: { chain?: unknown; seq?: unknown; hash?: unknown } | undefined;
    try {
      entry = JSON.parse(line) as typeof entry;
      if (typeof entry?.chain === 'string' && typeof entry.hash === 'string') id = `${entry.chain}:${String(entry.seq)}:${entry.hash}`;
    } catch {}
    if (entry && typeof entry.chain === 'string' && Number.isSafeInteger(entry.seq)) {
      const anchor = startHeads.get(entry.chain);
      if (anchor && (entry.seq as number) <= anchor.seq && !((entry.seq as number) === anchor.seq && entry.hash !== anchor.hash)) {
        replayed++;
        return;
      }
    }
    // Only a byte-identical resend is a duplicate; a different line claiming the same identity is
    // kept, so the verifier reports it.
    const before = seen.get(id);
    if (before === line) {
      duplicates++;
      return;
    }
    if (before === undefined) seen.set(id, line);
    lines.push(line);
    if (entry && typeof entry.chain === 'string' && Number.isSafeInteger(entry.seq) && typeof entry.hash === 'string') {
      const h = heads.get(entry.chain);
      if (!h || (entry.seq as number) > h.seq) heads.set(entry.chain, { chain: entry.chain, seq: entry.seq as number, hash: entry.hash });
    }
  };
  consumer.run({ eachMessage }).catch((e: unknown) => {
    failed = e;
  });
  if (from) {
    for (const [p, o] of Object.entries(from.offsets)) {
      try {
        await consumer.seek({ topic: options.topic, partition: Number(p), offset: o });
      } catch (e) {
        failed = e;
      }
    }
  }
  while (failed === undefined && Date.now() - last < idleMs && Date.now() - started < timeoutMs)
    await new Promise((r) => setTimeout(r, 100));
  await consumer.disconnect();
  if (failed !== undefined) throw failed;
  if (Date.now() - started >= timeoutMs && Date.now() - last < idleMs)
    throw new AuditTransportError('kafka', `readTopic(${options.topic}): still receiving after ${timeoutMs} ms (timeoutMs)`);
  return { lines, duplicates, replayed, checkpoint: { topic: options.topic, offsets, heads: [...heads.values()] } };
}

/**
 * Reads a topic (see readTopic) and verifies every chain in it. From a checkpoint, each chain
 * present must link to the checkpoint's head of that chain (an anchor); chains may also start
 * there. Chains without new entries are not reported.
 */
export async function verifyTopic(
  options: ReadTopicOptions & { verify?: VerifyOptions },
): Promise<VerifyReport & { duplicates: number; replayed: number; checkpoint: TopicCheckpoint }> {
  const { lines, duplicates, replayed, checkpoint } = await readTopic(options);
  const v = new Verifier(verifyOptionsFrom(options.verify, options.from, lines));
  lines.forEach((line, i) => {
    v.push(line, { file: `kafka:${options.topic}`, line: i + 1 });
  });
  return { ...v.finish(), duplicates, replayed, checkpoint };
}

/** Verifier options for lines read from a checkpoint: the checkpoint's heads of the chains present become anchors. */
export function verifyOptionsFrom(
  verify: VerifyOptions | undefined,
  from: TopicCheckpoint | undefined,
  lines: readonly string[],
): VerifyOptions {
  if (!from || from.heads.length === 0) return verify ?? {};
  const present = new Set<string>();
  for (const line of lines) {
    const m = /"chain":"([^"\\]*)"/.exec(line);
    if (m) present.add(m[1] as string);
  }
  const anchors = [...(verify?.anchors ?? []), ...from.heads.filter((h) => present.has(h.chain))];
  return { ...verify, anchors };
}
