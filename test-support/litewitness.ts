/**
 * A real witness for the tests: litewitness (filippo.io/torchwood v0.6.1), built with the Go
 * toolchain by scripts/witness/install-litewitness.sh, signing with an Ed25519 key held by a
 * dedicated ssh-agent, on a free local port. Without Go the suites that need it skip loudly; with
 * AUDITREADY_REQUIRE_GO=1 (CI) a missing Go is a failure.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
export const hasGo = spawnSync('go', ['version']).status === 0;
export const goRequired = process.env.AUDITREADY_REQUIRE_GO === '1';
export const witnessAvailable = hasGo || goRequired;
if (!hasGo && !goRequired)
  console.warn(
    '\n*** SKIPPED: the litewitness suites need `go` (1.26) on PATH to build the witness; CI requires it (AUDITREADY_REQUIRE_GO=1) ***\n',
  );

/** Builds (once, cached) litewitness and witnessctl; returns their directory. */
export function installLitewitness(): string {
  if (!hasGo) throw new Error('AUDITREADY_REQUIRE_GO=1 but `go` is not on PATH: litewitness cannot be built');
  return execFileSync('bash', [join(root, 'scripts', 'witness', 'install-litewitness.sh')], { encoding: 'utf8', timeout: 600_000 }).trim();
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

export interface Litewitness {
  url: string;
  /** Its cosignature verifier key, as it printed it. */
  key: string;
  name: string;
  /** Registers a log (origin) and its verifier key with the witness (witnessctl). */
  addLog(origin: string, logKey: string): void;
  /** Stops the witness process (its database and key stay): `up()` starts it again. */
  down(): Promise<void>;
  up(): Promise<void>;
  /** Stops everything (the witness and its ssh-agent). */
  close(): Promise<void>;
}

export async function startLitewitness(bin: string, name = 'witness.test/w1'): Promise<Litewitness> {
  const dir = mkdtempSync(join(tmpdir(), 'ar-litewitness-'));
  const sock = join(dir, 'agent.sock');
  const db = join(dir, 'witness.db');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'key')]);
  const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
  for (let i = 0; i < 100 && spawnSync('test', ['-S', sock]).status !== 0; i++) await new Promise((r) => setTimeout(r, 20));
  execFileSync('ssh-add', [join(dir, 'key')], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
  const fingerprint = (execFileSync('ssh-keygen', ['-lf', `${join(dir, 'key')}.pub`], { encoding: 'utf8' }).split(' ')[1] ?? '').trim();
  const port = await freePort();
  let child: ChildProcess | undefined;
  let key = '';
  const start = async () => {
    const p = spawn(
      join(bin, 'litewitness'),
      ['-db', db, '-name', name, '-key', fingerprint, '-ssh-agent', sock, '-listen', `127.0.0.1:${port}`],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child = p;
    let log = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`litewitness did not start:\n${log}`)), 20_000);
      const onData = (d: Buffer) => {
        log += String(d);
        const m = /vkey=(\S+)/.exec(log);
        if (m) key = m[1] as string;
        if (/msg=listening/.test(log)) {
          clearTimeout(timer);
          resolve();
        }
      };
      p.stdout?.on('data', onData);
      p.stderr?.on('data', onData);
      p.on('exit', (c) => reject(new Error(`litewitness exited (${c}):\n${log}`)));
    });
  };
  const stop = async () => {
    const p = child;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    await exited;
  };
  await start();
  return {
    url: `http://127.0.0.1:${port}`,
    key,
    name,
    addLog: (origin, logKey) => {
      execFileSync(join(bin, 'witnessctl'), ['add-log', '-db', db, '-origin', origin], { stdio: 'ignore' });
      execFileSync(join(bin, 'witnessctl'), ['add-key', '-db', db, '-origin', origin, '-key', logKey], { stdio: 'ignore' });
    },
    down: stop,
    up: start,
    close: async () => {
      await stop();
      agent.kill('SIGTERM');
    },
  };
}
