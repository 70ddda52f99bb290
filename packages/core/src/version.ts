/**
 * This package's version, from its package.json: injected at build time by tsup's `define`
 * (and by vitest's when tests run the sources), never written by hand.
 */
declare const __AUDITREADY_CORE_VERSION__: string;

export const CORE_VERSION: string = __AUDITREADY_CORE_VERSION__;
