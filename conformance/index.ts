export { allCases } from './cases/index.js';
export { demoConformanceSuite } from './demo-suite.js';
export type { CategorySummary } from './report.js';
export { formatProblems, formatTable, RESULTS_DIR, summarize, writeReport } from './report.js';
export type { RunOptions } from './runner.js';
export { matchesPattern, runCase, runConformance, selectCases, targetName } from './runner.js';
export type { EchoServer } from './servers.js';
export { startWsEcho, startWsgateEcho } from './servers.js';
export * from './types.js';
