// The worker thread's entry: a worker does not inherit tsx's loader, so it registers it, then loads
// the TypeScript (as test/fuzz/worker.mjs).
import { register } from 'tsx/esm/api';

register();
await import('./host-worker.ts');
