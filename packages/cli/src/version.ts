/** This package's version, from its package.json: injected at build time by tsup's `define`, never written by hand. */
declare const __AUDITREADY_CLI_VERSION__: string;

export const CLI_VERSION: string = __AUDITREADY_CLI_VERSION__;
