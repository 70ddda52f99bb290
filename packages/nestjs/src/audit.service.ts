import type { AuditEntry, AuditLogger, AuditRecordInput } from '@auditready/core';
import { defaultActor, safeMessage } from '@auditready/node-http';
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

  /** Records the entry now and returns it sealed. */
  record(input: AuditRecordInput): AuditEntry {
    return this.logger.record(this.#inContext(input));
  }

  /**
   * Takes the entry now (its timestamp and place in the chain are fixed here) and seals it with the
   * next batch; returns nothing. With a worker-thread logger this avoids record()'s synchronous
   * round trip into the worker.
   */
  recordLater(input: AuditRecordInput): void {
    this.logger.recordLater(this.#inContext(input));
  }

  #inContext(input: AuditRecordInput): AuditRecordInput {
    const ctx = requestContext.getStore();
    if (!ctx) return input;
    // The same guarded path as the access entry's actor: a user object whose getters throw costs
    // the actor, noted, never the business event.
    let actor = input.actor;
    const problems: string[] = [];
    if (actor === undefined) {
      try {
        actor = defaultActor(ctx.req, {});
      } catch (err) {
        problems.push(`actor resolver threw: ${safeMessage(err)}`);
      }
    }
    return {
      ...input,
      ...(actor ? { actor } : {}),
      details: {
        ...input.details,
        ...(ctx.requestId ? { requestId: ctx.requestId } : {}),
        ...(problems.length > 0 ? { auditErrors: problems } : {}),
      },
    };
  }
}
