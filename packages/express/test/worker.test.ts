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

/** Starts fixtures/worker-app.mjs writing to `dir`; resolves with its port once it listens. */
async function startApp(dir: string, env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [join(import.meta.dirname, 'fixtures', 'worker-app.mjs')], {
    cwd: join(import.meta.dirname, '..'),
    env: { ...process.env, AUDIT_WORKER_DIR: dir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d) => {
    err += d;
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (d) => {
      const m = /ready (\d+)/.exec(String(d));
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`app exited ${code}: ${err}`)));
  });
  return { child, port, stderr: () => err };
}

describe('auditMiddleware with the worker logger', () => {
  it('records every request from a worker thread; SIGTERM loses nothing; the log verifies', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ar-express-worker-'));
    const { child, port, stderr } = await startApp(dir);
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
    expect(stderr()).toBe('');
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

  it('the worker dies mid-traffic: the app keeps serving, a new worker takes over, and every answered request is on record or counted in the gap', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ar-express-worker-crash-'));
    const { child, port, stderr } = await startApp(dir, { AUDIT_CRASH_ON: 'GET /crash' });
    const base = `http://127.0.0.1:${port}`;
    const answered: string[] = [];
    const get = async (path: string) => {
      const res = await fetch(`${base}${path}`, { headers: { 'x-user': 'alice' } });
      await res.arrayBuffer();
      expect(res.status).toBe(200); // the app never fails because its audit worker died
      answered.push(res.headers.get('x-request-id') as string);
    };
    for (let i = 0; i < 10; i++) await get(`/items/before-${i}`);
    await get('/crash');
    for (let i = 0; i < 40; i++) await get(`/items/after-${i}`);
    await new Promise((r) => setTimeout(r, 300)); // the new worker is up: these are recorded for sure
    for (let i = 0; i < 5; i++) await get(`/items/late-${i}`);
    child.kill('SIGTERM');
    expect(await new Promise((r) => child.on('exit', r))).toBe(0);
    // No onError in this app: the death is a process warning, not silence.
    expect(stderr()).toMatch(/audit worker exited \(code 3\).*restarting it/);

    const lines = readFileSync(join(dir, 'audit.log'), 'utf8').trim().split('\n');
    const report = verifySync(lines);
    expect(report).toMatchObject({ consistent: true, complete: false, breaks: [] });
    const entries = lines.map((l) => JSON.parse(l));
    const recorded = new Set(entries.filter((e) => e.kind === 'access').map((e) => e.http.requestId));
    const missing = answered.filter((id) => !recorded.has(id));
    expect(missing.length).toBeGreaterThanOrEqual(1); // the /crash entry went down with the worker
    expect(report.chains[0]?.gaps.reduce((n, g) => n + g.count, 0)).toBe(missing.length);
    for (const id of answered.slice(-5)) expect(recorded.has(id)).toBe(true);
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
