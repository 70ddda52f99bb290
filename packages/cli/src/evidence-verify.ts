/**
 * `auditready evidence verify`: a pack checked offline, without the log — the manifest's signature
 * and every file's hash, each population record's own hash, each sample proof against its signed
 * checkpoint, each consistency proof against the earlier checkpoint it starts from.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  checkpointOrigin,
  openNote,
  parseTlogProof,
  parseVerifierKey,
  verifyCheckpointConsistency,
  verifyTlogProof,
} from '@auditready/core';
import { Verifier } from '@auditready/core/verify';

/** The text a pack's manifest.note signs: this header, then the SHA-256 of manifest.json. */
export const MANIFEST_HEADER = 'auditready.dev/evidence-manifest@v1';
export const sha256 = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');

export function listFiles(dir: string, under = dir): string[] {
  const out: string[] = [];
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, d.name);
    if (d.isDirectory()) out.push(...listFiles(p, under));
    else if (!['manifest.json', 'manifest.note'].includes(relative(under, p))) out.push(relative(under, p));
  }
  return out.sort();
}

export interface EvidenceCheck {
  valid: boolean;
  problems: string[];
  population: number;
  sampleVerified: number;
}

/** Checks a pack offline, without the log: manifest signature and hashes, every sample proof, the population lines. */
export function verifyEvidencePack(dir: string, trust: string[]): EvidenceCheck {
  const problems: string[] = [];
  const verifiers = trust.map(parseVerifierKey);
  let manifestText = '';
  try {
    manifestText = readFileSync(join(dir, 'manifest.json'), 'utf8');
    const note = openNote(readFileSync(join(dir, 'manifest.note'), 'utf8'), verifiers);
    if (note.text !== `${MANIFEST_HEADER}\n${sha256(manifestText)}\n`) problems.push('manifest.note does not sign this manifest.json');
  } catch (err) {
    problems.push(`manifest: ${(err as Error).message}`);
  }
  const listed = manifestText ? (JSON.parse(manifestText) as { files: Record<string, string> }).files : {};
  for (const f of listFiles(dir)) if (!(f in listed)) problems.push(`${f}: not in the manifest (added after export)`);
  for (const [f, h] of Object.entries(listed)) {
    let actual: string | undefined;
    try {
      actual = sha256(readFileSync(join(dir, f)));
    } catch {
      problems.push(`${f}: missing`);
      continue;
    }
    if (actual !== h) problems.push(`${f}: changed after export (SHA-256 differs from the manifest)`);
  }
  const lines = readFileSync(join(dir, 'population.jsonl'), 'utf8').split('\n').filter(Boolean);
  const v = new Verifier({ extract: true, requireKeyed: false });
  for (const [i, l] of lines.entries()) v.push(l, { file: 'population.jsonl', line: i + 1 });
  const r = v.finish();
  for (const b of r.breaks.slice(0, 20)) problems.push(`population.jsonl:${b.line}: ${b.kind}: ${b.message}`);
  const inPopulation = new Set(lines);
  const sample = JSON.parse(readFileSync(join(dir, 'sample.json'), 'utf8')) as { records: { proof: string | null; seq: number }[] };
  let sampleVerified = 0;
  for (const s of sample.records) {
    if (s.proof === null) continue;
    try {
      const text = readFileSync(join(dir, s.proof), 'utf8');
      const parsed = parseTlogProof(text);
      const extra = parsed.extra ? new TextDecoder().decode(parsed.extra) : '';
      verifyTlogProof(text, extra, checkpointOrigin(parsed.checkpoint), verifiers);
      if (!inPopulation.has(extra)) problems.push(`${s.proof}: its record is not in the population`);
      else sampleVerified++;
    } catch (err) {
      problems.push(`${s.proof}: ${(err as Error).message}`);
    }
  }
  const scope = JSON.parse(readFileSync(join(dir, 'scope.json'), 'utf8')) as { consistencyWithEarlier?: { proof?: string }[] };
  for (const c of scope.consistencyWithEarlier ?? []) {
    if (!c.proof) continue;
    try {
      verifyCheckpointConsistency(
        readFileSync(join(dir, c.proof.replace(/\.proof$/, '.old.note')), 'utf8'),
        readFileSync(join(dir, c.proof), 'utf8'),
        verifiers,
      );
    } catch (err) {
      problems.push(`${c.proof}: ${(err as Error).message}`);
    }
  }
  return { valid: problems.length === 0, problems, population: lines.length, sampleVerified };
}
