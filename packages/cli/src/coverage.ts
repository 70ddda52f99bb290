/**
 * `auditready coverage`: which of an app's routes the log of a period shows audited, which are
 * not audited by design (a policy's skip, @NoAudit, mounted before the audit middleware) and which
 * were never seen. A route that changes state (POST, PUT, PATCH, DELETE) and is not audited is
 * flagged: requests to it leave no record.
 */
import { readFileSync } from 'node:fs';
import { parseCommand } from './args.js';
import { expandInputs, readLines, UsageError } from './inputs.js';
import { redactArgs } from './keys.js';
import { parseTime } from './query-command.js';
import { openReaderLog, readerLogDir } from './reader-log.js';

/** One route of the inventory (listRoutes / listNestRoutes in the adapters). */
export interface InventoryRoute {
  method: string;
  route: string;
  audit: 'audited' | 'skipped-by-policy' | 'no-audit' | 'not-behind-middleware';
  capture?: string;
}

export type CoverageStatus = 'audited' | 'never-seen' | 'skipped-by-policy' | 'no-audit' | 'not-behind-middleware';

export interface RouteCoverage {
  method: string;
  route: string;
  status: CoverageStatus;
  /** Access entries of the period for this route. */
  seen: number;
  /** A mutating route whose requests get no entry. */
  flagged: boolean;
}

export interface CoverageReport {
  routes: RouteCoverage[];
  /** Routes the log shows that the inventory does not list (the inventory is older than the app?). */
  unlisted: { method: string; route: string; seen: number }[];
  flagged: number;
  entries: number;
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE', 'ALL']);
const STATES = new Set(['audited', 'skipped-by-policy', 'no-audit', 'not-behind-middleware']);

/** Reads and checks a route inventory (the JSON listRoutes / listNestRoutes return). */
export function readInventory(path: string): InventoryRoute[] {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UsageError(`--routes ${path}: ${(err as Error).message}`);
  }
  const routes = (doc as { format?: unknown; routes?: unknown })?.routes;
  if ((doc as { format?: unknown })?.format !== 'auditready-routes/1' || !Array.isArray(routes))
    throw new UsageError(
      `--routes ${path}: not a route inventory (format auditready-routes/1, from listRoutes(app) or listNestRoutes(app))`,
    );
  for (const [i, r] of routes.entries()) {
    const x = r as Partial<InventoryRoute>;
    if (typeof x?.method !== 'string' || typeof x.route !== 'string' || !STATES.has(String(x.audit)))
      throw new UsageError(`--routes ${path}: routes[${i}] needs method, route and audit`);
  }
  return routes as InventoryRoute[];
}

/** Coverage of `inventory` by the access entries given (already limited to the period). */
export function routeCoverage(inventory: readonly InventoryRoute[], seen: ReadonlyMap<string, number>): CoverageReport {
  const keys = new Set(inventory.map((r) => `${r.method} ${r.route}`));
  const counts = new Map<string, number>();
  const unlisted: CoverageReport['unlisted'] = [];
  let entries = 0;
  for (const [key, n] of seen) {
    entries += n;
    const sp = key.indexOf(' ');
    const method = key.slice(0, sp);
    const route = key.slice(sp + 1);
    // Express answers HEAD with the GET route; a route for every method takes any.
    const target = [key, method === 'HEAD' ? `GET ${route}` : '', `ALL ${route}`].find((k) => k !== '' && keys.has(k));
    if (target === undefined) unlisted.push({ method, route, seen: n });
    else counts.set(target, (counts.get(target) ?? 0) + n);
  }
  const routes = inventory.map((r): RouteCoverage => {
    const n = counts.get(`${r.method} ${r.route}`) ?? 0;
    const status: CoverageStatus = r.audit !== 'audited' ? r.audit : n > 0 ? 'audited' : 'never-seen';
    return { method: r.method, route: r.route, status, seen: n, flagged: r.audit !== 'audited' && MUTATING.has(r.method) };
  });
  return { routes, unlisted, flagged: routes.filter((r) => r.flagged).length, entries };
}

export const COVERAGE_HELP = `auditready coverage — which routes the log shows audited

Usage: auditready coverage --routes <routes.json> <log files|dirs...> [--since <time>] [--until <time>] [--json]

--routes is the app's route inventory: JSON.stringify(listRoutes(app)) from @auditready/express, or
listNestRoutes(app) from @auditready/nestjs, saved when the app starts (or in a test). For the
period, every route is reported as:
  audited                 entries seen
  never-seen              audited, but no request in the period (untested? unused?)
  skipped-by-policy       a policy rule skips it
  no-audit                marked @NoAudit()
  not-behind-middleware   registered before the audit middleware (or in an app without it)
Routes that change state (POST, PUT, PATCH, DELETE, or every method) and are not audited are
FLAGGED: requests to them leave no record. Routes seen in the log but not in the inventory are
listed too (an inventory older than the app). Coverage reads entries; it does not verify them
(auditready verify does).

Exit codes: 0 no route flagged; 1 a mutating route is not audited; 2 usage or I/O error.
`;

async function countRoutes(inputs: string[], since: number | undefined, until: number | undefined): Promise<Map<string, number>> {
  const { files } = await expandInputs(inputs);
  const seen = new Map<string, number>();
  for (const f of files) {
    for await (const line of readLines(f, () => {})) {
      if (!line.includes('"access"')) continue;
      let e: { kind?: string; ts?: string; http?: { method?: string; route?: string } };
      try {
        e = JSON.parse(line);
      } catch {
        continue; // verify reports it
      }
      if (e.kind !== 'access' || typeof e.http?.route !== 'string' || typeof e.http.method !== 'string') continue;
      const t = Date.parse(e.ts ?? '');
      if ((since !== undefined && !(t >= since)) || (until !== undefined && !(t < until))) continue;
      const key = `${e.http.method.toUpperCase()} ${e.http.route}`;
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
  }
  return seen;
}

function table(r: CoverageReport): string {
  const rows = [...r.routes].sort((a, b) => Number(b.flagged) - Number(a.flagged) || a.route.localeCompare(b.route));
  const w = Math.max(5, ...rows.map((x) => x.method.length + 1 + x.route.length));
  const lines = rows.map(
    (x) => `${x.flagged ? 'FLAGGED ' : '        '}${`${x.method} ${x.route}`.padEnd(w)}  ${x.status.padEnd(21)}  ${x.seen}`,
  );
  for (const u of r.unlisted) lines.push(`        ${`${u.method} ${u.route}`.padEnd(w)}  ${'not in the inventory'.padEnd(21)}  ${u.seen}`);
  const audited = r.routes.filter((x) => x.status === 'audited').length;
  return `${'        '}${'route'.padEnd(w)}  ${'status'.padEnd(21)}  entries\n${lines.join('\n')}\n\n${audited} of ${r.routes.length} routes audited in the period; ${r.flagged} mutating route(s) not audited${r.flagged ? ' (FLAGGED: requests to them leave no record)' : ''}\n`;
}

export async function runCoverage(rest: string[], env: NodeJS.ProcessEnv, argv: string[]): Promise<number> {
  const parsed = parseCommand(rest, {
    routes: { type: 'string' },
    since: { type: 'string' },
    until: { type: 'string' },
    json: { type: 'boolean' },
    'reader-log': { type: 'string' },
  });
  const { values, positionals } = parsed as { values: Record<string, string | boolean | undefined>; positionals: string[] };
  if (values.help) {
    process.stdout.write(COVERAGE_HELP);
    return 0;
  }
  if (typeof values.routes !== 'string')
    throw new UsageError('coverage needs --routes <routes.json> (listRoutes(app) / listNestRoutes(app))');
  const inventory = readInventory(values.routes);
  const since = typeof values.since === 'string' ? parseTime(values.since, '--since') : undefined;
  const until = typeof values.until === 'string' ? parseTime(values.until, '--until') : undefined;
  if (positionals.length === 0) throw new UsageError('coverage needs the log (files or directories)');
  const reader = await openReaderLog(readerLogDir(values['reader-log'] as string | undefined, env));
  const report = routeCoverage(inventory, await countRoutes(positionals, since, until));
  await reader.record({
    command: 'coverage',
    argv: redactArgs(argv),
    files: positionals,
    outcome: 'success',
    summary: { routes: report.routes.length, flagged: report.flagged, entries: report.entries },
  });
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : table(report));
  return report.flagged > 0 ? 1 : 0;
}
