/**
 * `auditready verify kafka://host:port[,host:port]/topic`: reads the topic from the beginning
 * (with @auditready/transport-kafka's readTopic and kafkajs, both optional: installed only by those
 * who read Kafka) and verifies it like a file.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { type AuditKey, AuditTransportError } from '@auditready/core';
import { type EntryOpening, Verifier } from '@auditready/core/verify';
import { UsageError } from './inputs.js';
import type { VerifyFilesResult } from './verify-files.js';

export interface KafkaSource {
  brokers: string[];
  topic: string;
  display: string;
  /** kafkas://: TLS to the brokers. */
  tls: boolean;
}

/** Parses `kafka://broker1:9092,broker2:9092/topic` (kafkas:// for TLS); throws UsageError on anything else. */
export function parseKafkaUrl(arg: string): KafkaSource {
  const m = /^(kafkas?):\/\/([^/]+)\/([A-Za-z0-9._-]+)$/.exec(arg);
  if (!m) throw new UsageError(`${arg}: expected kafka://host:port[,host:port...]/topic (kafkas:// for TLS)`);
  const brokers = (m[2] as string).split(',').filter(Boolean);
  for (const b of brokers) if (!/^[^:]+:\d+$/.test(b)) throw new UsageError(`${arg}: broker "${b}" must be host:port`);
  return { brokers, topic: m[3] as string, display: arg, tls: m[1] === 'kafkas' };
}

/** Is this input a Kafka topic (kafka:// or kafkas://)? */
export const isKafkaUrl = (arg: string) => /^kafkas?:\/\//.test(arg);

const MECHANISMS = ['scram-sha-256', 'scram-sha-512', 'plain'];

/**
 * TLS and SASL for reading a topic, from the environment (a secret is never on the command line,
 * where `ps` and shell history show it): AUDITREADY_KAFKA_CA (PEM file of the CAs to trust, with
 * kafkas://; default the system's), AUDITREADY_KAFKA_SASL (scram-sha-256, scram-sha-512 or plain),
 * AUDITREADY_KAFKA_USERNAME, and AUDITREADY_KAFKA_PASSWORD_FILE (or AUDITREADY_KAFKA_PASSWORD).
 */
export function kafkaSecurity(source: KafkaSource, env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const ca = env.AUDITREADY_KAFKA_CA;
  if (ca !== undefined && !source.tls) throw new UsageError(`AUDITREADY_KAFKA_CA is set but ${source.display} is not TLS: use kafkas://`);
  if (source.tls) {
    try {
      out.ssl = ca === undefined ? true : { ca: [readFileSync(ca, 'utf8')] };
    } catch (e) {
      throw new UsageError(`AUDITREADY_KAFKA_CA=${ca}: ${(e as Error).message}`);
    }
  }
  const mechanism = env.AUDITREADY_KAFKA_SASL?.toLowerCase();
  if (mechanism === undefined) return out;
  if (!MECHANISMS.includes(mechanism)) throw new UsageError(`AUDITREADY_KAFKA_SASL=${mechanism}: one of ${MECHANISMS.join(', ')}`);
  const username = env.AUDITREADY_KAFKA_USERNAME;
  if (!username) throw new UsageError('AUDITREADY_KAFKA_SASL needs AUDITREADY_KAFKA_USERNAME');
  let password = env.AUDITREADY_KAFKA_PASSWORD;
  const file = env.AUDITREADY_KAFKA_PASSWORD_FILE;
  if (file !== undefined) {
    try {
      password = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (e) {
      throw new UsageError(`AUDITREADY_KAFKA_PASSWORD_FILE=${file}: ${(e as Error).message}`);
    }
  }
  if (password === undefined)
    throw new UsageError('AUDITREADY_KAFKA_SASL needs AUDITREADY_KAFKA_PASSWORD_FILE (or AUDITREADY_KAFKA_PASSWORD)');
  if (!source.tls && mechanism === 'plain') throw new UsageError('SASL PLAIN sends the password in clear: use kafkas://');
  out.sasl = { mechanism, username, password };
  return out;
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
    open?: EntryOpening;
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
        ...(options.open ? { open: options.open } : {}),
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
  const { readTopic, kafkaRefusal } = (await load('@auditready/transport-kafka')) as typeof import('@auditready/transport-kafka');
  const mod = (kafkajs.default ?? kafkajs) as { Kafka: new (c: object) => unknown; logLevel: { NOTHING: number } };
  const kafka = new mod.Kafka({
    brokers: source.brokers,
    clientId: 'auditready-cli',
    logLevel: mod.logLevel.NOTHING,
    connectionTimeout: 10_000,
    ...kafkaSecurity(source),
  });
  try {
    return await readTopic({
      kafka: kafka as Parameters<typeof readTopic>[0]['kafka'],
      topic: source.topic,
      idleMs,
      ...(from ? { from } : {}),
    });
  } catch (e) {
    const why = kafkaRefusal(e);
    const text =
      why === 'authentication'
        ? `authentication failed: the broker refused the user name or password (${(e as Error).message})`
        : why === 'certificate'
          ? `the broker's TLS certificate is not trusted (set AUDITREADY_KAFKA_CA to the CA that signed it): ${(e as Error).message}`
          : (e as Error).message;
    throw new AuditTransportError('kafka', `${source.display}: ${text}`, { cause: e });
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
