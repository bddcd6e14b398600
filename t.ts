import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { collectLive } from './src/collect/live-source.ts';
import { createLabNodes } from './test/apiserver/lab-nodes.ts';
const lab = createLabNodes('prof', 1);
const child = spawn(process.execPath, ['--import','tsx','test/apiserver/serve.ts','100','300',lab.nodes[0]!.netns,'cached'], {stdio:['pipe','pipe','inherit']});
const line = await new Promise<string>((r) => createInterface({ input: child.stdout! }).once('line', r));
const kc = JSON.parse(line).kubeconfig;
const all = Array.from({ length: 100 }, (_, i) => `node-${String(i).padStart(3, '0')}`);
await collectLive({ kubeconfig: kc, nodes: all.slice(0,1), handleSignals: false });
for (const conc of [20]) {
  const c0 = process.cpuUsage(); const t0 = performance.now();
  const ts = new Map<string, Record<string, number>>();
  await collectLive({ kubeconfig: kc, nodes: all, handleSignals: false, concurrency: conc, onProgress: (ev) => { const m = ts.get(ev.node) ?? {}; m[ev.phase] = performance.now() - t0; ts.set(ev.node, m); } });
  const rows = [...ts.values()];
  const q = (k: string) => rows.map(r => r[k] ?? 0).sort((a,b)=>a-b);
  for (const k of ['creating','waiting','collecting','done']) { const v = q(k); console.log(k, 'min', v[0]?.toFixed(0), 'med', v[50]?.toFixed(0), 'max', v[99]?.toFixed(0)); }
  const d = rows.map(r => (r['done']??0) - (r['collecting']??0)).sort((a,b)=>a-b); console.log('collect dur min/med/max', d[0]?.toFixed(0), d[50]?.toFixed(0), d[99]?.toFixed(0));
  const c = process.cpuUsage(c0);
  console.log(conc, (performance.now()-t0).toFixed(0), 'ms wall; client cpu', ((c.user+c.system)/1000).toFixed(0), 'ms');
}
child.stdin!.end(); lab.remove();
