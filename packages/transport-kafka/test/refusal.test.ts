/**
 * kafkaRefusal tells the two refusals a user fixes by configuration from everything else, whether
 * the client says so itself (kafkajs's SASL error) or buries it in a connection error's cause.
 * (tls.test.ts meets both against the real broker.)
 */
import { describe, expect, it } from 'vitest';
import { kafkaRefusal } from '../src/index.js';

const named = (name: string, message: string, cause?: Error) => Object.assign(new Error(message, cause ? { cause } : {}), { name });

describe('kafkaRefusal', () => {
  it('names wrong credentials and untrusted certificates, and nothing else', () => {
    expect(kafkaRefusal(named('KafkaJSSASLAuthenticationError', 'SASL SCRAM SHA256 authentication failed: invalid credentials'))).toBe(
      'authentication',
    );
    expect(
      kafkaRefusal(named('KafkaJSConnectionError', 'Connection error', new Error('self-signed certificate in certificate chain'))),
    ).toBe('certificate');
    expect(kafkaRefusal(named('KafkaJSNumberOfRetriesExceeded', 'Connection error: unable to verify the first certificate'))).toBe(
      'certificate',
    );
    expect(kafkaRefusal(named('KafkaJSConnectionError', 'Connection error: connect ECONNREFUSED 127.0.0.1:9'))).toBeUndefined();
    expect(kafkaRefusal('not an error')).toBeUndefined();
  });
});
