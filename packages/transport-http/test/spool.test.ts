/** SIGKILL during an outage, then a restart: the spool replays and nothing is missing. */
import { join } from 'node:path';
import { verifySync } from '@auditready/core/verify';
import { describe, expect, it } from 'vitest';
import { killAfter, runToEnd } from '../../../test-support/child.js';
import { startReceiver, tempDir } from './helpers.js';

const child = join(import.meta.dirname, 'fixtures', 'spool-child.mjs');

describe('the spool', () => {
  it('a process killed during an outage loses nothing: the next one replays the spool first, on the same chain', async () => {
    const down = await startReceiver();
    const { port, dir } = down;
    await down.close();
    const url = `http://127.0.0.1:${port}/ingest`;
    const spool = tempDir('ar-spool-kill-');
    const cwd = join(import.meta.dirname, '..');
    await killAfter(child, ['outage', url, spool], cwd, 'spooled');

    const recv = await startReceiver([], { port, dir });
    const { out, err } = await runToEnd(child, ['resume', url, spool], cwd);
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
