/**
 * For the proof tests: the kind of the AuditProofError a call throws (from the source or the
 * built package alike: matched by its code), or undefined when it holds.
 */
export function proofKind(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    const x = e as { code?: unknown; kind?: unknown };
    if (x?.code === 'ERR_AUDIT_PROOF' && typeof x.kind === 'string') return x.kind;
    throw e;
  }
}
