import { AuditConfigError } from '@auditready/core';
import kafkajs from 'kafkajs';
import { describe, expect, inject, it } from 'vitest';
import { auditTopicConfig, ensureAuditTopic } from '../src/index.js';

const { Kafka, logLevel, ConfigResourceTypes } = kafkajs;
const bootstrap = inject('kafkaBootstrap');

describe('auditTopicConfig', () => {
  it('keeps entries (no compaction, forever by default) and refuses unclean leader election', () => {
    expect(auditTopicConfig()).toEqual({
      'cleanup.policy': 'delete',
      'retention.ms': '-1',
      'retention.bytes': '-1',
      'min.insync.replicas': '2',
      'unclean.leader.election.enable': 'false',
    });
    expect(auditTopicConfig({ replicationFactor: 1, retentionMs: 86_400_000 })['retention.ms']).toBe('86400000');
    expect(auditTopicConfig({ replicationFactor: 1 })['min.insync.replicas']).toBe('1');
  });

  it('bad settings are AuditConfigError naming the option', () => {
    const bad = [
      [{ retentionMs: 0 }, 'retentionMs'],
      [{ replicationFactor: 0 }, 'replicationFactor'],
      [{ replicationFactor: 3, minInsyncReplicas: 4 }, 'minInsyncReplicas'],
    ] as const;
    for (const [o, path] of bad) {
      try {
        auditTopicConfig(o);
        expect.unreachable(`accepted ${JSON.stringify(o)}`);
      } catch (e) {
        expect(e).toBeInstanceOf(AuditConfigError);
        expect((e as AuditConfigError).message).toContain(path);
      }
    }
  });
});

describe.skipIf(bootstrap === '')('ensureAuditTopic against a real broker', () => {
  it('creates the topic with the audit config once; a second call leaves it as it is', async () => {
    const kafka = new Kafka({ brokers: [bootstrap], clientId: 'auditready-topic', logLevel: logLevel.NOTHING });
    const topic = `audit-created-${Date.now()}`;
    expect(await ensureAuditTopic({ kafka, topic, partitions: 2, replicationFactor: 1, retentionMs: 7 * 86_400_000 })).toBe(true);
    expect(await ensureAuditTopic({ kafka, topic, replicationFactor: 1 })).toBe(false);

    const admin = kafka.admin();
    await admin.connect();
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    const described = await admin.describeConfigs({
      resources: [
        { type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['cleanup.policy', 'retention.ms', 'unclean.leader.election.enable'] },
      ],
      includeSynonyms: false,
    });
    await admin.disconnect();
    expect(meta.topics[0]?.partitions).toHaveLength(2);
    const config = Object.fromEntries((described.resources[0]?.configEntries ?? []).map((c) => [c.configName, c.configValue]));
    expect(config).toEqual({
      'cleanup.policy': 'delete',
      'retention.ms': String(7 * 86_400_000),
      'unclean.leader.election.enable': 'false',
    });
  });
});
