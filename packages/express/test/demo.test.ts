/** `npm run demo` as the README promises, and the log it leaves: valid, complete, free of every secret the traffic carried. */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertNoSecrets } from '@auditready/core/testing';
import { verifySync } from '@auditready/core/verify';
import { describe, expect, it } from 'vitest';

const example = join(import.meta.dirname, '..', '..', '..', 'examples', 'express-basic');

describe('the demo', () => {
  it('runs the example API end to end and ends with exit 0; its log verifies and holds none of the secrets sent', () => {
    const r = spawnSync(process.execPath, [join(example, 'demo.mjs')], { encoding: 'utf8', timeout: 60000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Demo complete');
    const dir = join(example, 'demo-output', 'audit');
    const lines = readdirSync(dir)
      .filter((f) => f.endsWith('.log'))
      .flatMap((f) => readFileSync(join(dir, f), 'utf8').trim().split('\n'));
    expect(verifySync(lines).valid).toBe(true);
    const sent = [
      'correct-horse-battery-staple',
      'admin-password-do-not-log',
      'sid=8c1f0aa1e2b34c5d9e77',
      'ak_live_51H8demoKeyValue9',
      'qtok-5f2a9c7e1b3d',
      '4111 1111 1111 1111',
      'hunter2-but-longer',
    ];
    for (const secret of sent)
      expect(
        lines.some((l) => l.includes(secret)),
        secret,
      ).toBe(false);
    assertNoSecrets(lines, { secrets: sent });
    // The tampered copy is what the demo edited: verify must fail on it.
    const tampered = readFileSync(join(example, 'demo-output', 'tampered', 'audit.log'), 'utf8')
      .trim()
      .split('\n');
    expect(verifySync(tampered).breaks.map((b) => b.kind)).toEqual(['modified']);
  });
});
