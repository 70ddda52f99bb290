/** SIGKILL during an outage, then a restart: the spool replays and nothing is missing. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { verifySync } from '@auditready/core/verify';
import { describe, expect, it } from 'vitest';
import { startReceiver, tempDir } from './helpers.js';

const child = join(import.meta.dirname, 'fixtures', 'spool-child.mjs');

describe('the spool', () => {
  it('a process killed during an outage loses nothing: the next one replays the spool first, on the same chain', async () => {
    const down = await startReceiver();
    const { port, dir } = down;
    await down.close();
    const url = `http://127.0.0.1:${port}/ingest`;
    const spool = tempDir('ar-spool-kill-');
    const p = spawn(process.execPath, [child, 'outage', url, spool], {
      stdio: ['ignore', 'pipe', 'inherit'],
      cwd: join(import.meta.dirname, '..'),
    });
    await new Promise<void>((resolve, reject) => {
      p.stdout.on('data', (d) => String(d).includes('spooled') && resolve());
      p.on('exit', (c) => reject(new Error(`child exited early: ${c}`)));
    });
    p.kill('SIGKILL');
    await new Promise((r) => p.on('exit', r));

    const recv = await startReceiver([], { port, dir });
    // Not spawnSync: the receiver runs in this process and must keep answering.
    const resumed = spawn(process.execPath, [child, 'resume', url, spool], {
      cwd: join(import.meta.dirname, '..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    resumed.stdout.on('data', (d) => (out += String(d)));
    resumed.stderr.on('data', (d) => (err += String(d)));
    await new Promise((r) => resumed.on('exit', r));
    expect(err).toBe('');
    expect(JSON.parse(out)).toEqual({ ok: true, spooled: 0 });
    const lines = recv.lines();
    const report = verifySync(lines);
    expect(report.breaks).toEqual([]);
    expect(report.chains).toHaveLength(1); // resumed from the spool's head
    const entries = lines.map((l) => JSON.parse(l));
    expect(entries.filter((e) => e.action === 'during-outage')).toHaveLength(40);
    expect(entries.filter((e) => e.action === 'after-restart')).toHaveLength(10);
    expect(entries.map((e) => e.seq)).toEqual(entries.map((_, i) => i));
    await recv.close();
  });
});
