// runtime/exec: sessions that run IR graphs on a backend, and the backend registry.
export {
  AUTO_ORDER,
  availableBackends,
  type BackendFactory,
  type BackendOptions,
  cpuBackend,
  createBackend,
  registerBackend,
} from './backends.ts';
export { checkKernels, MissingKernelError } from './plan.ts';
export { createSession, type RunOptions, Session, type SessionOptions } from './session.ts';
