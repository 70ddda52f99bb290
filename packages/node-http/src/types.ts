/** The request layer's public shapes: what adapters configure, and what the app calls per request. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Actor, AuditLogger, Resource } from '@auditready/core';

export type BodyCapture = 'skip' | 'metadata' | 'request-body' | 'response-body' | 'bodies';

export interface PolicyRule {
  /** Methods this rule applies to (any when absent). */
  method?: string | string[];
  /**
   * Route template (`/invoices/:id`, with `*` wildcards) or a RegExp; matched against the route
   * template once routing is done, or the path for unmatched requests (404s).
   */
  route?: string | RegExp;
  /** skip: no entry; metadata (default): no bodies; request-body / response-body / bodies: include them. */
  audit: BodyCapture;
  /** Largest body captured, in bytes (then cut with a marker). Default 8192. */
  maxBodyBytes?: number;
}

export interface AuditRequestApi {
  /** This request's id (accepted from X-Request-Id when well-formed, else generated). */
  readonly requestId: string;
  /** Set the actor from your auth code; wins over the resolver. */
  setActor(actor: Actor): void;
  /** Mark the request denied (with the reason), whatever its status. */
  deny(reason: string): void;
  setAction(action: string): void;
  setResource(resource: Resource): void;
  /** Add free-form details to this request's entry (redacted like everything else). */
  addDetails(details: Record<string, unknown>): void;
  /** Record the error that ended this request (set by auditErrors(); usable by your error handler). */
  setError(error: unknown): void;
  /** Write no entry for this request (framework adapters use it for routes marked not audited). */
  skip(): void;
  /** The entry's reason (a denial reason from deny() still wins). `ifUnset`: keep a reason already set. */
  setReason(reason: string, options?: { ifUnset?: boolean }): void;
  /**
   * For framework adapters whose request object wraps the node:http one (Nest on Fastify): the
   * resolvers, the default actor (`user`), resource (`params`), request body and route template
   * (Fastify's `routeOptions.url`) are then read from it at completion.
   */
  useRequest(request: object): void;
}

/** The request as resolvers see it: node:http's, with whatever the framework added (user, params, body, ip ...). */
export type AppRequest = IncomingMessage & Record<string, unknown>;
/** The response as resolvers see it (Express adds `locals`). */
export type AppResponse = ServerResponse & { locals?: Record<string, unknown> };

export interface RequestAuditOptions {
  logger: AuditLogger;
  /** Who: default `req.user` (id | sub | _id | username | email) or `res.locals.user`, else anonymous. */
  actor?: (req: AppRequest, res: AppResponse) => Actor | undefined;
  /** What: default `<method> <route template>`, e.g. `GET /invoices/:id`. */
  action?: (req: AppRequest, res: ServerResponse, route: string | undefined) => string;
  /** To what: default from the last route parameter, e.g. `/invoices/:id` -> { type: 'invoices', id }. */
  resource?: (req: AppRequest, res: ServerResponse, route: string | undefined) => Resource | undefined;
  /** Source ip. Default `req.ip`, which follows Express's `trust proxy` setting (X-Forwarded-For is spoofable: trust only your own proxies). */
  ip?: (req: AppRequest) => string | undefined;
  /** Policy rules, first match wins. Default: metadata for everything. */
  policy?: PolicyRule[];
  /** Request id header (accepted when well-formed, echoed on the response). Default `x-request-id`. */
  requestIdHeader?: string;
  /** Id generator. Default crypto.randomUUID. */
  generateRequestId?: () => string;
  /** Also write a `received` record when each request starts, so requests that never complete are visible. */
  twoPhase?: boolean;
  /** Answer 503 instead of serving requests the audit pipeline cannot record. Default false (fail-open, reported via health()). */
  failClosed?: boolean;
  /**
   * For framework adapters: called when an audited response ends, with its last chunk (e.g. to
   * take the message of an error body as the entry's reason). Errors it throws are reported, never
   * raised. Runs from a hook shared by all responses, so no per-request patching is needed.
   */
  onResponseEnd?: (audit: AuditRequestApi, res: ServerResponse, chunk: unknown) => void;
}
