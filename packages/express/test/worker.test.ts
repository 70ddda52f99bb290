/**
 * An Express app whose logger runs in a worker thread (@auditready/core/worker), as a real process
 * on a real socket: every request is on record with the right outcome and request id, SIGTERM
 * flushes through the worker, and the log verifies.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifySync } from '@auditready/core/verify';
import { describe, expect, it } from 'vitest';

describe('auditMiddleware with the worker logger', () => {
  it('records every request from a worker thread; SIGTERM loses nothing; the log verifies', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ar-express-worker-'));
    const child = spawn(process.execPath, [join(import.meta.dirname, 'fixtures', 'worker-app.mjs')], {
      cwd: join(import.meta.dirname, '..'),
      env: { ...process.env, AUDIT_WORKER_DIR: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        const m = /ready (\d+)/.exec(String(d));
        if (m) resolve(Number(m[1]));
      });
      child.on('exit', (code) => reject(new Error(`app exited ${code}: ${stderr}`)));
    });
    const base = `http://127.0.0.1:${port}`;
    const sent: { id: string | null; status: number }[] = [];
    for (let i = 0; i < 30; i++) {
      const res = await fetch(`${base}/items/it-${i}`, { headers: { 'x-user': 'alice' } });
      await res.arrayBuffer();
      sent.push({ id: res.headers.get('x-request-id'), status: res.status });
    }
    const denied = await fetch(`${base}/items/it-1`, { method: 'DELETE', headers: { 'x-user': 'alice' } });
    await denied.arrayBuffer();
    const boom = await fetch(`${base}/boom`);
    await boom.arrayBuffer();
    child.kill('SIGTERM');
    const code = await new Promise((r) => child.on('exit', r));
    expect(stderr).toBe('');
    expect(code).toBe(0);

    const lines = readFileSync(join(dir, 'audit.log'), 'utf8').trim().split('\n');
    expect(verifySync(lines)).toMatchObject({ valid: true, breaks: [] });
    const entries = lines.map((l) => JSON.parse(l));
    expect(entries).toHaveLength(1 + 30 + 2);
    const access = entries.filter((e) => e.kind === 'access');
    expect(access.slice(0, 30).map((e) => e.http.requestId)).toEqual(sent.map((s) => s.id));
    expect(access[0]).toMatchObject({ action: 'GET /items/:id', outcome: 'success', actor: { id: 'alice' }, http: { status: 200 } });
    expect(access[0].http.bytesOut).toBeGreaterThan(0);
    expect(access[30]).toMatchObject({ outcome: 'denied', http: { status: 403, method: 'DELETE' } });
    expect(access[31]).toMatchObject({ outcome: 'error', reason: 'boom', http: { status: 500 } });
  });

  it('SIGTERM with a graceful app: requests that complete during the shutdown flush all have their entries', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ar-express-worker-slow-'));
    const child = spawn(process.execPath, [join(import.meta.dirname, 'fixtures', 'worker-app-slow.mjs')], {
      cwd: join(import.meta.dirname, '..'),
      env: { ...process.env, AUDIT_WORKER_DIR: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise((r) => child.on('exit', r));
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        const m = /ready (\d+)/.exec(String(d));
        if (m) resolve(Number(m[1]));
      });
      child.on('exit', (code) => reject(new Error(`app exited ${code}`)));
    });
    const answered: string[] = [];
    const inflight = Array.from({ length: 12 }, (_, i) =>
      fetch(`http://127.0.0.1:${port}/slow/${i}?ms=${20 + i * 15}`, { headers: { 'x-request-id': `slow-${i}` } })
        .then(async (res) => {
          await res.text();
          if (res.status === 200) answered.push(`slow-${i}`);
        })
        .catch(() => {}),
    );
    await new Promise((r) => setTimeout(r, 30));
    child.kill('SIGTERM');
    await Promise.all(inflight);
    await exited;
    expect(answered.length).toBeGreaterThan(5);
    const entries = readFileSync(join(dir, 'audit.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const recorded = new Set(entries.map((e) => e.http?.requestId));
    for (const id of answered) expect(recorded.has(id), `${id} was answered but has no entry`).toBe(true);
    expect(
      verifySync(
        entries.map((e) => JSON.stringify(e)),
        { requireCanonical: false },
      ).valid,
    ).toBe(true);
  });
});
