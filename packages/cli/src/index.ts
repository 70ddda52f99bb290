// @auditready/cli: the programmatic side of the `auditready` command, listed by hand.

export type { CoverageReport, CoverageStatus, InventoryRoute, RouteCoverage } from './coverage.js';
export { readInventory, routeCoverage } from './coverage.js';
export type { DrillOptions, DrillProbe, DrillRequest, DrillResult } from './drill.js';
export { outcomeForStatus, parseDrillRequest, runDrill } from './drill.js';
export type { EvidenceOptions, EvidenceResult } from './evidence.js';
export { createEvidencePack, drawSample, EvidenceRefusedError } from './evidence.js';
export type { EvidenceCheck } from './evidence-verify.js';
export { verifyEvidencePack } from './evidence-verify.js';
export type { InputFile } from './inputs.js';
export { expandInputs, isLogFile, readLines, UsageError } from './inputs.js';
export { collectKeys, redactArgs } from './keys.js';
export { main } from './main.js';
export type { QueryFilters } from './query-command.js';
export { buildPredicate, parseTime } from './query-command.js';
export type { FileStatus, VerifyFilesOptions, VerifyFilesResult } from './verify-files.js';
export { verifyFiles } from './verify-files.js';
