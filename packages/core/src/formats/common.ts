/** What the three mappings share: times, the login test, the chain's own record kinds. */
import type { AuditEntry } from '../types.js';

/** Entry ts (RFC 3339, microseconds) as epoch milliseconds and as nanoseconds (a decimal string). */
export function timesOf(ts: string): { ms: number; nanos: string } {
  const ms = Date.parse(ts);
  const frac = /\.(\d+)Z$/.exec(ts)?.[1] ?? '';
  const micros = Number(`${frac}000000`.slice(3, 6)); // the digits below the millisecond
  return { ms, nanos: `${BigInt(ms) * 1_000_000n + BigInt(micros) * 1000n}` };
}

/** A login or logout, by its action or route: mapped as authentication where a format has it. */
export function authActivity(e: AuditEntry): 'logon' | 'logoff' | undefined {
  const text = `${e.action ?? ''} ${e.http?.route ?? ''}`.toLowerCase();
  if (/(^|[^a-z])(log[-_ ]?out|log[-_ ]?off|sign[-_ ]?out)([^a-z]|$)/.test(text)) return 'logoff';
  if (/(^|[^a-z])(log[-_ ]?in|log[-_ ]?on|sign[-_ ]?in|authenticate|session\.create)([^a-z]|$)/.test(text)) return 'logon';
  return undefined;
}

/** The chain's own records (not an access or a business event). */
export const isBookkeeping = (e: AuditEntry): boolean => e.kind !== 'access' && e.kind !== 'event';

/** CRUD of an access or event: its HTTP method, else its action's last word. */
export function crudOf(e: AuditEntry): 'create' | 'read' | 'update' | 'delete' | undefined {
  const m = e.http?.method?.toUpperCase();
  if (m === 'POST') return 'create';
  if (m === 'GET' || m === 'HEAD') return 'read';
  if (m === 'PUT' || m === 'PATCH') return 'update';
  if (m === 'DELETE') return 'delete';
  const verb = /[.:/_ -]?([a-z]+)$/i.exec(e.action ?? '')?.[1]?.toLowerCase();
  if (verb === undefined) return undefined;
  if (['create', 'created', 'add', 'insert', 'upload', 'issue', 'issued'].includes(verb)) return 'create';
  if (['read', 'get', 'list', 'view', 'export', 'download', 'search', 'query'].includes(verb)) return 'read';
  if (['update', 'updated', 'edit', 'patch', 'change', 'set', 'rename'].includes(verb)) return 'update';
  if (['delete', 'deleted', 'remove', 'removed', 'destroy', 'purge'].includes(verb)) return 'delete';
  return undefined;
}

/** Drops undefined members (the formats never carry an absent field as null). */
export function compact<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}
