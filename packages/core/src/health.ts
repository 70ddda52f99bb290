/** The logger's health() answer, from its parts. */
import type { Checkpointer } from './checkpointer.js';
import type { DeliveryLane, OverflowPolicy } from './delivery-lane.js';
import type { AuditHealth } from './logger-types.js';

export interface HealthParts {
  closed: boolean;
  accepting: boolean;
  overflow: OverflowPolicy;
  lanes: DeliveryLane[];
  destLanes: DeliveryLane[];
  checkpointer: Checkpointer | undefined;
  chain: AuditHealth['chain'];
  recorded: number;
  rejected: number;
}

export function loggerHealth(p: HealthParts): AuditHealth {
  const transports = p.lanes.map((l) => l.health());
  const degraded = transports.some((t) => t.status === 'retrying' || t.dropped > 0) || p.rejected > 0;
  return {
    status: p.closed ? 'closed' : degraded ? 'degraded' : 'ok',
    accepting: p.accepting,
    overflow: p.overflow,
    chain: p.chain,
    recorded: p.recorded,
    rejected: p.rejected,
    transports,
    ...(p.checkpointer ? { checkpoints: { ...p.checkpointer.health(), destinations: p.destLanes.map((l) => l.health()) } } : {}),
  };
}
