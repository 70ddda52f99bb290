/** clientIp(): the client address the entry carries, from what the framework and the socket say. */
import { describe, expect, it } from 'vitest';
import { clientIp } from '../src/index.js';

/** A request whose socket must not be read (the layer passes the address it took on arrival). */
function unreadableSocket(extra: Record<string, unknown> = {}) {
  return {
    ...extra,
    get socket(): never {
      throw new Error('req.socket was read');
    },
  };
}

describe('clientIp()', () => {
  it('takes the address given by the caller instead of reading req.socket again', () => {
    expect(clientIp(unreadableSocket(), '10.0.0.7')).toBe('10.0.0.7');
    const express = { get: (k: string) => (k === 'trust proxy' ? false : undefined) };
    expect(clientIp(unreadableSocket({ app: express, ip: '203.0.113.9' }), '10.0.0.7')).toBe('10.0.0.7');
  });

  it("Express trusting a proxy: req.ip (its X-Forwarded-For rule); elsewhere the framework's req.ip, then the socket", () => {
    const trusting = { get: (k: string) => k === 'trust proxy' };
    expect(clientIp(unreadableSocket({ app: trusting, ip: '203.0.113.9' }), '10.0.0.7')).toBe('203.0.113.9');
    expect(clientIp({ ip: '198.51.100.4', socket: { remoteAddress: '10.0.0.1' } })).toBe('198.51.100.4');
    expect(clientIp({ ip: '', socket: { remoteAddress: '10.0.0.1' } })).toBe('10.0.0.1');
    expect(clientIp({ socket: { remoteAddress: '10.0.0.2' } })).toBe('10.0.0.2');
    expect(clientIp({})).toBeUndefined();
  });
});
