import { ApiServerDouble } from './test/apiserver/server.ts';
import { createLabNodes } from './test/apiserver/lab-nodes.ts';
import { collectLive } from './src/collect/live-source.ts';
const lab = createLabNodes('smoke', 2);
const d = await ApiServerDouble.start({ nodes: lab.nodes.map(n => ({ name: n.name, netns: n.netns, internalIP: n.ip })), startDelayMs: 300 });
try {
  const t0 = Date.now();
  const snap = await collectLive({ kubeconfig: d.kubeconfigPath, handleSignals: false });
  console.log(Date.now() - t0, 'ms', Object.keys(snap.hosts), snap.warnings);
  for (const [n, h] of Object.entries(snap.hosts)) console.log(n, Object.keys(h.sections), h.errors);
  console.log('pods left', d.pods().length);
} finally { await d.close(); lab.remove(); }
