/**
 * The evidence report in a real headless Chromium (the Debian package, installed by
 * scripts/chromium/install-chromium.sh; puppeteer-core drives it): it renders from the file with no
 * console error and no request leaving the page, shows the verdict and the numbers of the pack, and
 * audit data is text, never markup (an actor id holding a script runs nothing). A screenshot is
 * kept in test-output/. Without Chromium it skips loudly; in CI (AUDITREADY_REQUIRE_CHROMIUM=1) the
 * missing browser is a failure.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createAuditLogger } from '@auditready/core';
import { createFileTransport } from '@auditready/transport-file';
import { describe, expect, it } from 'vitest';
import { cli, tempDir } from './helpers.js';

const root = join(import.meta.dirname, '..', '..', '..');
const required = process.env.AUDITREADY_REQUIRE_CHROMIUM === '1';
let chromium = '';
try {
  chromium = execFileSync('bash', [join(root, 'scripts', 'chromium', 'install-chromium.sh')], {
    encoding: 'utf8',
    timeout: 600_000,
  }).trim();
} catch (err) {
  if (required) throw err;
  console.warn('\n*** SKIPPED: the report browser test needs chromium (scripts/chromium/install-chromium.sh); CI requires it ***\n');
}

describe.skipIf(chromium === '')('the evidence report in headless Chromium', () => {
  it('renders offline without errors, shows the verdict and the pack’s numbers, and escapes hostile data', async () => {
    const dir = tempDir();
    const keyFile = join(dir, 'log.key');
    const pub = cli(['keygen', '--name', 'report.example/audit', '--out', keyFile]).stdout.trim();
    const logs = join(dir, 'logs');
    const log = createAuditLogger({
      service: { name: 'report' },
      transports: [createFileTransport({ dir: logs })],
      handleSignals: false,
      checkpoints: { signer: readFileSync(keyFile, 'utf8').trim(), everyEntries: 20 },
    });
    const evil = '<img src=x onerror="document.title=\'pwned\'">';
    for (let i = 0; i < 60; i++)
      log.record({
        action: i % 6 === 0 ? 'admin.users.delete' : 'invoice.read',
        actor: { id: i === 7 ? evil : `u${i % 3}`, type: 'user', ip: '203.0.113.9' },
        resource: { type: i % 2 ? 'invoice' : 'user', id: `r${i}` },
        outcome: i % 6 === 0 ? 'denied' : 'success',
      });
    await log.close();
    const out = join(dir, 'pack');
    expect(cli(['evidence', logs, '--trust', pub, '--sign-key', keyFile, '--out', out, '--sample', '5', '--seed', 's']).code).toBe(0);
    const puppeteer = (await import('puppeteer-core')).default;
    const browser = await puppeteer.launch({ executablePath: chromium, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      page.on('pageerror', (e) => errors.push(String(e)));
      page.on('request', (r) => !r.url().startsWith('file:') && requests.push(r.url()));
      await page.setViewport({ width: 1200, height: 900 });
      await page.goto(pathToFileURL(join(out, 'report.html')).href, { waitUntil: 'load' });
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
      expect(await page.$eval('#verdict', (e) => e.textContent)).toBe('COMPLETE');
      const population = readFileSync(join(out, 'population.jsonl'), 'utf8').trim().split('\n').length;
      expect(await page.$eval('#population-count', (e) => e.textContent)).toBe(String(population));
      const text = await page.$eval('body', (b) => b.textContent ?? '');
      expect(text).toContain(`Denied, failed and error accesses (10)`);
      expect(text).toContain('Sample (5, seed s)');
      expect(text).toContain('PCI DSS v4.0 10.2.2.1');
      expect(text).toContain('auditready evidence verify');
      expect(text).toContain(evil); // shown as text
      expect(await page.title()).not.toBe('pwned');
      expect(await page.$$('img')).toHaveLength(0);
      expect(await page.$$('svg.chart rect')).not.toHaveLength(0);
      const shots = join(root, 'test-output');
      mkdirSync(shots, { recursive: true });
      await page.screenshot({ path: join(shots, 'evidence-report.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  }, 120_000);
});
