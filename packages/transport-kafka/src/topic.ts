/**
 * Creating an audit topic with settings fit for evidence: entries are never compacted away
 * (cleanup.policy=delete), kept until the archive has them (retention.ms, default: forever),
 * written to enough replicas before acknowledgement (min.insync.replicas), and never lost to an
 * out-of-date leader (unclean.leader.election.enable=false).
 */
import { AuditConfigError } from '@auditready/core';

/** The part of a KafkaJS-style client used here (kafkajs `Kafka`, or the Confluent KafkaJS API). */
export interface KafkaAdminLike {
  admin(): {
    connect(): Promise<void>;
    createTopics(o: {
      topics: { topic: string; numPartitions?: number; replicationFactor?: number; configEntries?: { name: string; value: string }[] }[];
      waitForLeaders?: boolean;
    }): Promise<boolean>;
    disconnect(): Promise<void>;
  };
}

export interface AuditTopicOptions {
  kafka: KafkaAdminLike;
  topic: string;
  /** Default 3. A chain always stays on one partition (key = chain id). */
  partitions?: number;
  /** Default 3 (use 1 only for a single-broker test cluster). */
  replicationFactor?: number;
  /** How long the broker keeps entries: milliseconds, or 'forever' (default; archive, then shorten). */
  retentionMs?: number | 'forever';
  /** Default: replicationFactor - 1 (at least 1), so acks=all means at least two copies when replicated. */
  minInsyncReplicas?: number;
}

/** The topic config auditready recommends (also usable with your own tooling). */
export function auditTopicConfig(
  o: Pick<AuditTopicOptions, 'replicationFactor' | 'retentionMs' | 'minInsyncReplicas'> = {},
): Record<string, string> {
  const rf = o.replicationFactor ?? 3;
  const retention = o.retentionMs ?? 'forever';
  if (retention !== 'forever' && (!Number.isInteger(retention) || retention <= 0)) {
    throw new AuditConfigError("retentionMs must be a positive integer or 'forever'", { path: 'retentionMs' });
  }
  if (!Number.isInteger(rf) || rf < 1)
    throw new AuditConfigError('replicationFactor must be an integer >= 1', { path: 'replicationFactor' });
  const isr = o.minInsyncReplicas ?? Math.max(1, rf - 1);
  if (!Number.isInteger(isr) || isr < 1 || isr > rf) {
    throw new AuditConfigError('minInsyncReplicas must be an integer between 1 and replicationFactor', { path: 'minInsyncReplicas' });
  }
  return {
    'cleanup.policy': 'delete',
    'retention.ms': retention === 'forever' ? '-1' : String(retention),
    'retention.bytes': '-1',
    'min.insync.replicas': String(isr),
    'unclean.leader.election.enable': 'false',
  };
}

/**
 * Creates the topic with auditTopicConfig() if it does not exist. Returns true when it was created,
 * false when it already existed (its config is then left as it is).
 */
export async function ensureAuditTopic(options: AuditTopicOptions): Promise<boolean> {
  if (!/^[A-Za-z0-9._-]{1,249}$/.test(options.topic))
    throw new AuditConfigError('topic must be 1-249 characters of A-Z a-z 0-9 . _ -', { path: 'topic' });
  const config = auditTopicConfig(options);
  const admin = options.kafka.admin();
  await admin.connect();
  try {
    return await admin.createTopics({
      topics: [
        {
          topic: options.topic,
          numPartitions: options.partitions ?? 3,
          replicationFactor: options.replicationFactor ?? 3,
          configEntries: Object.entries(config).map(([name, value]) => ({ name, value })),
        },
      ],
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
}
