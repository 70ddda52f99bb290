/**
 * The verifier's side of witnesses (docs/witnesses.md): cosignatures gathered from the log (each
 * `checkpoint` record's `details.witnessed`, a cosigned note of an earlier checkpoint) and from
 * checkpoint destinations; with `witnesses` keys, a checkpoint proves completeness only with at
 * least `witnessThreshold` valid cosignatures; and the cosignatures' times bound when each
 * checkpoint existed, against which the entries it covers are checked (trusted time).
 */
import { parseCheckpoint } from '../checkpoint.js';
import { AuditConfigError } from '../errors.js';
import { type NoteVerifier, openNote, parseWitnessKey } from '../note.js';
import { type Cosigner, chainOfOrigin, type TreeResult, type TrustedCheckpoint } from './tree.js';

export interface WitnessPolicy {
  keys: NoteVerifier[];
  threshold: number;
  /** chain -> size -> cosigner id -> cosigner */
  readonly cosigned: Map<string, Map<number, Map<string, Cosigner>>>;
}

export function witnessPolicy(keys: unknown, threshold: unknown): WitnessPolicy | undefined {
  if (keys === undefined) {
    if (threshold !== undefined)
      throw new AuditConfigError('witnessThreshold needs witness keys (witnesses)', { path: 'witnessThreshold' });
    return undefined;
  }
  if (!Array.isArray(keys) || keys.length === 0) throw new AuditConfigError('witnesses must list witness keys', { path: 'witnesses' });
  const parsed = keys.map((k, i) => {
    if (typeof k !== 'string') return k as NoteVerifier;
    try {
      return parseWitnessKey(k);
    } catch (err) {
      throw new AuditConfigError(`witnesses[${i}] is not a witness key (name+id+base64 of a type 0x04 key): ${(err as Error).message}`, {
        path: `witnesses[${i}]`,
      });
    }
  });
  const k = threshold ?? 1;
  if (!Number.isInteger(k) || (k as number) < 1 || (k as number) > parsed.length)
    throw new AuditConfigError(`witnessThreshold must be 1..${parsed.length} (the witness keys given)`, { path: 'witnessThreshold' });
  return { keys: parsed, threshold: k as number, cosigned: new Map() };
}

/** Takes note of the valid cosignatures on a cosigned checkpoint note (its log signature must verify too). */
export function gatherCosignatures(note: unknown, trust: NoteVerifier[], policy: WitnessPolicy): void {
  if (typeof note !== 'string') return;
  try {
    const opened = openNote(note, [...trust, ...policy.keys]);
    if (!opened.verified.some((x) => x.timestamp === undefined)) return; // not the log's checkpoint
    const c = parseCheckpoint(opened.text);
    const chain = chainOfOrigin(c.origin);
    let bySize = policy.cosigned.get(chain);
    if (!bySize) policy.cosigned.set(chain, (bySize = new Map()));
    let who = bySize.get(c.size);
    if (!who) bySize.set(c.size, (who = new Map()));
    for (const x of opened.verified)
      if (x.timestamp !== undefined) who.set(`${x.name}+${x.keyId}`, { name: x.name, keyId: x.keyId, timestamp: x.timestamp });
  } catch {
    // A note that does not open (or a cosignature that does not verify) gives no cosignatures.
  }
}

const iso = (seconds: number) => new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');

/**
 * With witnesses: the newest matched checkpoint with enough cosignatures, its cosigners, and the
 * checkpoints whose covered entries are later than their cosignature (ts at each size from `tsAt`).
 */
export function witnessedOf(
  chain: string,
  r: TreeResult,
  policy: WitnessPolicy,
  tsAt: Map<number, string>,
): { newest?: TrustedCheckpoint; cosigners?: Cosigner[]; clockAhead: { size: number; cosignedAt: string; latestTs: string }[] } {
  const bySize = policy.cosigned.get(chain);
  let newest: TrustedCheckpoint | undefined;
  let cosigners: Cosigner[] | undefined;
  const clockAhead: { size: number; cosignedAt: string; latestTs: string }[] = [];
  for (const c of r.matched) {
    const who = [...(bySize?.get(c.size)?.values() ?? [])];
    if (who.length === 0) continue;
    const first = Math.min(...who.map((x) => x.timestamp));
    const latest = tsAt.get(c.size);
    if (latest !== undefined && latest > iso(first).replace('Z', '.999999Z'))
      clockAhead.push({ size: c.size, cosignedAt: iso(first), latestTs: latest });
    if (who.length >= policy.threshold) {
      newest = c;
      cosigners = who;
    }
  }
  return { ...(newest ? { newest, cosigners } : {}), clockAhead };
}

/** Keeps the latest entry time of a chain (RFC 3339 UTC with microseconds: strings compare as times). */
export function noteTs(tree: { maxTs?: string }, ts: string | undefined): void {
  if (ts !== undefined && (tree.maxTs === undefined || ts > tree.maxTs)) tree.maxTs = ts;
}
