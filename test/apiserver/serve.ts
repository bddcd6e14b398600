// Runs the API server double as its own process (benchmarks, manual tries), so that it does not
// share a CPU with the netcheck under test. Prints one JSON line {"kubeconfig", "url"} when ready
// and stops when its standard input closes.
// Usage: node --import tsx test/apiserver/serve.ts NODES START_DELAY_MS NETNS [cached|netns]
import { ApiServerDouble } from './server.ts';

const [count = '1', delay = '0', netns = '', backend = 'cached'] = process.argv.slice(2);
const nodes = Array.from({ length: Number(count) }, (_, i) => ({
  name: `node-${String(i).padStart(3, '0')}`,
  netns,
  internalIP: `10.78.${i >> 8}.${i & 255}`,
}));
const d = await ApiServerDouble.start({
  nodes,
  startDelayMs: Number(delay),
  execBackend: backend === 'netns' ? 'netns' : 'cached',
});
process.stdout.write(`${JSON.stringify({ kubeconfig: d.kubeconfigPath, url: d.url })}\n`);
process.stdin.resume();
process.stdin.on('end', () => void d.close().then(() => process.exit(0)));
