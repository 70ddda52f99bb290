/**
 * `import '@auditready/core/testing/jest'` (in a Jest setup file, `setupFilesAfterEach`): registers
 * the audit matchers with Jest's global expect and types them in the global `jest` namespace
 * (@types/jest).
 */
import { AuditConfigError } from './errors.js';
import { type AuditMatchers, auditMatchers } from './testing.js';

const jestExpect = (globalThis as { expect?: { extend?(m: object): void } }).expect;
if (typeof jestExpect?.extend !== 'function')
  throw new AuditConfigError('@auditready/core/testing/jest: no global expect; load it from a Jest setup file (setupFilesAfterEach)');
jestExpect.extend(auditMatchers);

declare global {
  namespace jest {
    interface Matchers<R> extends AuditMatchers<R> {}
  }
}
