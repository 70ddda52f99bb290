/**
 * The route template of a request (`/orgs/:orgId/invoices/:invId`), nested routers included.
 *
 * Express gives the final route's template (`req.route.path`) but only the concrete mount path
 * (`req.baseUrl`, `/orgs/42`). The mount templates are recovered from the app's router stack:
 * Express 5 layers keep theirs (`rawPath`); Express 4 layers keep parameter names (`keys`), which
 * replace the matched values. Computed once per request at completion, walking router layers only.
 */
interface Layer4 {
  handle: { stack?: unknown[] };
  keys?: { name: string | number }[];
  match?: (path: string) => boolean | { path: string; pattern?: string } | undefined;
  path?: string;
  params?: Record<string, string>;
  rawPath?: unknown;
}

interface ReqLike {
  baseUrl?: string;
  route?: { path?: unknown };
  app?: { _router?: { stack?: unknown[] }; router?: { stack?: unknown[] } };
}

function templatize(concrete: string, params: Record<string, string> | undefined, keys: { name: string | number }[] | undefined): string {
  if (!params || !keys || keys.length === 0) return concrete;
  const segs = concrete.split('/');
  for (const k of keys) {
    const v = params[String(k.name)];
    if (v === undefined) continue;
    const i = segs.indexOf(v);
    if (i >= 0) segs[i] = `:${String(k.name)}`;
  }
  return segs.join('/');
}

function mountTemplate(stack: unknown[] | undefined, base: string): string | undefined {
  let path = base;
  let template = '';
  let layers = stack;
  for (let depth = 0; path !== '' && layers && depth < 16; depth++) {
    let next: unknown[] | undefined;
    for (const l of layers as Layer4[]) {
      if (!Array.isArray(l?.handle?.stack) || typeof l.match !== 'function') continue;
      const m = l.match(path);
      if (!m) continue;
      if (typeof m === 'object') {
        // Express 5 (router 2): match() returns { path, pattern }.
        if (typeof m.path !== 'string' || m.path === '') continue;
        template += typeof m.pattern === 'string' ? m.pattern : typeof l.rawPath === 'string' ? l.rawPath : m.path;
        path = path.slice(m.path.length);
      } else {
        // Express 4: match() sets layer.path and layer.params.
        const matched = l.path ?? '';
        if (matched === '') continue;
        template += templatize(matched, l.params, l.keys);
        path = path.slice(matched.length);
      }
      next = l.handle.stack;
      break;
    }
    if (!next) return undefined;
    layers = next;
  }
  return path === '' ? template : undefined;
}

export function routeTemplate(req: ReqLike): string | undefined {
  const route = req.route?.path;
  if (route === undefined) return undefined;
  const own = typeof route === 'string' ? route : String(route);
  const base = req.baseUrl ?? '';
  if (base === '') return own;
  const stack = req.app?._router?.stack ?? req.app?.router?.stack;
  const mount = mountTemplate(stack, base);
  return `${mount ?? base}${own === '/' && mount !== undefined ? '' : own}`;
}

/**
 * A template that matches any path (`/{*path}`, `*`, `/*`, `(.*)`) says nothing about the request:
 * it is a framework's catch-all (Nest mounts its middleware and its 404 on one), not a route.
 */
const CATCH_ALL = /^\/?(?:\{\*\w*\}|\*\w*|\(\.\*\)|\*path)$/;

/**
 * The route template: the framework request's (Fastify's `routeOptions.url`), else Express's
 * (nested routers included); none for a catch-all, so the entry names the path instead.
 */
export function routeOf(req: object, view: object | undefined): string | undefined {
  const url = ((view as { routeOptions?: { url?: unknown } } | undefined)?.routeOptions as { url?: unknown } | undefined)?.url;
  const route = typeof url === 'string' ? url : routeTemplate(req as ReqLike);
  return route !== undefined && CATCH_ALL.test(route) ? undefined : route;
}
