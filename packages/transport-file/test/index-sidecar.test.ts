/**
 * Index sidecars and blocks written at rotation: every sidecar is committed in the chain, also
 * the one of a segment closed just before the logger closes (Transport.beforeClose), and a
 * compressed segment keeps its plain content byte for byte.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { entriesOf, open, tempDir, verifyDir } from './helpers.js';

const committed = (dir: string) =>
  new Map(
    entriesOf(dir)
      .filter((e) => e.kind === 'notice' && e.details?.index)
      .map((e) => [e.details.index.segment as string, e.details.index.sha256 as string]),
  );

describe('index sidecars', () => {
  for (const compress of [false, true]) {
    it(`every sidecar is committed in the chain, the last one too when the logger closes right after a rotation (${compress ? 'gzip' : 'plain'})`, async () => {
      const dir = tempDir();
      const { log, transport } = open(dir, { rotate: { maxBytes: 2500 }, compress, index: { blockBytes: 700 } }, { heartbeatMs: 0 });
      for (let i = 0; i < 40; i++) {
        log.record({ kind: 'event', action: 'invoice.read', outcome: 'success', actor: { type: 'user', id: `u${i % 3}` } });
        await log.flush();
      }
      // The last write rotates; close at once, with the index of that segment still being built.
      log.record({ kind: 'event', action: 'x'.repeat(3000), outcome: 'success', actor: { type: 'system' } });
      await log.close();
      await transport.idle();
      const sidecars = readdirSync(dir).filter((f) => f.endsWith('.idx.json'));
      expect(sidecars.length).toBeGreaterThan(3);
      const commits = committed(dir);
      for (const s of sidecars) {
        const seg = s.replace(/\.idx\.json$/, '');
        expect(commits.get(seg), `${seg} committed`).toBe(
          createHash('sha256')
            .update(readFileSync(join(dir, s)))
            .digest('hex'),
        );
        const ix = JSON.parse(readFileSync(join(dir, s), 'utf8'));
        const blocks = readFileSync(join(dir, ix.blocks.file));
        expect(ix.blocks.sha256).toBe(createHash('sha256').update(blocks).digest('hex'));
        if (compress) {
          const b = JSON.parse(blocks.toString('utf8'));
          const gz = readFileSync(join(dir, `${seg}.gz`));
          expect(b.fileBytes).toBe(gz.length);
          const plain = Buffer.concat(b.blocks.map((x: { at: number; bytes: number }) => gunzipSync(gz.subarray(x.at, x.at + x.bytes))));
          expect(plain.equals(gunzipSync(gz))).toBe(true);
        }
      }
      expect(verifyDir(dir).valid).toBe(true);
    });
  }

  it('index.blockBytes must be a positive number', () => {
    expect(() => open(tempDir(), { index: { blockBytes: 0 } })).toThrow(/index\.blockBytes must be a positive number/);
  });
});
