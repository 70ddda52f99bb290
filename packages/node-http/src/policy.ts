/** Policy rules (first match wins), compiled once: which requests get an entry, and which bodies it keeps. */
import { AuditConfigError } from '@auditready/core';
import type { BodyCapture, PolicyRule } from './types.js';

export interface CompiledRule {
  methods: Set<string> | undefined;
  route: RegExp | undefined;
  audit: BodyCapture;
  maxBodyBytes: number;
}

const CAPTURES: readonly BodyCapture[] = ['skip', 'metadata', 'request-body', 'response-body', 'bodies'];

export const DEFAULT_RULE: CompiledRule = { methods: undefined, route: undefined, audit: 'metadata', maxBodyBytes: 8192 };

/** A route glob (`/invoices/*`) as an anchored RegExp. */
function globRe(pattern: string): RegExp {
  return new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
}

function compileRule(r: PolicyRule, i: number): CompiledRule {
  const where = `policy[${i}]`;
  if (r === null || typeof r !== 'object') throw new AuditConfigError(`${where} must be { method?, route?, audit }`, { path: where });
  if (!CAPTURES.includes(r.audit)) {
    throw new AuditConfigError(`${where}.audit must be skip, metadata, request-body, response-body or bodies`, { path: `${where}.audit` });
  }
  const methods =
    r.method === undefined ? undefined : new Set((Array.isArray(r.method) ? r.method : [r.method]).map((m) => String(m).toUpperCase()));
  let route: RegExp | undefined;
  if (r.route instanceof RegExp) route = r.route;
  else if (typeof r.route === 'string') route = globRe(r.route);
  else if (r.route !== undefined) throw new AuditConfigError(`${where}.route must be a string or RegExp`, { path: `${where}.route` });
  const max = r.maxBodyBytes ?? 8192;
  if (!Number.isInteger(max) || max < 0)
    throw new AuditConfigError(`${where}.maxBodyBytes must be an integer >= 0`, { path: `${where}.maxBodyBytes` });
  return { methods, route, audit: r.audit, maxBodyBytes: max };
}

export class Policy {
  readonly #rules: CompiledRule[];
  /** Some rule keeps response bodies: responses must be captured as they are written. */
  readonly capturesResponses: boolean;

  constructor(rules: PolicyRule[] | undefined) {
    if (rules !== undefined && !Array.isArray(rules)) throw new AuditConfigError('policy must be an array of rules', { path: 'policy' });
    this.#rules = (rules ?? []).map(compileRule);
    this.capturesResponses = this.#rules.some((x) => x.audit === 'response-body' || x.audit === 'bodies');
  }

  /** The first rule matching the method and the route template (or the path, for unmatched requests). */
  ruleFor(method: string, target: string): CompiledRule {
    for (const r of this.#rules) {
      if (r.methods && !r.methods.has(method)) continue;
      if (r.route && !r.route.test(target)) continue;
      return r;
    }
    return DEFAULT_RULE;
  }

  get empty(): boolean {
    return this.#rules.length === 0;
  }
}
