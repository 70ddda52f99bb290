// The archiver: a consumer group that appends every audit message of a topic to one file per
// chain (<dir>/<chain>.ndjson), so the archive can be kept for years and verified offline with
// `auditready verify <dir>`. Exact resends (the same entry stored twice after a lost
// acknowledgement) are skipped; anything else is archived as it came, so tampering stays visible.
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** Consumes `topic` until no message arrives for `idleMs`; returns what was archived. */
export async function archiveTopic({ kafka, topic, dir, groupId = 'audit-archiver', idleMs = 2000 }) {
  mkdirSync(dir, { recursive: true });
  const consumer = kafka.consumer({ groupId });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen = new Map();
  let archived = 0;
  let duplicates = 0;
  let last = Date.now();
  let failed;
  consumer
    .run({
      eachMessage: async ({ message }) => {
        last = Date.now();
        const line = message.value.toString('utf8');
        const chain = message.headers?.['auditready-chain']?.toString() ?? 'unknown';
        const id = `${chain}:${message.headers?.['auditready-seq']}:${message.headers?.['auditready-hash']}`;
        if (seen.get(id) === line) {
          duplicates++;
          return;
        }
        if (!seen.has(id)) seen.set(id, line);
        // A chain id is a UUID; anything else is not used as a file name.
        const file = /^[0-9a-f-]{36}$/.test(chain) ? chain : 'unknown';
        appendFileSync(join(dir, `${file}.ndjson`), `${line}\n`);
        archived++;
      },
    })
    .catch((e) => {
      failed = e;
    });
  while (failed === undefined && Date.now() - last < idleMs) await new Promise((r) => setTimeout(r, 100));
  await consumer.disconnect();
  if (failed !== undefined) throw failed;
  return { archived, duplicates };
}
