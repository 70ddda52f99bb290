import { describePublished, packageDir } from '../../../test-support/published.js';

describePublished({ pkgDir: packageDir(import.meta.dirname), name: '@auditready/metrics', exportName: 'registerOpenTelemetryMetrics' });
