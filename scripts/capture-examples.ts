// Builds each incident lab (and the healthy one), probes every node with the real probe and
// writes examples/<name>.json: a netcheck.dev/v1 snapshot whose hosts are the captured probe
// entries and whose objects come from the same cluster declaration (test/lab/incidents).
// Examples the lab cannot capture are derived from captured ones (test/lab/incidents/derived.ts).
// Needs root (network namespaces).  Usage: node --import tsx scripts/capture-examples.ts [name ...]
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sortEntry } from '../src/collect/collect-host.ts';
import { readSnapshot, writeSnapshot } from '../src/snapshot/io.ts';
import { SNAPSHOT_API_VERSION, SNAPSHOT_KIND } from '../src/snapshot/types.ts';
import type { HostEntry, Snapshot } from '../src/snapshot/types.ts';
import { labUnsupportedReason, startLab } from '../test/lab/harness/index.ts';
import { ipvsadmSave, isCalico, labOf, serviceEndpoints } from '../test/lab/incidents/cluster.ts';
import { DERIVED } from '../test/lab/incidents/derived.ts';
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

const ip = (addr: string): string => addr.split('/')[0]!;

/** Whether an IPv4 address is inside a CIDR. */
function inCidr(addr: string, cidr: string): boolean {
  const n = (a: string) => a.split('.').reduce((x, o) => x * 256 + Number(o), 0);
  const [net, len] = cidr.split('/') as [string, string];
  const size = 2 ** (32 - Number(len));
  return Math.floor(n(addr) / size) === Math.floor(n(net) / size);
}

/** The node the LAN router sends `dst` to (its static route), for `lan --via`. */
function routerVia(d: Scenario['decl'], dst: string): string | undefined {
  for (const r of d.router.routes) {
    const m = /^(\S+) via (\S+)/.exec(r);
    if (m === null || !inCidr(dst, m[1]!.includes('/') ? m[1]! : `${m[1]}/32`)) continue;
    return d.nodes.find((n) => n.ip === m[2] || n.nics.some((x) => ip(x.addr) === m[2]))?.name;
  }
  return undefined;
}

/** The netcheck command that traces a lab flow on the example, or undefined (a node's own traffic). */
function commandOf(s: Scenario, f: Scenario['flows'][number]): string | undefined {
  const d = s.decl;
  const pod = (name: string) => d.pods.find((p) => p.name === name);
  const podAt = (addr: string) => d.pods.find((p) => p.ip === addr);
  const lanHost = (name: string) => d.lanHosts.find((l) => l.name === name);
  const lanAt = (addr: string) => d.lanHosts.find((l) => ip(l.addr) === addr);
  const service = d.services.find((x) => x.externalIPs?.includes(f.dst) && x.port === f.dport);
  const opts = `${f.proto === 'icmp' ? ' --protocol icmp' : `${f.proto === 'udp' ? ' --protocol udp' : ''} --port ${f.dport}`} --snapshot examples/${d.name}.json`;
  const from = { pod: pod(f.from), lan: lanHost(f.from) };
  const to = { pod: podAt(f.dst), lan: lanAt(f.dst) };
  const name = (p: { namespace: string; name: string }) => `${p.namespace}/${p.name}`;
  // trace: a node's own traffic, a Service's ClusterIP, and flows NetworkPolicies decide.
  const node = d.nodes.find((n) => n.name === f.from);
  const clusterIp = d.services.find((x) => x.clusterIP === f.dst);
  const target = to.pod !== undefined ? name(to.pod) : clusterIp !== undefined ? `svc/${name(clusterIp)}` : f.dst;
  const trace = node !== undefined ? `node/${node.name}` : from.pod !== undefined ? name(from.pod) : undefined;
  if (trace !== undefined && (node !== undefined || clusterIp !== undefined || (d.networkPolicies ?? []).length > 0))
    return `kubectl netcheck trace ${trace} ${target}${opts}`;
  if (from.pod !== undefined && to.pod !== undefined)
    return `kubectl netcheck pod-to-pod ${name(from.pod)} ${name(to.pod)}${opts}`;
  if (from.pod !== undefined && to.lan !== undefined)
    return `kubectl netcheck lan ${ip(to.lan.addr)} ${name(from.pod)}${opts}`;
  if (from.lan !== undefined && to.pod !== undefined) {
    const via = routerVia(d, f.dst);
    return `kubectl netcheck lan ${ip(from.lan.addr)} ${name(to.pod)}${via !== undefined ? ` --via ${via}` : ''}${opts}`;
  }
  if (from.lan !== undefined && service !== undefined)
    return `kubectl netcheck externalip ${name(service)} --from ${ip(from.lan.addr)} --snapshot examples/${d.name}.json`;
  return undefined;
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
    // The flow that shows the fault (the first with a deciding hop), else the first with a command.
    const shown = [...s.flows.filter((f) => f.decisive !== undefined), ...s.flows]
      .map((f) => commandOf(s, f))
      .find((c) => c !== undefined);
    const lan = s.decl.lanHosts[0];
    // No flow of a pod or Service: an externalIP shows in the audit of every Service.
    const audit =
      shown === undefined && lan !== undefined && s.decl.services.some((x) => (x.externalIPs ?? []).length > 0)
        ? `kubectl netcheck externalip -A --from ${ip(lan.addr)} --snapshot examples/${s.decl.name}.json`
        : undefined;
    out.push(
      `## ${s.decl.name}.json — ${s.title}`,
      '',
      `Broken on: ${s.node}`,
      '',
      s.summary,
      '',
      'The command that shows it, and every node check:',
      '',
      '```sh',
      ...[shown ?? audit].filter((c) => c !== undefined),
      `kubectl netcheck doctor --snapshot examples/${s.decl.name}.json`,
      '```',
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
      const command = commandOf(s, f);
      out.push(
        `- ${f.label}: \`${f.proto} ${f.from} → ${f.dst}:${f.dport}\` — ${what}${by}${seen}${f.decisive !== undefined ? ` (decided on ${f.decisive.node}, ${f.decisive.step}: \`${f.decisive.evidence}\`)` : ''}${command !== undefined ? `; \`${command}\`` : ''}`,
      );
    }
    out.push('');
  }
  for (const x of DERIVED) {
    out.push(
      `## ${x.name}.json — ${x.title}`,
      '',
      `Broken on: ${x.node}`,
      '',
      x.summary,
      '',
      'The command that shows it:',
      '',
      '```sh',
      ...x.commands,
      '```',
      '',
    );
  }
  return out.join('\n');
}

/** An example the lab cannot capture: a captured one with the numbers of a section edited (derived.ts). */
async function derive(x: (typeof DERIVED)[number]): Promise<void> {
  const snap = await readSnapshot(join(OUT, `${x.from}.json`));
  x.edit(snap);
  const path = join(OUT, `${x.name}.json`);
  await writeSnapshot(path, snap);
  await readSnapshot(path);
  console.log(`${path}: derived from ${x.from}.json`);
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
  for (const x of DERIVED) if (only.length === 0 || only.includes(x.name) || only.includes(x.from)) await derive(x);
}

await main();
