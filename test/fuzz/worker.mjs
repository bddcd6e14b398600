// Runs fuzz requests from test/fuzz/parsers.test.ts in a worker thread, so that the test can
// terminate a parser that hangs. Plain JS: it registers tsx itself, then loads the TS cases.
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { run } = await import('./cases.ts');

parentPort.on('message', (req) => {
  parentPort.postMessage(run(req));
});
