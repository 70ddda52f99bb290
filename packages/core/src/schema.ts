/**
 * Checking entries against the entry schema (schema-def.ts). The validators are ajv's, generated
 * ahead of time (scripts/gen-validators.mjs, src/generated/schema-validators.js, kept current by
 * test/schema-validators.test.ts): nothing is compiled at run time, so the logger and the verifier work where
 * code generation from strings is refused (`--disallow-code-generation-from-strings`, a CSP).
 */
import type { ErrorObject } from 'ajv';
import { AuditSchemaError } from './errors.js';
import { bodyExplain, bodyFast, entryExplain, entryFast, type Validate } from './generated/schema-validators.js';
import type { AuditEntry } from './types.js';

export { bodySchema, entrySchema, SEALED_CONTENT } from './schema-def.js';

/**
 * The fast validator stops at the first error: it is on record()'s hot path. The explaining one
 * reports every error and runs only for values already found invalid.
 */
function run(fast: Validate, explain: Validate, value: unknown): SchemaResult {
  if (fast(value)) return VALID;
  explain(value);
  return { valid: false, errors: describeErrors(explain.errors) };
}
const VALID: SchemaResult = Object.freeze({ valid: true, errors: [] }) as SchemaResult;

function toPath(instancePath: string): string {
  // ajv gives JSON pointers (/http/status); show them as the rest of the library does (http.status).
  return instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s, i) => (/^\d+$/.test(s) ? `[${s}]` : i === 0 ? s : `.${s}`))
    .join('');
}

function describeErrors(errors: readonly ErrorObject[] | null | undefined): { path: string; message: string }[] {
  return (errors ?? [])
    .filter((e) => e.keyword !== 'if')
    .map((e) => {
      const path = toPath(e.instancePath);
      const extra =
        e.keyword === 'additionalProperties' ? ` (${String((e.params as { additionalProperty?: string }).additionalProperty)})` : '';
      return { path, message: `${e.message ?? e.keyword}${extra}` };
    });
}

export interface SchemaResult {
  valid: boolean;
  errors: { path: string; message: string }[];
}

/** Checks a (sealed) entry against the schema; never throws. */
export function checkEntry(entry: unknown): SchemaResult {
  return run(entryFast, entryExplain, entry);
}

/** Checks an entry body before sealing: the whole schema except the chain fields. */
export function checkBody(body: unknown): SchemaResult {
  return run(bodyFast, bodyExplain, body);
}

/** Throws AuditSchemaError listing every violation. */
export function assertValidEntry(entry: unknown): asserts entry is AuditEntry {
  const r = checkEntry(entry);
  if (!r.valid) {
    const first = r.errors[0];
    const summary = r.errors.map((e) => `${e.path === '' ? '(root)' : e.path}: ${e.message}`).join('; ');
    throw new AuditSchemaError(`entry does not match the v1 schema: ${summary}`, r.errors, first?.path);
  }
}
