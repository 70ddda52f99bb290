// @auditready/transport-kafka: the whole public contract, listed by hand.

export type { KafkaProducerLike, KafkaTransportOptions } from './kafka-transport.js';
export { createKafkaTransport, KafkaTransport, kafkaRefusal } from './kafka-transport.js';
export type { KafkaLike, ReadTopicOptions, ReadTopicResult, TopicCheckpoint } from './read-topic.js';
export { readTopic, verifyOptionsFrom, verifyTopic } from './read-topic.js';
export type { AuditTopicOptions, KafkaAdminLike } from './topic.js';
export { auditTopicConfig, ensureAuditTopic } from './topic.js';
