/**
 * What an entry says when the app does not: the actor (Passport-style `req.user`), the resource
 * (from the route template), the client address, and the outcome (from the status).
 */
import { type Actor, type Outcome, type Resource, truncateString } from '@auditready/core';

/** Client-controlled strings are cut (with a marker) to the entry schema's limits, never rejected. */
export function cap(s: string, max: number): string {
  return s.length > max ? truncateString(s, max - 40) : s;
}

/** The default actor: what Passport-style auth leaves on req.user, or res.locals.user. */
export function defaultActor(req: Record<string, unknown>, res: { locals?: Record<string, unknown> }): Actor | undefined {
  const u = (req.user ?? res.locals?.user ?? res.locals?.actor) as Record<string, unknown> | undefined;
  if (u === null || typeof u !== 'object') return undefined;
  const id = u.id ?? u.sub ?? u._id ?? u.userId ?? u.username ?? u.email;
  if (id === undefined || id === null) return undefined;
  const actor: Actor = { type: u.type === 'service' ? 'service' : 'user', id: cap(String(id), 256) };
  if (typeof u.name === 'string') actor.name = cap(u.name, 256);
  if (Array.isArray(u.roles) && u.roles.every((r) => typeof r === 'string')) actor.roles = u.roles as string[];
  if (typeof u.tenant === 'string') actor.tenant = u.tenant;
  return actor;
}

/** What a route template says about its resource: the type, and the parameter holding the id. */
type ResourceShape = { type: string; param?: string } | null;
/** Route templates are few and fixed: their shapes are worked out once (bounded, in case a router makes many). */
const shapes = new Map<string, ResourceShape>();

/**
 * A resource type names one thing (`invoice`), as resolvers and @Audit name it, while a route names
 * the collection (`/invoices/:id`): the collection segment is made singular. Plain English plurals
 * only; a resolver or @Audit({ resource }) names anything else.
 */
export function singular(word: string): string {
  if (/ies$/.test(word) && word.length > 4) return `${word.slice(0, -3)}y`;
  if (/(?:ss|sh|ch|x|z)es$/.test(word)) return word.slice(0, -2);
  if (/[^siu]s$/.test(word) && word.length > 3) return word.slice(0, -1); // not status, analysis, address
  return word;
}

function resourceShape(route: string): ResourceShape {
  const segs = route.split('/').filter(Boolean);
  for (let i = segs.length - 1; i >= 0; i--) {
    const s = segs[i] as string;
    if (!s.startsWith(':')) continue;
    const name = s.slice(1).replace(/[?*+]$/, '');
    const collection = segs[i - 1] && !(segs[i - 1] as string).startsWith(':') ? (segs[i - 1] as string) : undefined;
    return { type: cap(collection ? singular(collection) : name, 128), param: name };
  }
  const last = segs.at(-1);
  return last && !last.includes('*') ? { type: singular(last) } : null;
}

/** The default resource: `/invoices/:id` -> { type: 'invoices', id: params.id }. */
export function defaultResource(req: Record<string, unknown>, route: string | undefined): Resource | undefined {
  if (!route) return undefined;
  let shape = shapes.get(route);
  if (shape === undefined) {
    shape = resourceShape(route);
    if (shapes.size < 10_000) shapes.set(route, shape);
  }
  if (shape === null) return undefined;
  if (shape.param === undefined) return { type: shape.type };
  const id = ((req.params ?? {}) as Record<string, unknown>)[shape.param];
  return id === undefined ? { type: shape.type } : { type: shape.type, id: cap(String(id), 512) };
}

export function outcomeOf(status: number, denied: boolean): Outcome {
  if (denied || status === 401 || status === 403) return 'denied';
  if (status >= 500) return 'error';
  if (status >= 400) return 'failure';
  return 'success';
}

interface IpSource {
  app?: unknown;
  ip?: unknown;
  socket?: { remoteAddress?: string } | undefined;
}

/**
 * The client address. Express: `req.ip` when the app trusts a proxy (X-Forwarded-For is then read
 * by Express's `trust proxy` rule), else the socket's address, without parsing forwarding headers
 * that would be ignored anyway. Elsewhere: the framework's `req.ip` if it sets one (Fastify's
 * follows its `trustProxy` option), else the socket's address: `remote` when the caller took it
 * already (the request layer does when a request arrives), which spares a read of `req.socket` (on
 * Express every read of req misses V8's caches: request-state.ts).
 */
export function clientIp(req: IpSource, remote?: string): string | undefined {
  const app = req.app as { get?: (k: string) => unknown } | undefined;
  if (typeof app?.get === 'function') {
    if (app.get('trust proxy')) return (req.ip as string | undefined) ?? remote ?? req.socket?.remoteAddress;
    return remote ?? req.socket?.remoteAddress;
  }
  return typeof req.ip === 'string' && req.ip !== '' ? req.ip : (remote ?? req.socket?.remoteAddress);
}
