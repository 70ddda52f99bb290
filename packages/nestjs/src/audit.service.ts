import type { AuditEntry, AuditLogger, AuditRecordInput } from '@auditready/core';
import { defaultActor } from '@auditready/express';
import { Inject, Injectable } from '@nestjs/common';
import { requestContext } from './context.js';
import { AUDIT_LOGGER } from './tokens.js';

/**
 * Records extra entries from services (business events). Inside a request, the entry gets the
 * request's id (`http.requestId` is for access entries; events carry it in `details.requestId`)
 * and, unless given, the request's actor.
 */
@Injectable()
export class AuditService {
  constructor(@Inject(AUDIT_LOGGER) readonly logger: AuditLogger) {}

  record(input: AuditRecordInput): AuditEntry {
    const ctx = requestContext.getStore();
    if (!ctx) return this.logger.record(input);
    const actor = input.actor ?? defaultActor(ctx.req, {});
    return this.logger.record({
      ...input,
      ...(actor ? { actor } : {}),
      details: { ...input.details, ...(ctx.requestId ? { requestId: ctx.requestId } : {}) },
    });
  }
}
