// Builds each incident lab (and the healthy one), probes every node with the real probe and
// writes examples/<name>.json: a netcheck.dev/v1 snapshot whose hosts are the captured probe
// entries and whose objects come from the same cluster declaration (test/lab/incidents).
// Needs root (network namespaces).  Usage: node --import tsx scripts/capture-examples.ts [name ...]
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sortEntry } from '../src/collect/collect-host.ts';
import { readSnapshot, writeSnapshot } from '../src/snapshot/io.ts';
import { SNAPSHOT_API_VERSION, SNAPSHOT_KIND } from '../src/snapshot/types.ts';
import type { HostEntry, Snapshot } from '../src/snapshot/types.ts';
import { labUnsupportedReason, startLab } from '../test/lab/harness/index.ts';
import { ipvsadmSave, isCalico, labOf, serviceEndpoints } from '../test/lab/incidents/cluster.ts';
import { SCENARIOS } from '../test/lab/incidents/index.ts';
import { objectsOf } from '../test/lab/incidents/objects.ts';
import { probeHosts } from '../test/lab/incidents/scenario.ts';
import type { Scenario } from '../test/lab/incidents/scenario.ts';

const OUT = 'examples';

async function capture(s: Scenario): Promise<Snapshot> {
  const d = s.decl;
  const capturedAt = new Date().toISOString();
  const lab = await startLab(labOf(d), { prefix: `ex_${d.name.replace(/[^A-Za-z0-9]/g, '_')}`.slice(0, 20) });
  let entries: Record<string, HostEntry>;
  try {
    entries = await probeHosts(
      lab,
      d.nodes.map((n) => n.name),
    );
  } finally {
    await lab.stop();
  }
  const hosts: Record<string, HostEntry> = {};
  for (const n of [...d.nodes].sort((a, b) => a.name.localeCompare(b.name))) {
    const e = entries[n.name]!;
    if (d.kubeProxyMode === 'ipvs') {
      // The kernel here has no IPVS: the probe's ipvsadm failed. Put in what kube-proxy programs
      // (examples/README.md says so), so the snapshot is what a real IPVS node would give.
      e.sections['ipvsadm'] = ipvsadmSave(d, (svc) => serviceEndpoints(d, svc));
      delete e.errors['ipvsadm'];
    }
    hosts[n.name] = sortEntry(e);
  }
  return {
    apiVersion: SNAPSHOT_API_VERSION,
    kind: SNAPSHOT_KIND,
    capturedAt,
    context: `lab-${d.name}`,
    objects: objectsOf(d),
    hosts,
  };
}

function cluster(s: Scenario): string {
  const d = s.decl;
  const nodes = d.nodes
    .map((n) => {
      const kubeadm = d.nodePodCidrs?.[n.name];
      return `${n.name} ${n.ip} (${isCalico(d) ? 'block' : 'podCIDR'} ${n.podCidr}${kubeadm !== undefined ? `; node.spec.podCIDR ${kubeadm}, unused by the CNI's IPAM` : ''})`;
    })
    .join(', ');
  const pods = d.pods.map((p) => `${p.namespace}/${p.name} ${p.ip} on ${p.node}`).join(', ');
  const lan = d.lanHosts.map((l) => `${l.name} ${l.addr.split('/')[0]}`).join(', ');
  return `${d.cni}, kube-proxy ${d.kubeProxyMode}. Nodes: ${nodes}. Pods: ${pods}. LAN host: ${lan}; LAN router ${d.router.name} ${d.router.nics.map((x) => x.addr.split('/')[0]).join(', ')}.`;
}

function readme(): string {
  const out = [
    '# Example snapshots',
    '',
    'Each file is a `netcheck.dev/v1` snapshot captured from a lab cluster built in network namespaces',
    '(`scripts/capture-examples.ts`, from the declarations in `test/lab/incidents/`): `hosts` holds the',
    'real probe output of every node, `objects` the Kubernetes objects generated from the same',
    'declaration, so both agree. The lab tests in `test/lab/incidents/` send real packets through the',
    'same labs and check that the engine predicts what the kernel did.',
    '',
    'Lab limits: the kernel that captured these has no IPIP, dummy or IPVS. The Calico incidents that',
    "happened with IPIP (tunl0) are reproduced with Calico's VXLAN mode (vxlan.calico); kube-ipvs0 is a",
    'bridge without ports (down, like the real dummy device), and in `externalip-node-address.json` the',
    "`ipvsadm` section is the text kube-proxy's virtual servers would print (`ipvsadm -S -n`), generated",
    'from the Services and EndpointSlices, not captured. Everywhere else a missing `ipvsadm` is the',
    'real error of this kernel, and `file:/run/flannel/subnet.env` is absent on non-flannel clusters.',
    "The rules on the nodes are what the CNI writes (felix's VXLAN accept/drop and natOutgoing,",
    "Cilium's CILIUM_POST_nat, flannel's ipMasq rules) and, on iptables-mode clusters, kube-proxy's",
    'KUBE-SERVICES/KUBE-SVC-*/KUBE-SEP-* chains for the Services (names hashed as kube-proxy does);',
    "the IPVS-mode example has kube-ipvs0 and the virtual servers but not kube-proxy's KUBE-* ipsets",
    'and iptables rules.',
    '',
  ];
  for (const s of SCENARIOS) {
    out.push(
      `## ${s.decl.name}.json — ${s.title}`,
      '',
      `Broken on: ${s.node}`,
      '',
      s.summary,
      '',
      `Cluster: ${cluster(s)}`,
      '',
      'Flows (what the kernel did in the lab):',
      '',
    );
    for (const f of s.flows) {
      const e = f.expect;
      const what = e.forward ? (e.reply ? 'delivered, answered' : 'delivered, answer lost') : 'lost';
      const seen = e.seenSrc !== undefined ? `, seen from ${e.seenSrc}` : '';
      const by = e.receivedBy !== undefined ? ` by ${e.receivedBy}` : '';
      out.push(
        `- ${f.label}: \`${f.proto} ${f.from} → ${f.dst}:${f.dport}\` — ${what}${by}${seen}${f.decisive !== undefined ? ` (decided on ${f.decisive.node}, ${f.decisive.step}: \`${f.decisive.evidence}\`)` : ''}`,
      );
    }
    out.push('');
  }
  return out.join('\n');
}

async function main(): Promise<void> {
  const why = await labUnsupportedReason();
  if (why !== undefined) throw new Error(`cannot build labs here: ${why}`);
  const only = process.argv.slice(2);
  await mkdir(OUT, { recursive: true });
  await writeFile(join(OUT, 'README.md'), readme());
  for (const s of SCENARIOS) {
    if (only.length > 0 && !only.includes(s.decl.name)) continue;
    const snap = await capture(s);
    const path = join(OUT, `${s.decl.name}.json`);
    await writeSnapshot(path, snap);
    await readSnapshot(path); // the reader accepts what was written
    const errors = Object.entries(snap.hosts).flatMap(([h, e]) => Object.keys(e.errors).map((k) => `${h}:${k}`));
    console.log(
      `${path}: ${Object.keys(snap.hosts).length} hosts, ${snap.objects.pods.length} pods; sections missing: ${errors.join(' ') || 'none'}`,
    );
  }
}

await main();
