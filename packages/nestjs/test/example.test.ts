/**
 * examples/nestjs-basic as its README runs it: compiled by tsc to CommonJS, started as a process,
 * driven over HTTP, stopped with SIGTERM (Nest's shutdown hooks close the audit log), verified by
 * the auditready binary.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..', '..');
const example = join(root, 'examples', 'nestjs-basic');

describe('examples/nestjs-basic', () => {
  it('builds, serves, shuts down on SIGTERM losing nothing, and its log verifies', async () => {
    const tsc = spawnSync(
      process.execPath,
      [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(example, 'tsconfig.json')],
      { encoding: 'utf8' },
    );
    expect(tsc.stdout + tsc.stderr).toBe('');
    const auditDir = mkdtempSync(join(tmpdir(), 'ar-nest-example-'));
    const child = spawn(process.execPath, [join(example, 'dist', 'main.js')], {
      cwd: example,
      env: { ...process.env, PORT: '0', AUDIT_DIR: auditDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += String(d);
        const m = /on (http:\/\/\S+)/.exec(out);
        if (m) resolve((m[1] as string).replace('[::1]', '127.0.0.1'));
      });
      child.on('exit', (code) => reject(new Error(`example exited ${code}: ${out}`)));
    });
    const { issueToken } = createRequire(import.meta.url)(join(example, 'dist', 'auth.guard.js')) as { issueToken: (u: string) => string };
    const alice = { authorization: `Bearer ${issueToken('alice')}` };
    const root_ = { authorization: `Bearer ${issueToken('root')}` };
    const json = { 'content-type': 'application/json' };
    const steps: [string, RequestInit, number][] = [
      ['/invoices', { headers: alice }, 200],
      ['/invoices/1', { headers: alice }, 200],
      ['/invoices', { method: 'POST', headers: { ...alice, ...json }, body: '{"amount":42}' }, 201],
      ['/invoices/2', { method: 'PUT', headers: { ...alice, ...json }, body: '{"amount":43}' }, 200],
      ['/invoices/2', { method: 'DELETE', headers: alice }, 204],
      ['/invoices/abc', { headers: alice }, 400],
      ['/invoices/99', { headers: alice }, 404],
      ['/invoices/1', {}, 401],
      ['/admin/users', { headers: alice }, 403],
      ['/admin/users', { headers: root_ }, 200],
      ['/health', {}, 200],
    ];
    for (const [path, init, want] of steps) expect((await fetch(`${url}${path}`, init)).status, path).toBe(want);
    child.kill('SIGTERM');
    // Nest runs its shutdown hooks (the audit module closes its log), then re-raises the signal.
    const [code, signal] = await new Promise<[number | null, string | null]>((r) => child.on('exit', (c, s) => r([c, s])));
    expect(code === 0 || signal === 'SIGTERM').toBe(true);

    const v = spawnSync(join(root, 'node_modules', '.bin', 'auditready'), ['verify', auditDir, '--json'], {
      encoding: 'utf8',
      env: { ...process.env, AUDITREADY_READER_LOG: 'off' },
    });
    expect(v.status).toBe(0);
    const entries = readFileSync(join(auditDir, 'audit.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const access = entries.filter((e) => e.kind === 'access');
    expect(access).toHaveLength(steps.length - 1); // /health is @NoAudit
    expect(access.map((e) => [e.action, e.outcome])).toEqual([
      ['invoice.list', 'success'],
      ['invoice.read', 'success'],
      ['invoice.create', 'success'],
      ['invoice.update', 'success'],
      ['invoice.delete', 'success'],
      ['invoice.read', 'failure'],
      ['invoice.read', 'failure'],
      ['invoice.read', 'denied'], // the global guard names the action before the route's guards reject
      ['admin.users.list', 'denied'],
      ['admin.users.list', 'success'],
    ]);
    const created = access[2];
    const event = entries.find((e) => e.kind === 'event' && e.action === 'invoice.issued');
    expect(event).toMatchObject({
      actor: { id: 'u-alice' },
      resource: { type: 'invoice', id: '2' },
      details: { requestId: created.http.requestId },
    });
    expect(access[8]).toMatchObject({ reason: 'requires role admin', actor: { id: 'u-alice' } });
  }, 60000);
});
