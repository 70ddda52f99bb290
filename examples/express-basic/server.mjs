// Runs the example API with an append-only audit log in ./audit (or $AUDIT_DIR).

import { writeFileSync } from 'node:fs';
import { createAuditLogger } from '@auditready/core';
import { listRoutes } from '@auditready/express';
import { createFileTransport } from '@auditready/transport-file';
import express from 'express';
import { createApp } from './app.mjs';

const logger = createAuditLogger({
  service: { name: 'invoice-api', version: '1.0.0', env: process.env.NODE_ENV ?? 'development' },
  transports: [
    createFileTransport({
      dir: process.env.AUDIT_DIR ?? new URL('./audit', import.meta.url).pathname,
      rotate: { maxBytes: 64 * 1024 * 1024 },
      compress: true,
    }),
  ],
});
const app = createApp({ express, logger });
// The route inventory for `auditready coverage --routes` (docs/cli.md).
if (process.env.ROUTES_FILE) writeFileSync(process.env.ROUTES_FILE, JSON.stringify(listRoutes(app), null, 2));
const server = app.listen(Number(process.env.PORT ?? 3000), () => {
  console.log(
    `invoice-api on http://localhost:${server.address().port} (audit log: ${process.env.AUDIT_DIR ?? 'examples/express-basic/audit'})`,
  );
});
process.on('SIGTERM', () => server.close(() => logger.close().then(() => process.exit(0))));
