/**
 * Reading a topic back: consume from the beginning, drop exact duplicates (a batch resent after a
 * lost acknowledgement: same chain, seq, hash and the same bytes), and verify every chain as for files.
 */
import { Verifier, type VerifyOptions, type VerifyReport } from '@auditready/core/verify';

/** The part of a KafkaJS-style client used to read (kafkajs `Kafka`, or the Confluent KafkaJS API). */
export interface KafkaLike {
  consumer(config: { groupId: string }): {
    connect(): Promise<void>;
    subscribe(s: { topic: string; fromBeginning?: boolean }): Promise<void>;
    run(r: { eachMessage: (p: { partition: number; message: { value: Buffer | null; offset: string } }) => Promise<void> }): Promise<void>;
    disconnect(): Promise<void>;
  };
}

export interface ReadTopicOptions {
  kafka: KafkaLike;
  topic: string;
  /** Stop after this long without a new message (the topic is read "to its end"). Default 3000 ms. */
  idleMs?: number;
  /** Give up after this long in total. Default 10 minutes. */
  timeoutMs?: number;
  groupId?: string;
}

/** Every message of a topic (values as strings), exact duplicates dropped, in consumption order. */
export async function readTopic(options: ReadTopicOptions): Promise<{ lines: string[]; duplicates: number }> {
  const consumer = options.kafka.consumer({ groupId: options.groupId ?? `auditready-read-${process.pid}-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topic: options.topic, fromBeginning: true });
  const lines: string[] = [];
  const seen = new Map<string, string>();
  let duplicates = 0;
  let last = Date.now();
  const idleMs = options.idleMs ?? 3000;
  const started = Date.now();
  const timeoutMs = options.timeoutMs ?? 600_000;
  let failed: unknown;
  consumer
    .run({
      eachMessage: async ({ message }) => {
        last = Date.now();
        const line = message.value?.toString('utf8') ?? '';
        // Identity of an entry: chain, seq and hash. A line that does not parse is kept as it is
        // (the verifier reports it) and identified by its own text.
        let id = line;
        try {
          const e = JSON.parse(line) as { chain?: unknown; seq?: unknown; hash?: unknown };
          if (typeof e.chain === 'string' && typeof e.hash === 'string') id = `${e.chain}:${String(e.seq)}:${e.hash}`;
        } catch {}
        // Only a byte-identical resend is a duplicate; a different line claiming the same identity
        // is kept, so the verifier reports it.
        const before = seen.get(id);
        if (before === line) {
          duplicates++;
          return;
        }
        if (before === undefined) seen.set(id, line);
        lines.push(line);
      },
    })
    .catch((e: unknown) => {
      failed = e;
    });
  while (failed === undefined && Date.now() - last < idleMs && Date.now() - started < timeoutMs)
    await new Promise((r) => setTimeout(r, 100));
  await consumer.disconnect();
  if (failed !== undefined) throw failed;
  return { lines, duplicates };
}

/** Reads a topic (see readTopic) and verifies every chain in it. */
export async function verifyTopic(options: ReadTopicOptions & { verify?: VerifyOptions }): Promise<VerifyReport & { duplicates: number }> {
  const { lines, duplicates } = await readTopic(options);
  const v = new Verifier(options.verify ?? {});
  lines.forEach((line, i) => {
    v.push(line, { file: `kafka:${options.topic}`, line: i + 1 });
  });
  return { ...v.finish(), duplicates };
}
