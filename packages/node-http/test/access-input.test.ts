import { describe, expect, it } from 'vitest';
import { type AccessFacts, buildAccessInput, defaultResource, routeOf, singular } from '../src/index.js';

const base: AccessFacts = {
  method: 'GET',
  url: '/invoices/7?x=1',
  route: '/invoices/:id',
  statusCode: 200,
  headersSent: true,
  aborted: false,
  durationMs: 1.5,
  requestId: 'r-1',
  bytesOut: 12,
  headers: {},
  actor: undefined,
};

describe('buildAccessInput (pure: no socket, no framework)', () => {
  it('names the action after the method and route template, and keeps the status when headers were sent', () => {
    const input = buildAccessInput(base);
    expect(input).toMatchObject({
      kind: 'access',
      action: 'GET /invoices/:id',
      outcome: 'success',
      actor: { type: 'anonymous' },
      http: { method: 'GET', path: '/invoices/7?x=1', route: '/invoices/:id', status: 200, requestId: 'r-1', bytesOut: 12 },
    });
  });

  it('falls back to the path without its query when no route matched', () => {
    expect(buildAccessInput({ ...base, route: undefined, statusCode: 404 }).action).toBe('GET /invoices/7');
  });

  it.each([
    [200, false, 'success'],
    [404, false, 'failure'],
    [401, false, 'denied'],
    [403, false, 'denied'],
    [500, false, 'error'],
    [200, true, 'denied'],
  ])('status %i (denied by the app: %s) is %s', (statusCode, denied, outcome) => {
    expect(buildAccessInput({ ...base, statusCode, ...(denied ? { denyReason: 'no' } : {}) }).outcome).toBe(outcome);
  });

  it('an aborted request has no status when no headers went out, and says why', () => {
    const input = buildAccessInput({ ...base, aborted: true, headersSent: false });
    expect(input.outcome).toBe('aborted');
    expect((input.http as { status?: number }).status).toBeUndefined();
    expect(input.details).toEqual({ aborted: 'client went away before a response' });
  });

  it("copies the app's actor (never modifies it) and adds the ip and user agent", () => {
    const actor = { type: 'user' as const, id: 'u-1' };
    const input = buildAccessInput({ ...base, actor, ip: '10.0.0.1', headers: { 'user-agent': 'curl/8' } });
    expect(input.actor).toEqual({ type: 'user', id: 'u-1', ip: '10.0.0.1', userAgent: 'curl/8' });
    expect(actor).toEqual({ type: 'user', id: 'u-1' });
  });

  it('the reason: a denial wins over a reason set by the app, which wins over the error message', () => {
    const err = new Error('db down');
    expect(buildAccessInput({ ...base, error: err }).reason).toBe('db down');
    expect(buildAccessInput({ ...base, error: err, reason: 'set' }).reason).toBe('set');
    expect(buildAccessInput({ ...base, error: err, reason: 'set', denyReason: 'denied' }).reason).toBe('denied');
  });

  it('notes the error name and code, hook errors and the two-phase completion in details', () => {
    const err = Object.assign(new TypeError('x'), { code: 'E_X' });
    const input = buildAccessInput({ ...base, error: err, hookErrors: ['actor resolver threw: x'], twoPhase: true, details: { a: 1 } });
    expect(input.details).toEqual({
      a: 1,
      error: { name: 'TypeError', code: 'E_X' },
      auditErrors: ['actor resolver threw: x'],
      phase: 'completed',
    });
  });

  it('reads bytes in from a well-formed content-length only, and the trace from a valid traceparent', () => {
    const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const input = buildAccessInput({ ...base, headers: { 'content-length': '42', traceparent: tp } });
    expect((input.http as { bytesIn?: number }).bytesIn).toBe(42);
    expect(input.trace).toEqual({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', flags: '01' });
    expect((buildAccessInput({ ...base, headers: { 'content-length': '-1' } }).http as { bytesIn?: number }).bytesIn).toBeUndefined();
  });

  it('cuts client-controlled strings to the schema limits instead of rejecting the entry', () => {
    const input = buildAccessInput({ ...base, route: undefined, url: `/${'a'.repeat(10_000)}` });
    expect(input.action.length).toBeLessThanOrEqual(256);
    expect((input.http as { path: string }).path.length).toBeLessThanOrEqual(8192);
  });
});

describe('defaults: one naming convention, and no catch-all as a route', () => {
  it('a resource type is singular, whatever the route calls its collection', () => {
    expect(defaultResource({ params: { id: '7' } }, '/invoices/:id')).toEqual({ type: 'invoice', id: '7' });
    expect(defaultResource({ params: { id: '7' } }, '/categories/:id')).toEqual({ type: 'category', id: '7' });
    expect(defaultResource({ params: { id: '7' } }, '/addresses/:id')).toEqual({ type: 'address', id: '7' });
    expect(defaultResource({}, '/status')).toEqual({ type: 'status' });
    expect(singular('boxes')).toBe('box');
  });

  it("a framework's catch-all template (Nest's /{*path}) is no route: the entry names the path", () => {
    for (const path of ['/{*path}', '{*path}', '*', '/*', '(.*)']) expect(routeOf({ route: { path } }, undefined)).toBeUndefined();
    expect(routeOf({ route: { path: '/invoices/:id' } }, undefined)).toBe('/invoices/:id');
  });
});
