// Captures test/fixtures/kube-proxy/v1.20.2-*-features-* from the real kube-proxy v1.20.2 of
// shared/k8s (README there), run in a lab-node namespace against the real API server:
//   node --import tsx test/e2e-real/capture-kube-proxy.ts
// Needs root and the real cluster's lock (K8S_DIR.lock); brings the control plane up and wipes it
// at the end. real-cluster.test.ts compares the iptables-mode runs with the files.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../apiserver/run-cli.ts';
import { clusterDown, locateSharedK8s, lockCluster, skipReason, unlockCluster } from './cluster.ts';
import { featureRun } from './kube-proxy-features.ts';
import { ipvsAttemptRecord, runKubeProxy, sameRules } from './kube-proxy.ts';

const shared = locateSharedK8s();
const why = skipReason(shared) ?? lockCluster();
if (why !== undefined) throw new Error(why);
const out = (name: string) => join(REPO_ROOT, 'test/fixtures/kube-proxy', name);
try {
  const up = spawnSync(join(shared.dir!, 'up.sh'), [], { encoding: 'utf8', cwd: '/' });
  const line = up.stdout.split('\n').find((l) => l.startsWith('KUBECONFIG='));
  if (up.status !== 0 || line === undefined) throw new Error(`up.sh: ${up.stderr}`);
  const admin = line.slice('KUBECONFIG='.length);

  const plain = await runKubeProxy(admin, featureRun('iptables'));
  writeFileSync(out('v1.20.2-iptables-features-node-a.txt'), plain.rules);
  const npa = await runKubeProxy(admin, featureRun('iptables', ['--nodeport-addresses=192.168.1.0/24']));
  writeFileSync(out('v1.20.2-iptables-features-nodeport-addresses-node-a.txt'), npa.rules);
  // IPVS mode on a kernel without ip_vs: what kube-proxy says, and that it wrote no ipset and
  // the iptables mode's rules.
  const ipvs = await runKubeProxy(admin, featureRun('ipvs'));
  if (sameRules(ipvs.rules, plain.rules) !== true) throw new Error('IPVS mode left other rules than iptables mode');
  writeFileSync(out('v1.20.2-ipvs-mode-without-ip_vs.txt'), ipvsAttemptRecord(ipvs));
  process.stdout.write(`${plain.version}: captured\n`);
} finally {
  clusterDown(shared.dir!);
  unlockCluster();
}
