// A small, realistic invoice API: login, list, read, update, delete, an admin route, an upload,
// a nested per-organisation router, a streaming export, and routes that fail. Auth is a signed
// bearer token checked by ordinary middleware; @auditready/express records every request.
//
// createApp({ express, logger }) takes the express module so tests can run it on Express 4 and 5.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { auditErrors, auditMiddleware } from '@auditready/express';

const USERS = {
  alice: { id: 'u-alice', password: 'correct-horse-battery-staple', roles: ['user'] },
  bob: { id: 'u-bob', password: 'hunter2-but-longer', roles: ['user'] },
  root: { id: 'u-root', password: 'admin-password-do-not-log', roles: ['user', 'admin'] },
};
const TOKEN_KEY = Buffer.from('example-token-signing-key-not-for-production');

export function issueToken(username) {
  const body = Buffer.from(JSON.stringify({ sub: username, iat: 1764200000 })).toString('base64url');
  const sig = createHmac('sha256', TOKEN_KEY).update(body).digest('base64url');
  return `${body}.${sig}`;
}

function verifyToken(token) {
  const [body, sig] = String(token).split('.');
  if (!body || !sig) return undefined;
  const want = createHmac('sha256', TOKEN_KEY).update(body).digest();
  const got = Buffer.from(sig, 'base64url');
  if (got.length !== want.length || !timingSafeEqual(got, want)) return undefined;
  const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  const user = USERS[claims.sub];
  return user ? { id: user.id, username: claims.sub, roles: user.roles } : undefined;
}

export function createApp({ express, logger, auditOptions = {} }) {
  const app = express();
  const invoices = new Map([
    ['inv_1001', { id: 'inv_1001', owner: 'u-alice', amount: 120, org: 'acme' }],
    ['inv_1002', { id: 'inv_1002', owner: 'u-bob', amount: 75, org: 'acme' }],
  ]);

  // Audit first: it records every request, whatever happens after.
  app.use(
    auditMiddleware({
      logger,
      policy: [
        { route: '/health', audit: 'skip' },
        { method: ['POST', 'PUT'], route: '/invoices*', audit: 'request-body' },
        { method: 'POST', route: '/login', audit: 'request-body' },
        { route: '/admin/*', audit: 'bodies' },
      ],
      ...auditOptions,
    }),
  );
  app.use(express.json({ limit: '100kb' }));

  // Auth: a bearer token sets req.user (the audit middleware reads it when the response completes).
  app.use((req, _res, next) => {
    const h = req.headers.authorization;
    if (typeof h === 'string' && h.startsWith('Bearer ')) {
      const user = verifyToken(h.slice(7));
      if (user) req.user = user;
    }
    next();
  });
  const requireUser = (req, res, next) => (req.user ? next() : res.status(401).json({ error: 'login required' }));
  const requireAdmin = (req, res, next) => {
    if (req.user?.roles.includes('admin')) return next();
    req.audit.deny('requires role admin');
    res.status(403).json({ error: 'forbidden' });
  };

  app.get('/health', (_req, res) => res.json({ ok: true, audit: logger.health().status }));

  app.post('/login', (req, res) => {
    const { username, password } = req.body ?? {};
    const user = USERS[username];
    if (!user || user.password !== password) {
      req.audit.setActor({ type: 'anonymous', name: String(username ?? '') });
      return res.status(401).json({ error: 'bad credentials' });
    }
    req.audit.setActor({ type: 'user', id: user.id, name: username });
    res.json({ token: issueToken(username) });
  });

  app.get('/invoices', requireUser, (req, res) => {
    res.json([...invoices.values()].filter((i) => i.owner === req.user.id || req.user.roles.includes('admin')));
  });
  app.get('/invoices/:id', requireUser, (req, res) => {
    const inv = invoices.get(req.params.id);
    if (!inv) return res.status(404).json({ error: 'not found' });
    if (inv.owner !== req.user.id && !req.user.roles.includes('admin')) {
      req.audit.deny('not the owner');
      return res.status(404).json({ error: 'not found' }); // hide existence, but audit the denial
    }
    res.json(inv);
  });
  app.put('/invoices/:id', requireUser, (req, res) => {
    const inv = invoices.get(req.params.id);
    if (!inv || inv.owner !== req.user.id) return res.status(404).json({ error: 'not found' });
    if (typeof req.body?.amount !== 'number') return res.status(400).json({ error: 'amount must be a number' });
    inv.amount = req.body.amount;
    req.audit.addDetails({ changed: ['amount'] });
    res.json(inv);
  });
  app.delete('/invoices/:id', requireUser, requireAdmin, (req, res) => {
    const existed = invoices.delete(req.params.id);
    res.status(existed ? 204 : 404).end();
  });
  app.post('/invoices/:id/attachments', requireUser, express.raw({ type: '*/*', limit: '1mb' }), (req, res) => {
    const size = Buffer.isBuffer(req.body) ? req.body.length : 0;
    req.audit.addDetails({ attachment: { bytes: size, contentType: req.headers['content-type'] ?? null } });
    res.status(201).json({ stored: size });
  });
  app.get('/admin/users', requireUser, requireAdmin, (_req, res) => {
    res.json(Object.entries(USERS).map(([name, u]) => ({ name, id: u.id, roles: u.roles })));
  });

  // A nested router: templates come out as /orgs/:orgId/invoices/:invId.
  const orgs = express.Router({ mergeParams: true });
  orgs.get('/invoices/:invId', requireUser, (req, res) => {
    const inv = invoices.get(req.params.invId);
    if (!inv || inv.org !== req.params.orgId) return res.status(404).json({ error: 'not found' });
    res.json(inv);
  });
  app.use('/orgs/:orgId', orgs);

  // Streaming: a CSV export written in chunks.
  app.get('/export', requireUser, async (_req, res) => {
    res.setHeader('Content-Type', 'text/csv');
    res.write('id,amount\n');
    for (const inv of invoices.values()) {
      await new Promise((r) => setTimeout(r, 5));
      res.write(`${inv.id},${inv.amount}\n`);
    }
    res.end();
  });

  // Slow: used to show a client that goes away before the answer.
  app.get('/slow', async (_req, res) => {
    await new Promise((r) => setTimeout(r, 300));
    if (!res.writableEnded) res.json({ done: true });
  });

  // Failures: a synchronous throw and an async rejection (Express 5 catches rejected promises;
  // on Express 4 the handler passes the error to next()).
  app.get('/boom', () => {
    throw new Error('invoice renderer crashed');
  });
  app.get('/boom-async', async (_req, _res, next) => {
    try {
      await Promise.reject(Object.assign(new Error('database timeout'), { code: 'ETIMEDOUT' }));
    } catch (err) {
      next(err);
    }
  });

  app.use(auditErrors());
  // eslint-disable-next-line no-unused-vars
  app.use((err, _req, res, _next) => {
    res.status(err.status ?? 500).json({ error: 'internal error' });
  });
  return app;
}
