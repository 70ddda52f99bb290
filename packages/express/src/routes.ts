/**
 * `listRoutes(app)`: the app's routes from its router stack (Express 4 and 5, nested routers
 * included), each classified by the auditMiddleware() in front of it, for `auditready coverage`.
 */
import { auditorOf, classifyRoute, joinRoute, type RequestAuditor, type RouteInfo, type RouteInventory } from '@auditready/node-http';

interface LayerLike {
  handle?: unknown;
  route?: { path?: unknown; methods?: Record<string, boolean> };
  /** Express 5 (router 2): the path the layer was mounted with. */
  rawPath?: unknown;
  /** Express 4: the compiled mount path and its parameter names. */
  regexp?: RegExp & { fast_slash?: boolean };
  keys?: { name: string | number; optional?: boolean }[];
}

interface AppLike {
  _router?: { stack?: unknown[] };
  router?: { stack?: unknown[] };
}

/** An audit layer and the mount template it covers. */
interface Scope {
  auditor: RequestAuditor;
  prefix: string;
}

/**
 * Express 4 keeps a mount path only compiled (path-to-regexp 0.1): `^\/orgs(?:\/([^\/]+?))\/?(?=\/|$)`
 * with keys [orgId] reads back as `/orgs/:orgId`. A pattern it cannot read back is named by its
 * source, so the route is still listed.
 */
function express4Mount(l: LayerLike): string {
  const re = l.regexp;
  if (!re || re.fast_slash) return '';
  const keys = [...(l.keys ?? [])];
  let s = re.source
    .replace(/^\^/, '')
    .replace(/\\\/\?\(\?=\\\/\|\$\)$/, '')
    .replace(/\\\/\?\$$/, '');
  s = s.replace(
    /\(\?:\\\/\(\[\^\\?\/\]\+\?\)\)(\?)?/g,
    (_m, opt: string | undefined) => `/:${String(keys.shift()?.name ?? '')}${opt ?? ''}`,
  );
  s = s.replace(/\\(.)/g, '$1');
  return /[()[\]^$*+?|]/.test(s.replace(/:\w+\??/g, '')) ? re.source : s;
}

function mountOf(l: LayerLike): string {
  if (l.rawPath !== undefined) return typeof l.rawPath === 'string' && l.rawPath !== '/' ? l.rawPath : '';
  return express4Mount(l);
}

function methodsOf(route: NonNullable<LayerLike['route']>): string[] {
  const names = Object.keys(route.methods ?? {}).filter((m) => route.methods?.[m]);
  // Express 4 marks app.all() with _all; newer releases list every method (more than 20).
  if (names.includes('_all') || names.length > 20) return ['ALL'];
  return names.map((m) => m.toUpperCase());
}

function pathsOf(p: unknown): string[] {
  if (Array.isArray(p)) return p.flat(Number.POSITIVE_INFINITY).map((x) => String(x));
  return [typeof p === 'string' ? p : String(p)];
}

function covers(scope: Scope | undefined, route: string): RequestAuditor | undefined {
  if (!scope) return undefined;
  const p = scope.prefix;
  if (p === '' || route === p || route.startsWith(p.endsWith('/') ? p : `${p}/`)) return scope.auditor;
  return undefined;
}

function walk(stack: unknown[], prefix: string, inherited: Scope | undefined, out: RouteInfo[], depth: number): void {
  let scope = inherited;
  for (const raw of stack) {
    const l = raw as LayerLike;
    const auditor = auditorOf(l.handle);
    if (auditor) {
      scope = { auditor, prefix: joinRoute(prefix, mountOf(l)) };
      if (scope.prefix === '/') scope.prefix = '';
      continue;
    }
    if (l.route) {
      for (const own of pathsOf(l.route.path)) {
        const route = joinRoute(prefix, own);
        for (const m of methodsOf(l.route)) out.push(classifyRoute(covers(scope, route), m, route));
      }
      continue;
    }
    const inner = (l.handle as { stack?: unknown } | undefined)?.stack;
    if (Array.isArray(inner) && depth < 16) walk(inner, joinRoute(prefix, mountOf(l)).replace(/^\/$/, ''), scope, out, depth + 1);
  }
}

/**
 * Every route of an Express app (4 or 5) with the method and template its entries carry, and
 * whether it is audited: behind auditMiddleware() (registered before it, in the same router or
 * a parent), and not skipped by its policy. Save it as JSON for `auditready coverage --routes`.
 */
export function listRoutes(app: unknown): RouteInventory {
  const a = app as AppLike;
  const stack = a?._router?.stack ?? a?.router?.stack;
  const routes: RouteInfo[] = [];
  if (Array.isArray(stack)) walk(stack, '', undefined, routes, 0);
  return { format: 'auditready-routes/1', framework: 'express', routes };
}
