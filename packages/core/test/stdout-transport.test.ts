/**
 * The stdout transport: a container-style process writes its audit log to stdout mixed with its
 * own output, and the collected stream verifies (`auditready verify - --mixed`); a slow reader
 * holds at most one batch in the stream (the rest waits in the bounded queue); a closed pipe is a
 * reported error, never a crash.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { AuditConfigError, createAuditLogger, createStdoutTransport } from '@auditready/core';
import { describe, expect, it, vi } from 'vitest';

const child = join(import.meta.dirname, 'fixtures', 'stdout-child.mjs');
const BIN = join(import.meta.dirname, '..', '..', '..', 'node_modules', '.bin', 'auditready');

function verifyStdin(input: string, args: string[] = []) {
  return spawnSync(BIN, ['verify', '-', '--mixed', ...args], {
    input,
    encoding: 'utf8',
    env: { ...process.env, AUDITREADY_READER_LOG: 'off' },
  });
}

describe('the stdout transport', () => {
  it("a collected stdout with the app's own lines in it verifies with verify - --mixed; a line taken out is found", () => {
    const r = spawnSync(process.execPath, [child, '40'], { encoding: 'utf8' });
    expect(r.stderr).toContain('done errors=[]');
    const lines = r.stdout.trim().split('\n');
    const app = lines.filter((l) => l.startsWith('app:'));
    expect(app).toHaveLength(10);
    const ok = verifyStdin(r.stdout);
    expect(ok.stdout).toContain('(--mixed: 10 line(s) that are not audit entries skipped)');
    expect(ok.stdout).toMatch(/41 entr/); // 40 + the genesis
    expect(ok.status).toBe(3); // consistent; no head commitment on a stream
    const cut = lines.filter((l) => !l.includes('"seq":7,'));
    const bad = verifyStdin(`${cut.join('\n')}\n`);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/deleted/);
  });

  it('a slow reader: the stream never holds more than one batch; the rest waits in the bounded queue and overflow is declared', async () => {
    let maxBuffered = 0;
    let held = 0;
    const slow = new Writable({
      highWaterMark: 1024,
      write(chunk, _enc, cb) {
        held += chunk.length;
        setTimeout(cb, 5); // a reader that drains slowly
      },
    });
    const sample = setInterval(() => {
      maxBuffered = Math.max(maxBuffered, slow.writableLength);
    }, 1);
    const log = createAuditLogger({
      service: { name: 'slow' },
      transports: [createStdoutTransport({ stream: slow })],
      handleSignals: false,
      onError: () => {},
      queue: { maxEntries: 200, batchSize: 50, overflow: 'drop-newest' },
    });
    let maxQueued = 0;
    for (let i = 0; i < 2000; i++) {
      log.record({ action: 'a', details: { i } });
      maxQueued = Math.max(maxQueued, log.health().transports[0]?.queued ?? 0);
    }
    await log.close({ timeoutMs: 20_000 });
    clearInterval(sample);
    const oneBatch = 50 * 400; // 50 lines of under 400 bytes
    expect(maxBuffered).toBeLessThanOrEqual(oneBatch);
    expect(maxQueued).toBeLessThanOrEqual(200 + 1);
    expect(log.health().transports[0]?.dropped).toBeGreaterThan(0);
    expect(held).toBeGreaterThan(0);
  });

  it('a pipe closed by its reader (| head -1): the app goes on, the failure reported, no crash', async () => {
    const p = spawn(process.execPath, [child, '3000'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d) => {
      stderr += String(d);
    });
    await new Promise<void>((r) => p.stdout.once('data', () => r()));
    p.stdout.destroy(); // the reader goes away
    const code = await new Promise<number | null>((r) => p.on('exit', (c) => r(c)));
    expect(code).toBe(0);
    await vi.waitFor(() => expect(stderr).toMatch(/done errors=\["AuditTransportError"\]/), { timeout: 5000 });
  });

  it('rejects a bad format or stream by name', () => {
    expect(() => createStdoutTransport({ format: 'xml' as never })).toThrow(AuditConfigError);
    expect(() => createStdoutTransport({ stream: {} as never })).toThrow(/stream must be a writable/);
  });
});
