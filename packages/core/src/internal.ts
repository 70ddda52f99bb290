/** Hooks between the logger and the worker bridge (@auditready/core/worker); not public API. */
export const SEAL_AT: unique symbol = Symbol('auditready.sealAt');
export const CLOCK_STEP: unique symbol = Symbol('auditready.clockStep');
export const SEAL_REJECTED: unique symbol = Symbol('auditready.sealRejected');
export const ROOM: unique symbol = Symbol('auditready.room');
export const TREE: unique symbol = Symbol('auditready.tree');
