/**
 * What an auditor's standards say each audit record must carry, as this format names it: the
 * rows of an evidence pack's coverage.json (share of the population that carries each field).
 */
import type { AuditEntry } from '@auditready/core';

/** PCI DSS v4.0 requirement 10.2.2: what each audit record must carry, as this format names it. */
export const PCI_10_2_2: [string, string, (e: AuditEntry) => boolean][] = [
  ['PCI DSS v4.0 10.2.2.1', 'user identification', (e) => Boolean(e.actor?.id)],
  ['PCI DSS v4.0 10.2.2.2', 'type of event', (e) => Boolean(e.action)],
  ['PCI DSS v4.0 10.2.2.3', 'date and time', (e) => Boolean(e.ts)],
  ['PCI DSS v4.0 10.2.2.4', 'success and failure indication', (e) => Boolean(e.outcome)],
  ['PCI DSS v4.0 10.2.2.5', 'origination of event', (e) => Boolean(e.actor?.ip ?? e.service?.host)],
  ['PCI DSS v4.0 10.2.2.6', 'identity or name of affected data, system component, resource, or service', (e) => Boolean(e.resource?.type)],
];

/**
 * ISO/IEC 27001:2022 control A.8.15 (logging), whose guidance (ISO/IEC 27002:2022 8.15) lists what
 * event logs should include: user IDs, system activities, dates and times with details of the
 * event, device identity or system identifier (and location), network addresses and protocols.
 */
export const ISO_8_15: [string, string, (e: AuditEntry) => boolean][] = [
  ['ISO/IEC 27002:2022 8.15 a', 'user IDs', (e) => Boolean(e.actor?.id)],
  ['ISO/IEC 27002:2022 8.15 b', 'system activities', (e) => Boolean(e.action)],
  ['ISO/IEC 27002:2022 8.15 c', 'dates, times and details of relevant events', (e) => Boolean(e.ts && (e.resource || e.http || e.details))],
  ['ISO/IEC 27002:2022 8.15 d', 'device identity or system identifier', (e) => Boolean(e.service?.name && e.service?.host)],
  ['ISO/IEC 27002:2022 8.15 e', 'network addresses and protocols', (e) => Boolean(e.actor?.ip && (e.http?.protocol || e.http?.method))],
];
