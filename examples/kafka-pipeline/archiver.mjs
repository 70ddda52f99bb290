// The archiver: run on a schedule, it appends what is new on the audit topic to one file per chain
// (<dir>/<chain>.ndjson), so the archive can be kept for years and verified offline with
// `auditready verify <dir>`. It continues from <dir>/checkpoint.json (next offset per partition,
// head of each chain), written only after the appended lines are on disk. Exact resends (the same
// entry stored twice after a lost acknowledgement) are skipped by readTopic; anything else is
// archived as it came, so tampering stays visible.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { readTopic } from '@auditready/transport-kafka';

/** Archives what arrived since the last run (all of the topic the first time); returns what it did. */
export async function archiveTopic({ kafka, topic, dir, idleMs = 2000 }) {
  mkdirSync(dir, { recursive: true });
  const checkpointFile = join(dir, 'checkpoint.json');
  const from = existsSync(checkpointFile) ? JSON.parse(readFileSync(checkpointFile, 'utf8')) : undefined;
  const { lines, duplicates, replayed, checkpoint } = await readTopic({ kafka, topic, idleMs, ...(from ? { from } : {}) });
  const byFile = new Map();
  for (const line of lines) {
    let chain = 'unknown';
    try {
      chain = JSON.parse(line).chain;
    } catch {}
    // A chain id is a UUID; anything else is not used as a file name.
    const file = typeof chain === 'string' && /^[0-9a-f-]{36}$/.test(chain) ? chain : 'unknown';
    byFile.set(file, [...(byFile.get(file) ?? []), line]);
  }
  for (const [file, chunk] of byFile) {
    const fd = openSync(join(dir, `${file}.ndjson`), 'a', 0o600);
    try {
      writeSync(fd, `${chunk.join('\n')}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
  writeFileSync(`${checkpointFile}.tmp`, JSON.stringify(checkpoint, null, 2));
  renameSync(`${checkpointFile}.tmp`, checkpointFile);
  return { archived: lines.length, duplicates, replayed, continued: from !== undefined };
}
