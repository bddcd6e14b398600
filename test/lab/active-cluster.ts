// A lab cluster behind the API server double for the --active lab tests: the probe pods exec in
// the node namespaces, and the LAN switch (a bridge) filters with bridge-family nftables, which no
// node's state shows.
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import type { ReportDoc } from '../../src/checks/report-doc.ts';
import { doubleForLab } from '../apiserver/lab-cluster.ts';
import { runCli } from '../apiserver/run-cli.ts';
import type { ApiServerDouble } from '../apiserver/server.ts';
import { startLab } from './harness/index.ts';
import type { RunningLab } from './harness/index.ts';
import { labOf, switchName } from './incidents/cluster.ts';
import type { ClusterDecl } from './incidents/cluster.ts';

const SW = switchName('lan');

export interface Cluster {
  lab: RunningLab;
  double: ApiServerDouble;
  cli(args: readonly string[]): Promise<{ code: number | null; doc: ReportDoc; ms: number; stderr: string }>;
  /** Bridge-family nftables rules on the LAN switch (replacing the previous ones). */
  filter(rules: readonly string[]): Promise<void>;
}

async function cluster(d: ClusterDecl): Promise<Cluster> {
  const lab = await startLab(labOf(d), { prefix: `act${d.name.slice(0, 6)}` });
  const nft = async (cmd: string) => {
    const r = await lab.exec(SW, ['nft', cmd]);
    assert.equal(r.code, 0, `nft ${cmd}: ${r.stderr}`);
  };
  let double: ApiServerDouble;
  try {
    await nft('add table bridge underlay');
    await nft('add chain bridge underlay through { type filter hook forward priority 0; policy accept; }');
    double = await doubleForLab(lab, d);
  } catch (e) {
    await lab.stop();
    throw e;
  }
  return {
    lab,
    double,
    async cli(args) {
      const t = Date.now();
      const r = await runCli([...args, '-o', 'json', '--kubeconfig', double.kubeconfigPath]);
      const ms = Date.now() - t;
      let doc: ReportDoc;
      try {
        doc = JSON.parse(r.stdout) as ReportDoc;
      } catch {
        throw new Error(`no report (exit ${r.code}): ${r.stderr}\n${r.stdout.slice(0, 2000)}`);
      }
      return { code: r.code, doc, ms, stderr: r.stderr };
    },
    async filter(rules) {
      await nft('flush chain bridge underlay through');
      for (const rule of rules) await nft(`add rule bridge underlay through ${rule}`);
    },
  };
}

export const ids = (doc: ReportDoc) => doc.findings.map((f) => `${f.id} ${f.node ?? ''}`).sort();
export const activeIds = (doc: ReportDoc) =>
  doc.findings
    .filter((f) =>
      [
        'underlay-drops-encapsulation',
        'path-mtu-black-hole',
        'flow-not-answered',
        'underlay-drops-pod-traffic',
        'reply-path-broken',
        'prediction-mismatch',
        'active-not-observed',
      ].includes(f.id),
    )
    .map((f) => `${f.id} ${f.node ?? ''}`)
    .sort();

/** The cluster of the enclosing describe: started before its tests, removed after them. */
export function clusterFor(d: () => ClusterDecl): () => Cluster {
  let c: Cluster | undefined;
  before(async () => {
    c = await cluster(d());
  });
  after(async () => {
    await c?.double.close();
    await c?.lab.stop();
  });
  return () => c!;
}
