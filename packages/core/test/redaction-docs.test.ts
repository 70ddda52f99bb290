/**
 * docs/redaction.md, claim by claim: the detector table names every detector (and no other), the
 * pseudonym example correlates without revealing, true/false/null under credential names are
 * kept, percent-encoded secrets are found, and the limits it states are real limits.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DETECTORS, scrubString } from '../src/detectors.js';
import { compileRedaction, redactBody } from '../src/redact.js';

const doc = readFileSync(join(import.meta.dirname, '..', '..', '..', 'docs', 'redaction.md'), 'utf8');

describe('docs/redaction.md', () => {
  it('its detector table lists exactly the detectors the library runs', () => {
    const table = doc.slice(doc.indexOf('| detector'), doc.indexOf('A percent-encoded URL component'));
    const named = new Set([...table.matchAll(/`([a-z0-9-]+)`/g)].map((m) => m[1]).filter((n) => DETECTORS.some((d) => d.name === n)));
    expect([...named].sort()).toEqual(DETECTORS.map((d) => d.name).sort());
  });

  it('the pseudonym example: equal values give equal markers, unreadable, and another key gives others', () => {
    const options = (secret: string) =>
      compileRedaction({
        hashKey: { id: 'pseud-2026', secret: `hex:${secret}` },
        paths: [
          { path: 'actor.email', mode: 'hash' },
          { path: 'details.**.iban', mode: 'hash' },
        ],
        detectorMode: 'hash',
      });
    const a = options('a1'.repeat(32));
    const body = (email: string) => ({ actor: { type: 'user', id: 'u1', email }, details: { pay: { iban: 'DE89370400440532013000' } } });
    const one = redactBody(body('alice@example.com'), a).value as { actor: { email: string }; details: { pay: { iban: string } } };
    const two = redactBody(body('alice@example.com'), a).value as typeof one;
    expect(one.actor.email).toMatch(/^hmac-sha256:pseud-2026:[0-9a-f]{64}$/);
    expect(one.actor.email).toBe(two.actor.email);
    expect(JSON.stringify(one)).not.toContain('alice@example.com');
    expect(JSON.stringify(one)).not.toContain('DE89370400440532013000');
    const other = redactBody(body('alice@example.com'), options('b2'.repeat(32))).value as typeof one;
    expect(other.actor.email).not.toBe(one.actor.email);
    const leaked = redactBody({ details: { note: `used ghp_${'Ab1'.repeat(12)}` } }, a).value as { details: { note: string } };
    expect(leaked.details.note).toMatch(/^used hmac-sha256:pseud-2026:[0-9a-f]{64}$/);
  });

  it('true, false and null under credential names are kept; other values are removed and listed', () => {
    const r = redactBody({ details: { mfa: true, password: null, otp: false, pin: '1234' } }, compileRedaction({}));
    expect(r.value.details).toEqual({ mfa: true, password: null, otp: false });
    expect(r.notes).toEqual([{ how: 'remove', path: 'details.pin', rule: 'default:credential-key' }]);
  });

  it('percent-encoded secrets are decoded, found, and written decoded with the secret replaced', () => {
    const r = (s: string) => scrubString(s, DETECTORS, (_x, n) => `[REDACTED:${n}]`)?.value;
    expect(r(`/items/7?next=${encodeURIComponent('https://bob:pw-Ab12cd@db.example.com/x')}`)).toBe(
      '/items/7?next=https://bob:[REDACTED:url-credentials]@db.example.com/x',
    );
    expect(r(`/x/${encodeURIComponent('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY')}`)).toBe('/x/[REDACTED:aws-secret]');
    expect(r('/search?q=how%20to%20reset')).toBeUndefined();
  });

  it('the limits are real: a nameless, shapeless password is kept; any 40-char mixed base64 run is taken for an AWS key', () => {
    const c = compileRedaction({});
    expect(redactBody({ details: { note: 'Tr0ub4dor&3' } }, c).value).toEqual({ details: { note: 'Tr0ub4dor&3' } });
    expect(redactBody({ details: { ref: 'qX3vB8nM2kL7pR4tY9wZ1cF6hJ5dS0gA2eU8iO3y' } }, c).value).toEqual({
      details: { ref: '[REDACTED:aws-secret]' },
    });
  });
});
