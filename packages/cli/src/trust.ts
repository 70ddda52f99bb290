/**
 * What `--trust` and `--checkpoints` name: verifier keys (the text itself, or a file holding one
 * per line, as `auditready keygen` prints them) and the records of a checkpoint destination (a file
 * or a directory of log files, plain or gzip, or a kafka:// topic).
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseVerifierKey, parseWitnessKey } from '@auditready/core';
import { expandInputs, readLines, UsageError } from './inputs.js';
import { isKafkaUrl, parseKafkaUrl, readKafka } from './verify-kafka.js';

/** Verifier keys from --trust (or --witness) values: a key (`name+id+base64`) or a file of them (one per line, # comments). */
export function readTrust(values: readonly string[], kind: 'trust' | 'witness' = 'trust'): string[] {
  const keys: string[] = [];
  for (const v of values) {
    const lines = existsSync(v) ? readFileSync(v, 'utf8').split('\n') : [v];
    for (const raw of lines) {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) continue;
      try {
        if (kind === 'trust') parseVerifierKey(line);
        else parseWitnessKey(line);
      } catch (err) {
        throw new UsageError(
          `--${kind} ${existsSync(v) ? `${v}: a line` : v}: not a ${kind === 'trust' ? 'verifier' : 'witness'} key (name+id+base64) or a file of them: ${(err as Error).message}`,
        );
      }
      keys.push(line);
    }
  }
  return keys;
}

/** Every line of the checkpoint destinations named (files, directories, kafka:// topics), each with where it came from. */
export async function readCheckpointLines(values: readonly string[]): Promise<{ line: string; source: string }[]> {
  if (values.length === 0) return [];
  const out: { line: string; source: string }[] = [];
  for (const v of values.filter(isKafkaUrl)) {
    const read = await readKafka(parseKafkaUrl(v));
    for (const [i, line] of read.lines.entries()) out.push({ line, source: `${v} message ${i + 1}` });
  }
  const paths = values.filter((x) => !isKafkaUrl(x));
  if (paths.length === 0) return out;
  const { files } = await expandInputs(paths);
  for (const f of files) {
    let n = 0;
    for await (const line of readLines(f, () => {})) {
      n++;
      if (line.trim() !== '') out.push({ line, source: `${f.display}:${n}` });
    }
  }
  return out;
}
