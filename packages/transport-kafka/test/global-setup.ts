/**
 * Starts a real single-node Kafka broker (scripts/kafka/start-kafka.sh: Kafka from Maven Central,
 * KRaft, 127.0.0.1) for the Kafka suites, and stops it after them. Without Java or Maven the
 * suites skip with a loud message — unless AUDITREADY_REQUIRE_KAFKA=1 (set by .ci/run), which
 * makes that a failure, so CI always runs them.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

const scripts = join(import.meta.dirname, '..', '..', '..', 'scripts', 'kafka');
const port = String(19192 + (process.pid % 500));

export default function setup(project: TestProject) {
  const missing = ['java', 'mvn'].filter((c) => spawnSync('sh', ['-c', `command -v ${c}`]).status !== 0);
  if (missing.length > 0) {
    const msg = `Kafka suites need ${missing.join(' and ')} on PATH (a real broker is started from Maven Central)`;
    if (process.env.AUDITREADY_REQUIRE_KAFKA === '1') throw new Error(msg);
    console.warn(`\n!!! SKIPPING the Kafka suites: ${msg}. Set AUDITREADY_REQUIRE_KAFKA=1 to make this an error.\n`);
    project.provide('kafkaBootstrap', '');
    project.provide('kafkaPort', '');
    project.provide('kafkaRunDir', '');
    project.provide('kafkaTls', { bootstrap: '', dir: '', users: {} });
    return;
  }
  // A SASL_SSL listener beside the plain one: certificates made with openssl (scripts/kafka/make-tls.sh),
  // SCRAM users created when the storage is formatted.
  const tlsDir = mkdtempSync(join(tmpdir(), 'ar-kafka-tls-'));
  const password = randomBytes(12).toString('hex');
  const made = spawnSync('bash', [join(scripts, 'make-tls.sh'), tlsDir, password], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`could not make the test certificates (openssl):\n${made.stderr}`);
  const users = { writer: `w-${randomBytes(9).toString('hex')}`, reader: `r-${randomBytes(9).toString('hex')}` };
  // Named here and given to the suites: their scripts (stop, restart, pause) must find the broker's
  // pid and state whatever TMPDIR their process has.
  const runDir = join(tmpdir(), `kafka-test-${port}`);
  const env = {
    ...process.env,
    KAFKA_RUN_DIR: runDir,
    KAFKA_PORT: port,
    KAFKA_CONTROLLER_PORT: String(Number(port) + 1000),
    KAFKA_SSL_PORT: String(Number(port) + 2000),
    KAFKA_SSL_KEYSTORE: join(tlsDir, 'broker.p12'),
    KAFKA_SSL_PASSWORD: password,
    KAFKA_SCRAM_USERS: `auditwriter:${users.writer} auditreader:${users.reader}`,
  };
  const t0 = Date.now();
  const r = spawnSync('bash', [join(scripts, 'start-kafka.sh')], { encoding: 'utf8', env, timeout: 240_000 });
  if (r.status !== 0) throw new Error(`could not start Kafka:\n${r.stdout}\n${r.stderr}`);
  const bootstrap = /KAFKA_BOOTSTRAP=(\S+)/.exec(r.stdout)?.[1];
  if (!bootstrap) throw new Error(`start-kafka.sh printed no KAFKA_BOOTSTRAP:\n${r.stdout}`);
  const tlsBootstrap = /KAFKA_SSL_BOOTSTRAP=(\S+)/.exec(r.stdout)?.[1];
  if (!tlsBootstrap) throw new Error(`start-kafka.sh printed no KAFKA_SSL_BOOTSTRAP:\n${r.stdout}`);
  console.log(`Kafka broker ready at ${bootstrap} (SASL_SSL ${tlsBootstrap}) in ${Date.now() - t0} ms`);
  project.provide('kafkaBootstrap', bootstrap);
  project.provide('kafkaPort', port);
  project.provide('kafkaRunDir', runDir);
  project.provide('kafkaTls', { bootstrap: tlsBootstrap, dir: tlsDir, users: { auditwriter: users.writer, auditreader: users.reader } });
  return () => {
    spawnSync('bash', [join(scripts, 'stop-kafka.sh')], { encoding: 'utf8', env, timeout: 60_000 });
    // Made before the run's own temp dir exists (project setups run first): removed here.
    for (const dir of [tlsDir, runDir]) rmSync(dir, { recursive: true, force: true });
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBootstrap: string;
    kafkaPort: string;
    /** The broker's pid, config and state (KAFKA_RUN_DIR of scripts/kafka). */
    kafkaRunDir: string;
    /** The SASL_SSL listener: its address, the folder with ca.crt and other-ca.crt, SCRAM users and passwords. */
    kafkaTls: { bootstrap: string; dir: string; users: Record<string, string> };
  }
}
