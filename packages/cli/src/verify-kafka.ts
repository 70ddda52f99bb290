/**
 * `auditready verify kafka://host:port[,host:port]/topic`: reads the topic from the beginning
 * (with @auditready/transport-kafka's readTopic and kafkajs, both optional: installed only by those
 * who read Kafka) and verifies it like a file.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { type AuditKey, AuditTransportError } from '@auditready/core';
import { Verifier } from '@auditready/core/verify';
import { UsageError } from './inputs.js';
import type { VerifyFilesResult } from './verify-files.js';

export interface KafkaSource {
  brokers: string[];
  topic: string;
  display: string;
}

/** Parses `kafka://broker1:9092,broker2:9092/topic`; throws UsageError on anything else. */
export function parseKafkaUrl(arg: string): KafkaSource {
  const m = /^kafka:\/\/([^/]+)\/([A-Za-z0-9._-]+)$/.exec(arg);
  if (!m) throw new UsageError(`${arg}: expected kafka://host:port[,host:port...]/topic`);
  const brokers = (m[1] as string).split(',').filter(Boolean);
  for (const b of brokers) if (!/^[^:]+:\d+$/.test(b)) throw new UsageError(`${arg}: broker "${b}" must be host:port`);
  return { brokers, topic: m[2] as string, display: arg };
}

async function load(name: string): Promise<Record<string, unknown>> {
  try {
    return (await import(name)) as Record<string, unknown>;
  } catch {
    throw new UsageError(`reading Kafka needs the package "${name}": npm install @auditready/transport-kafka kafkajs`);
  }
}

export async function verifyKafka(
  source: KafkaSource,
  options: {
    keys?: AuditKey[];
    allowPartialStart?: boolean;
    idleMs?: number;
    from?: TopicCheckpoint;
    trust?: string[];
    checkpoints?: { line: string; source: string }[];
    witnesses?: string[];
    witnessThreshold?: number;
    forwardSecure?: AuditKey[];
  },
): Promise<VerifyFilesResult & { duplicates: number; replayed: number; checkpoint: TopicCheckpoint; from?: TopicCheckpoint }> {
  const { verifyOptionsFrom } = (await load('@auditready/transport-kafka')) as typeof import('@auditready/transport-kafka');
  const read = await readKafka(source, options.idleMs ?? 3000, options.from);
  // From a checkpoint, each chain present must link to the head the last run verified.
  const v = new Verifier(
    verifyOptionsFrom(
      {
        ...(options.keys ? { keys: options.keys } : {}),
        ...(options.allowPartialStart ? { allowPartialStart: true } : {}),
        ...(options.trust ? { trust: options.trust, checkpoints: options.checkpoints ?? [], parallel: true } : {}),
        ...(options.witnesses ? { witnesses: options.witnesses } : {}),
        ...(options.forwardSecure ? { forwardSecure: options.forwardSecure } : {}),
        ...(options.witnessThreshold !== undefined ? { witnessThreshold: options.witnessThreshold } : {}),
      },
      options.from,
      read.lines,
    ),
  );
  let bytes = 0;
  read.lines.forEach((line, i) => {
    bytes += Buffer.byteLength(line) + 1;
    v.push(line, { file: source.display, line: i + 1 });
  });
  const report = await v.finishAsync();
  const breaks = report.breaks.filter((b) => b.file === source.display);
  return {
    report,
    files: [{ file: source.display, bytes, lines: read.lines.length, valid: breaks.length === 0, breaks }],
    bytes,
    duplicates: read.duplicates,
    replayed: read.replayed,
    checkpoint: read.checkpoint,
    ...(options.from ? { from: options.from } : {}),
  };
}

type TopicCheckpoint = import('@auditready/transport-kafka').TopicCheckpoint;

/** Reads a topic from the beginning (or `from`) until it is idle for `idleMs`: its lines, exact resends dropped. */
export async function readKafka(source: KafkaSource, idleMs = 3000, from?: TopicCheckpoint) {
  const kafkajs = await load('kafkajs');
  const { readTopic } = (await load('@auditready/transport-kafka')) as typeof import('@auditready/transport-kafka');
  const mod = (kafkajs.default ?? kafkajs) as { Kafka: new (c: object) => unknown; logLevel: { NOTHING: number } };
  const kafka = new mod.Kafka({
    brokers: source.brokers,
    clientId: 'auditready-cli',
    logLevel: mod.logLevel.NOTHING,
    connectionTimeout: 10_000,
  });
  try {
    return await readTopic({
      kafka: kafka as Parameters<typeof readTopic>[0]['kafka'],
      topic: source.topic,
      idleMs,
      ...(from ? { from } : {}),
    });
  } catch (e) {
    throw new AuditTransportError('kafka', `${source.display}: ${(e as Error).message}`, { cause: e });
  }
}

/** The checkpoint in `file`, or undefined when the file does not exist yet (first run). */
export function loadCheckpoint(file: string, topic: string): TopicCheckpoint | undefined {
  if (!existsSync(file)) return undefined;
  let c: TopicCheckpoint;
  try {
    c = JSON.parse(readFileSync(file, 'utf8')) as TopicCheckpoint;
  } catch (e) {
    throw new UsageError(`--checkpoint ${file}: not a checkpoint (${(e as Error).message})`);
  }
  if (c === null || typeof c !== 'object' || c.topic !== topic)
    throw new UsageError(`--checkpoint ${file}: a checkpoint of topic ${String((c as { topic?: unknown })?.topic)}, not ${topic}`);
  return c;
}

/** Written to a temporary file and renamed: a crash never leaves half a checkpoint. */
export function saveCheckpoint(file: string, checkpoint: TopicCheckpoint): void {
  writeFileSync(`${file}.tmp`, `${JSON.stringify(checkpoint, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}
