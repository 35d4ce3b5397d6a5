export type { CommandIo } from './command.js';
export { DOCTOR_USAGE, runDoctor } from './command.js';
export type { RenderOptions } from './render.js';
export { renderReport } from './render.js';
export { doctor } from './run.js';
export type {
  CertificateInfo,
  CloseInfo,
  Diagnosis,
  DoctorOptions,
  DoctorReport,
  DoctorStep,
  ExchangeEntry,
  ResponseInfo,
  StepName,
  StepStatus,
} from './types.js';
export { DEFAULT_DOCTOR_TIMEOUT_MS, DoctorExitCode, stepNames } from './types.js';
