// How long --active adds: doctor and pod-to-pod on the healthy Calico VXLAN lab cluster (3 nodes,
// the examples' node count) behind the API server double, each command with and without --active
// alternately in the same run (the one without is the floor), plus `uptime` before and after.
// Needs root. Run: node --import tsx bench/active.ts [rounds]
import { execFileSync } from 'node:child_process';
import { doubleForLab } from '../test/apiserver/lab-cluster.ts';
import { runCli } from '../test/apiserver/run-cli.ts';
import { startLab } from '../test/lab/harness/index.ts';
import { calicoHealthy } from '../test/lab/incidents/base.ts';
import { labOf } from '../test/lab/incidents/cluster.ts';

const rounds = Number(process.argv[2] ?? 3);
const d = calicoHealthy();
const lab = await startLab(labOf(d), { prefix: 'actbench' });
const double = await doubleForLab(lab, d);
const uptime = () => execFileSync('uptime').toString().trim();
const COMMANDS: Record<string, string[]> = {
  doctor: ['doctor'],
  'pod-to-pod': ['pod-to-pod', 'default/client-0', 'default/web-0', '--port', '8080'],
};
const times: Record<string, number[]> = {};
try {
  process.stdout.write(`before: ${uptime()}\n`);
  for (let i = 0; i < rounds; i++)
    for (const [name, args] of Object.entries(COMMANDS))
      for (const active of [false, true]) {
        const t = Date.now();
        const r = await runCli([
          ...args,
          ...(active ? ['--active'] : []),
          '-o',
          'json',
          '--kubeconfig',
          double.kubeconfigPath,
        ]);
        const ms = Date.now() - t;
        if (r.code !== 0) throw new Error(`${name}${active ? ' --active' : ''} exited ${r.code}: ${r.stderr}`);
        const probing = active ? (JSON.parse(r.stdout) as { active: { elapsedMs: number } }).active.elapsedMs : 0;
        (times[`${name}${active ? ' --active' : ''}`] ??= []).push(ms);
        if (active) (times[`${name} --active: probing`] ??= []).push(probing);
      }
  process.stdout.write(`after: ${uptime()}\n`);
  for (const [k, v] of Object.entries(times)) {
    const s = [...v].sort((a, b) => a - b);
    process.stdout.write(`${k.padEnd(32)} median ${s[Math.floor(s.length / 2)]} ms  (${v.join(', ')})\n`);
  }
} finally {
  await double.close();
  await lab.stop();
}
