/**
 * The verifier with trusted checkpoint keys (docs/spec/checkpoints.md §Verification): an honest
 * log is complete through its newest checkpoint; every way an insider without the log key could
 * rewrite, cut or forge the log is a named break once a checkpoint signed by a trusted key exists
 * (in the log, or held by a checkpoint destination); the tree is taken up after retention.
 */
import {
  type AuditEntry,
  type AuditKey,
  createAuditLogger,
  createMemoryTransport,
  generateNoteKey,
  leafHash,
  parseSignerKey,
  rootOf,
  signCheckpoint,
} from '@auditready/core';
import { type VerifyOptions, type VerifyReport, verifyText } from '@auditready/core/verify';
import { describe, expect, it } from 'vitest';
import { resolveKey, ZERO_HASH } from '../src/hash.js';
import { computeEntryHash, serializeEntry } from '../src/hash-chain.js';

const key = generateNoteKey('audit.example/billing');
const attacker = generateNoteKey('audit.example/billing');
const HMAC: AuditKey = { id: 'k1', secret: `hex:${'5a'.repeat(32)}` };

async function makeLog(n: number, opts: { everyEntries?: number; hmac?: boolean } = {}) {
  const mem = createMemoryTransport();
  const dest = createMemoryTransport({ name: 'dest' });
  const log = createAuditLogger({
    service: { name: 'billing' },
    transports: [mem],
    handleSignals: false,
    processInfo: false,
    ...(opts.hmac ? { chain: { hmacKey: HMAC } } : {}),
    checkpoints: { signer: key.signerKey, everyEntries: opts.everyEntries ?? 10, destinations: [dest] },
  });
  for (let i = 0; i < n; i++)
    log.record({ action: 'invoice.read', actor: { id: `u${i % 5}`, type: 'user' }, resource: { type: 'invoice', id: `inv_${i}` } });
  await log.close();
  return { lines: mem.lines(), dest: dest.lines(), chain: log.chainId };
}

/** Re-seals entries as an insider who can recompute hashes (and HMACs, with the key) would: every hash and link consistent. */
function rechain(entries: AuditEntry[], hmac?: AuditKey): string[] {
  const k = hmac ? resolveKey(hmac, 'k') : undefined;
  let prev = ZERO_HASH;
  return entries.map((e, seq) => {
    const x = { ...e, seq, prev } as AuditEntry;
    x.hash = computeEntryHash(x, k);
    prev = x.hash;
    return serializeEntry(x);
  });
}

const parse = (lines: string[]) => lines.map((l) => JSON.parse(l) as AuditEntry);
const trust = (extra: VerifyOptions = {}): VerifyOptions => ({ trust: [key.verifierKey], ...extra });
const kinds = (r: VerifyReport) => [...new Set(r.breaks.map((b) => b.kind))].sort();

describe('verify --trust: checkpoints against the tree of the entries', () => {
  it('an honest log is complete through its newest checkpoint, named with key and time; fast and full paths agree', async () => {
    const { lines } = await makeLog(45);
    const r = await verifyText(lines.join('\n'), trust());
    expect(r.breaks).toEqual([]);
    expect(r.complete).toBe(true);
    const c = r.chains[0];
    expect(c?.checkpoints).toMatchObject({
      verified: 5,
      unchecked: 0,
      unsealed: 0,
      newest: { size: lines.length - 1, keyName: 'audit.example/billing' },
    });
    expect(c?.commitment?.seq).toBe(lines.length - 2);
    expect(c?.commitment?.by).toMatch(/^checkpoint \d+ signed by audit\.example\/billing \(the log \(seq \d+\), sealed 20\d\d-/);
    const slow = await verifyText(lines.join('\n'), trust({ fastPath: false }));
    expect(slow).toEqual(r);
    // Without trusted keys, checkpoints prove nothing (anyone can write one): no commitment.
    const plain = await verifyText(lines.join('\n'));
    expect(plain.chains[0]?.checkpoints).toBeUndefined();
    expect(plain.complete).toBe(false);
  });

  it('entries after the newest checkpoint are counted as not yet sealed by one', async () => {
    const { lines } = await makeLog(25, { everyEntries: 10 });
    const cut = lines.slice(0, 16); // the checkpoint record of size 10 is seq 10; five entries follow it
    const r = await verifyText(cut.join('\n'), trust());
    expect(r.breaks).toEqual([]);
    expect(r.chains[0]?.checkpoints).toMatchObject({ newest: { size: 10 }, unsealed: 5 });
    expect(r.chains[0]?.commitment?.seq).toBe(9);
  });

  it('the whole plain chain rewritten consistently is caught: by the checkpoint records, and by the destination when they are stripped', async () => {
    const { lines, dest } = await makeLog(30);
    const entries = parse(lines);
    (entries[5] as AuditEntry).actor = { id: 'someone-else', type: 'user' };
    const rewritten = rechain(entries);
    const a = await verifyText(rewritten.join('\n'), trust());
    expect(a.valid).toBe(false);
    expect(kinds(a)).toEqual(['checkpoint-root']); // every hash and link fine; only the signed roots disagree
    expect(a.breaks[0]?.seq).toBe(10);

    const stripped = rechain(entries.filter((e) => e.kind !== 'checkpoint'));
    const b = await verifyText(stripped.join('\n'), trust());
    expect(b.valid).toBe(true);
    expect(b.complete).toBe(false); // nothing trusted commits to it
    const c = await verifyText(stripped.join('\n'), trust({ checkpoints: dest }));
    expect(kinds(c)).toContain('destination-mismatch');
    expect(c.complete).toBe(false);
  });

  it('a cut tail is caught against the destination even when the cut log is consistent (its head rewritten)', async () => {
    const { lines, dest } = await makeLog(30);
    const cut = lines.slice(0, 25);
    const inLog = await verifyText(cut.join('\n'), trust());
    expect(inLog.valid).toBe(true); // the log alone cannot know
    const r = await verifyText(cut.join('\n'), trust({ checkpoints: dest }));
    expect(kinds(r)).toEqual(['truncated']);
    expect(r.breaks[0]?.message).toMatch(/holds checkpoint \d+ signed by audit\.example\/billing, but the log of chain .* ends at seq 24/);
  });

  it('a keyed chain forged by a key holder is caught: the HMACs verify, the signed roots do not', async () => {
    const { lines } = await makeLog(30, { hmac: true });
    const entries = parse(lines);
    (entries[3] as AuditEntry).outcome = 'denied';
    const forged = rechain(entries, HMAC);
    const keysOnly = await verifyText(forged.join('\n'), { keys: [HMAC] });
    expect(keysOnly.valid).toBe(true); // the key holder's forgery passes the keyed chain
    const r = await verifyText(forged.join('\n'), trust({ keys: [HMAC] }));
    expect(kinds(r)).toEqual(['checkpoint-root']);
  });

  it("checkpoints re-signed with the attacker's own key do not count: checkpoint-signature, not complete", async () => {
    const { lines } = await makeLog(25);
    const entries = parse(lines);
    (entries[2] as AuditEntry).action = 'invoice.delete';
    const leaves: Uint8Array[] = [];
    const out: AuditEntry[] = [];
    // The attacker rebuilds everything: entries, tree and checkpoints, signed by a key of the same name.
    for (const e of entries) {
      if (e.kind === 'checkpoint') {
        const d = e.details as { origin: string; size: number };
        const size = out.length;
        const note = await signCheckpoint({ origin: d.origin, size, root: rootOf(leaves, size), extensions: [] }, [
          parseSignerKey(attacker.signerKey),
        ]);
        e.details = { ...e.details, size, note, root: Buffer.from(rootOf(leaves, size)).toString('base64') };
      }
      out.push(e);
      leaves.push(leafHash(rechain(out).at(-1) as string));
    }
    const r = await verifyText(rechain(out).join('\n'), trust());
    expect(kinds(r)).toEqual(['checkpoint-signature']);
    expect(r.complete).toBe(false);
    expect(r.chains[0]?.checkpoints?.verified).toBe(0);
  });

  it('two trusted checkpoints of one size with different roots are a fork', async () => {
    const { lines, dest, chain } = await makeLog(15);
    const d = (JSON.parse(dest[0] as string) as AuditEntry).details as { origin: string; size: number };
    const other = await signCheckpoint({ origin: d.origin, size: d.size, root: new Uint8Array(32).fill(7), extensions: [] }, [
      parseSignerKey(key.signerKey),
    ]);
    const r = await verifyText(lines.join('\n'), trust({ checkpoints: [...dest, { note: other, source: 'auditor copy' }] }));
    expect(kinds(r)).toContain('forked');
    expect(r.breaks.find((b) => b.kind === 'forked')?.message).toMatch(/two checkpoints of size 10 .*auditor copy/);
    expect(r.breaks.every((b) => b.chain === chain)).toBe(true);
  });

  it('after retention the tree is taken up from the first checkpoint record (its committed state), and later checkpoints verify', async () => {
    const { lines } = await makeLog(40);
    const kept = lines.slice(16); // seqs 0..15 removed: the checkpoint record of size 21 (seq 21) comes later
    const r = await verifyText(kept.join('\n'), trust({ allowPartialStart: true }));
    expect(r.breaks).toEqual([]);
    expect(r.chains[0]?.checkpoints?.verified).toBe(parse(kept).filter((e) => e.kind === 'checkpoint').length);
    expect(r.chains[0]?.checkpoints?.newest?.size).toBe(lines.length - 1);
  });

  it('a checkpoint record whose tree state or origin was tampered with (and re-hashed) is a named break', async () => {
    const { lines } = await makeLog(15);
    const entries = parse(lines);
    const cp = entries[10] as AuditEntry;
    const d = cp.details as { tree: string[] };
    cp.details = { ...cp.details, tree: d.tree.map(() => 'ab'.repeat(32)) };
    const r = await verifyText(rechain(entries).join('\n'), trust());
    expect(r.breaks.map((b) => b.message)).toContainEqual(
      expect.stringMatching(/tree state in checkpoint record 10 does not match its signed root/),
    );

    const other = parse((await makeLog(15)).lines);
    const moved = parse(lines);
    moved[10] = { ...(other[10] as AuditEntry), chain: (moved[0] as AuditEntry).chain };
    const m = await verifyText(rechain(moved).join('\n'), trust());
    expect(m.breaks.find((b) => b.kind === 'checkpoint-signature')?.message).toMatch(/names another log than chain/);
  });

  it('an external checkpoint that does not open under the trusted keys is a break; bad trust keys are configuration errors', async () => {
    const { lines, dest } = await makeLog(12);
    const bad = (dest[0] as string).replace(/— audit\.example\/billing [A-Za-z0-9+/=]+/, `— audit.example/billing ${'A'.repeat(88)}`);
    const r = await verifyText(lines.join('\n'), trust({ checkpoints: [bad] }));
    expect(kinds(r)).toEqual(['checkpoint-signature']);
    await expect((async () => verifyText(lines.join('\n'), { trust: ['not-a-key'] }))()).rejects.toThrow(
      /trust\[0\] is not a verifier key/,
    );
    await expect((async () => verifyText(lines.join('\n'), { checkpoints: dest }))()).rejects.toThrow(/need trusted keys/);
  });
});

describe('what the threat model says about the signing key', () => {
  it('a holder of the signing key who rewrites and re-signs the log is caught against a destination that kept the earlier checkpoints', async () => {
    const { lines, dest } = await makeLog(30);
    const entries = parse(lines);
    (entries[4] as AuditEntry).actor = { id: 'scapegoat', type: 'user' };
    const leaves: Uint8Array[] = [];
    const out: AuditEntry[] = [];
    for (const e of entries) {
      if (e.kind === 'checkpoint') {
        const d = e.details as { origin: string; size: number };
        const note = await signCheckpoint({ origin: d.origin, size: d.size, root: rootOf(leaves, d.size), extensions: [] }, [
          parseSignerKey(key.signerKey),
        ]);
        e.details = { ...e.details, note, root: Buffer.from(rootOf(leaves, d.size)).toString('base64'), tree: undefined };
      }
      out.push(e);
      leaves.push(leafHash(rechain(out).at(-1) as string));
    }
    const forged = rechain(out);
    const alone = await verifyText(forged.join('\n'), trust());
    expect(alone.valid).toBe(true); // signed by the trusted key: the log alone cannot tell
    const r = await verifyText(forged.join('\n'), trust({ checkpoints: dest }));
    expect(kinds(r)).toEqual(expect.arrayContaining(['destination-mismatch', 'forked']));
  });
});

describe('trees built in a worker thread (verifyStream, the CLI) report what trees built in-thread do', () => {
  it('honest, rewritten, cut and forked logs: verifyStream (worker) and verifyText (this thread) give the same report', async () => {
    const { verifyStream, Verifier } = await import('@auditready/core/verify');
    const { lines, dest } = await makeLog(300, { everyEntries: 25 });
    const entries = parse(lines);
    (entries[40] as AuditEntry).action = 'invoice.delete';
    const cases: [string, string[], VerifyOptions][] = [
      ['honest', lines, trust({ checkpoints: dest })],
      ['rewritten', rechain(entries), trust({ checkpoints: dest })],
      ['cut', lines.slice(0, 200), trust({ checkpoints: dest })],
      ['retained', lines.slice(60), trust({ allowPartialStart: true })],
    ];
    for (const [name, input, options] of cases) {
      const text = `${input.join('\n')}\n`;
      const local = await verifyText(text, options);
      // Chunks of 64 KiB and more are copied whole to the worker; smaller pieces line by line: both.
      for (const size of [1 << 20, 777]) {
        const chunks = Array.from({ length: Math.ceil(text.length / size) }, (_, i) => Buffer.from(text.slice(i * size, (i + 1) * size)));
        const streamed = await verifyStream(chunks, options);
        expect(streamed, `${name}, chunks of ${size}`).toEqual(local);
      }
    }
    // A Verifier used directly with parallel trees needs finishAsync().
    const v = new Verifier({ ...trust(), parallel: true });
    for (const l of lines) v.push(l);
    expect(() => v.finish()).toThrow(/finishAsync/);
    expect((await v.finishAsync()).complete).toBe(true);
  });
});
