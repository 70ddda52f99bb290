/**
 * Bodies as an entry keeps them: parsed by content whatever the label, cut by fields (never as
 * JSON text) over the cap, plain data whatever prototype a parser used. Then through core's
 * redaction: what a body parser hands over must not smuggle a credential past the key rules.
 */
import { compileRedaction, redactBody } from '@auditready/core';
import { describe, expect, it } from 'vitest';
import { bodyOf, capBody, parseText } from '../src/body.js';

const redact = (body: unknown) => redactBody({ http: { requestBody: body } }, compileRedaction({})).value.http as { requestBody: unknown };

describe('bodies by content, not by label', () => {
  it('JSON, a urlencoded form and multipart are parsed whatever the content-type says', () => {
    expect(parseText('{"user":"alice","password":"p1"}', 'text/plain')).toEqual({ user: 'alice', password: 'p1' });
    expect(parseText('user=alice&password=p%201&tag=a&tag=b', 'text/plain')).toEqual({ user: 'alice', password: 'p 1', tag: ['a', 'b'] });
    const mp =
      '--XyZ\r\nContent-Disposition: form-data; name="user"\r\n\r\nalice\r\n--XyZ\r\nContent-Disposition: form-data; filename="a.pdf"; name="doc"\r\n\r\n%PDF-1.7 ...\r\n--XyZ--\r\n';
    expect(parseText(mp, 'multipart/form-data; boundary=XyZ')).toEqual({ user: 'alice', doc: '[file a.pdf: 12 bytes]' });
    expect(parseText(mp, 'text/plain')).toEqual({ user: 'alice', doc: '[file a.pdf: 12 bytes]' }); // by its first line
    expect(bodyOf([Buffer.from('{"access_token":"t"}')], 'text/html')).toEqual({ access_token: 't' });
    expect(parseText('just some words = not a form', 'text/plain')).toBe('just some words = not a form');
  });

  it('over the cap, a structure loses its last fields (keys kept for redaction), never cut as JSON text', () => {
    const body = { padding: 'x'.repeat(3000), user: { password: 'hunter2' }, more: [1, 2, 3] };
    const cut = capBody(body, 1024) as Record<string, unknown>;
    expect(typeof cut).toBe('object');
    expect(JSON.stringify(cut).length).toBeLessThan(1300);
    expect(JSON.stringify(cut)).not.toContain('hunter2');
    const first = capBody({ password: 'hunter2', padding: 'x'.repeat(3000) }, 1024) as Record<string, unknown>;
    expect(first.password).toBe('hunter2'); // kept as a field ...
    expect(JSON.stringify(redact(first))).not.toContain('hunter2'); // ... so the key rule removes it
    // A text cut never keeps half a token.
    const text = capBody(`${'a '.repeat(500)}ghp_${'Ab1'.repeat(12)} end`, 1010) as string;
    expect(text).not.toMatch(/ghp_/);
  });

  it('binary bodies are described, never logged byte for byte', () => {
    const bytes = Buffer.from('%PDF-1.7 password=hunter2');
    expect(capBody(bytes, 1024)).toBe(`[binary body: ${bytes.length} bytes]`);
    expect(capBody(new Uint8Array(3000), 1024)).toBe('[binary body: 3000 bytes]');
  });

  it("a parser's own object types become plain data; __proto__ stays data", () => {
    class Form {
      user = 'alice';
      password = 'p1';
    }
    const copied = capBody(new Form(), 1024) as Record<string, unknown>;
    expect(Object.getPrototypeOf(copied)).toBe(Object.prototype);
    expect(redact(copied)).toEqual({ requestBody: { user: 'alice' } });
    const nullProto = Object.assign(Object.create(null), { user: 'bob' });
    expect(redact(capBody(nullProto, 1024))).toEqual({ requestBody: { user: 'bob' } });
    const hostile = capBody(JSON.parse('{"__proto__":{"isAdmin":true},"a":1}'), 1024) as Record<string, unknown>;
    expect(Object.getPrototypeOf(hostile)).toBe(Object.prototype);
    expect(Object.keys(hostile)).toEqual(['__proto__', 'a']);
  });
});
