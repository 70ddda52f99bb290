import { AuditConfigError, type AuditEntry, type AuditLogger, type AuditRecordInput } from '@auditready/core';
import { defaultActor, safeMessage } from '@auditready/node-http';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { AuditNestMiddleware } from './audit.middleware.js';
import { requestContext } from './context.js';
import { AUDIT_LOGGER } from './tokens.js';

/**
 * Records extra entries from services (business events). Inside a request, the entry gets the
 * request's id (`http.requestId` is for access entries; events carry it in `details.requestId`)
 * and, unless given, the request's actor.
 */
@Injectable()
export class AuditService {
  readonly #requests: AuditNestMiddleware | undefined;

  constructor(
    @Inject(AUDIT_LOGGER) readonly logger: AuditLogger,
    @Optional() @Inject(AuditNestMiddleware) requests?: AuditNestMiddleware,
  ) {
    this.#requests = requests;
  }

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
    if (!ctx) {
      if (this.#requests?.contextWanted()) {
        this.logger.reportError(
          new AuditConfigError(
            'AuditService is used but nothing injects it, so requests were not carried in AsyncLocalStorage: from the next request on they are; ' +
              'entries recorded until now carry no request id or actor. Inject AuditService, or set AuditModule.forRoot({ requestContext: true })',
            { path: 'requestContext' },
          ),
        );
      }
      return input;
    }
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
