import { describePublished, packageDir } from '../../../test-support/published.js';

// A bin (and an ESM library entry): publint checks the bin, exports and types.
describePublished({ pkgDir: packageDir(import.meta.dirname), name: '@auditready/cli' });
