/** Child processes for crash tests: run until a marker, SIGKILL, or run to the end and collect output. */
import { spawn } from 'node:child_process';

/** Starts `node script ...args`, resolves once its stdout says `marker`, then SIGKILLs it and waits for the exit. */
export async function killAfter(script: string, args: string[], cwd: string, marker: string): Promise<void> {
  const p = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'], cwd });
  await new Promise<void>((resolve, reject) => {
    p.stdout.on('data', (d) => String(d).includes(marker) && resolve());
    p.on('exit', (c) => reject(new Error(`child exited before "${marker}": ${c}`)));
  });
  p.kill('SIGKILL');
  await new Promise((r) => p.on('exit', r));
}

/**
 * Runs `node script ...args` to its end and returns what it wrote. Not spawnSync: servers in the
 * test's own process (a receiver, a broker client) must keep answering meanwhile.
 */
export async function runToEnd(script: string, args: string[], cwd: string): Promise<{ out: string; err: string; code: number | null }> {
  const r = await runCommand(process.execPath, [script, ...args], process.env, cwd);
  return { out: r.stdout, err: r.stderr, code: r.code };
}

/**
 * Runs a command (the `auditready` bin, say) to its end without blocking this process's event loop
 * (a server the command talks to may live here), and returns its exit code and output.
 */
export async function runCommand(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  cwd?: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'], ...(cwd ? { cwd } : {}) });
  let stdout = '';
  let stderr = '';
  p.stdout.on('data', (d) => {
    stdout += String(d);
  });
  p.stderr.on('data', (d) => {
    stderr += String(d);
  });
  const code = await new Promise<number | null>((r) => p.on('close', r));
  return { code, stdout, stderr };
}
