/**
 * `import '@auditready/core/testing/vitest'` (in a setup file, or the test itself): registers the
 * audit matchers with vitest's expect and types them, so `expect(audit).toHaveAudited({...})`
 * compiles and runs with no hand-written module augmentation.
 */
import { expect } from 'vitest';
import { type AuditMatchers, auditMatchers } from './testing.js';

expect.extend(auditMatchers);

declare module 'vitest' {
  // biome-ignore lint/suspicious/noExplicitAny: must match vitest's own declaration
  interface Matchers<T = any> extends AuditMatchers<T> {}
}
