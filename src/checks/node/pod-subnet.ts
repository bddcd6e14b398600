// Per node, every source that names its pod subnet must agree (docs/incidents.md #6, Canal): flannel's
// subnet.env, the CNI conflist's ipam subnet, spec.podCIDR when the CNI's IPAM uses it (Calico
// IPAM and Cilium cluster-pool ignore it: src/model/cni/), the address of the pods' bridge and of
// the CNI's tunnel device, and the IPs of the pods running there. The value most sources give is
// taken as right; the others are named.
import { renderAddress } from '../../model/render/iproute2.ts';
import { cidrContains, cidrOverlaps, formatCidr4, parseCidr4, parseIpv4 } from '../../lib/ipv4.ts';
import type { Cidr4 } from '../../lib/ipv4.ts';
import { CNI_DIR_SECTIONS, fileSection } from '../../snapshot/sections.ts';
import type { NodeScopeCheck } from '../check.ts';
import { finding } from '../finding.ts';
import { nodeInfo, podSide } from './ownership.ts';

/** flannel's lease, read on the clusters whose pod network flannel runs. */
const FLANNEL_ENV = fileSection('/run/flannel/subnet.env');
const FLANNEL_CNIS: ReadonlySet<string> = new Set(['flannel', 'canal']);

interface Claim {
  cidr: Cidr4;
  source: string;
  /** Addresses (flannel.1, pods) only say "inside"; subnets must be equal. */
  kind: 'subnet' | 'address';
}

function subnetOf(s: string): Cidr4 | undefined {
  return parseCidr4(s);
}

export const podSubnetCheck: NodeScopeCheck = {
  name: 'pod-subnet',
  describe: 'flannel subnet.env, CNI ipam subnet, node podCIDR, bridge/VXLAN addresses and pod IPs agree on each node',
  scope: 'node',
  emits: ['pod-subnet-mismatch'],
  onPath: true,
  needs: (ctx) => ({
    sections: ['ip-addr', ...CNI_DIR_SECTIONS, ...(FLANNEL_CNIS.has(ctx.flavour.cni.value) ? [FLANNEL_ENV] : [])],
    objects: ['nodes', 'pods'],
  }),
  node(ctx, h) {
    const claims: Claim[] = [];
    if (h.flannel?.subnet !== undefined) {
      const c = subnetOf(h.flannel.subnet);
      if (c !== undefined)
        claims.push({
          cidr: c,
          source: `/run/flannel/subnet.env FLANNEL_SUBNET=${h.flannel.subnet}`,
          kind: 'subnet',
        });
    }
    for (const conf of h.cni) {
      for (const p of conf.plugins) {
        for (const s of p.ipamSubnets) {
          const c = subnetOf(s);
          // host-local "usePodCidr" and Calico IPAM have no subnet; a whole-cluster range is not a node subnet.
          if (c !== undefined)
            claims.push({ cidr: c, source: `${conf.path} ${p.type} ipam subnet ${s}`, kind: 'subnet' });
        }
      }
    }
    const node = ctx.flavour.usesNodePodCidr ? nodeInfo(ctx, h.name) : undefined;
    for (const s of node?.podCIDRs ?? []) {
      const c = subnetOf(s);
      if (c !== undefined) claims.push({ cidr: c, source: `Node ${h.name}: spec.podCIDR ${s}`, kind: 'subnet' });
    }
    const side = podSide(ctx, h.name);
    const bridges = new Set(h.links.filter((l) => l.kind === 'bridge' && side.has(l.name)).map((l) => l.name));
    const tunnels = ctx.flavour.module?.tunnels ?? {};
    for (const a of h.addresses) {
      if (a.family !== 'inet') continue;
      if (bridges.has(a.dev))
        claims.push({
          cidr: parseCidr4(`${a.local}/${a.prefixLen}`)!,
          source: `${renderAddress(a)} dev ${a.dev}`,
          kind: 'subnet',
        });
      if (tunnels[a.dev] !== undefined && a.prefixLen === 32)
        claims.push({
          cidr: parseCidr4(`${a.local}/32`)!,
          source: `${renderAddress(a)} dev ${a.dev}`,
          kind: 'address',
        });
    }
    if (claims.filter((c) => c.kind === 'subnet').length === 0) return [];
    for (const p of ctx.model.cluster.pods) {
      if (p.node !== h.name || p.hostNetwork || p.phase === 'Succeeded' || p.phase === 'Failed') continue;
      for (const ip of p.ips) {
        const a = parseIpv4(ip);
        if (a !== undefined)
          claims.push({
            cidr: { net: a, len: 32 },
            source: `Pod ${p.namespace}/${p.name}: podIP ${ip}`,
            kind: 'address',
          });
      }
    }
    // The subnet most claims agree with (subnets equal, addresses inside).
    const subnets = claims.filter((c) => c.kind === 'subnet');
    const votes = subnets.map((s) => ({
      s,
      n: claims.filter((c) =>
        c.kind === 'subnet' ? c.cidr.net === s.cidr.net && c.cidr.len === s.cidr.len : cidrContains(s.cidr, c.cidr.net),
      ).length,
    }));
    votes.sort((a, b) => b.n - a.n);
    const right = votes[0]!.s.cidr;
    const odd = claims.filter((c) =>
      c.kind === 'subnet' ? c.cidr.net !== right.net || c.cidr.len !== right.len : !cidrContains(right, c.cidr.net),
    );
    // A cluster-wide ipam range (e.g. the flannel network in a conflist) that contains the node subnet is not a disagreement.
    const realOdd = odd.filter(
      (c) =>
        !(c.kind === 'subnet' && c.cidr.len < right.len && cidrOverlaps(c.cidr, right) && /ipam subnet/.test(c.source)),
    );
    if (realOdd.length === 0) return [];
    const agree = claims.filter((c) => !odd.includes(c));
    return [
      finding('pod-subnet-mismatch', {
        node: h.name,
        summary: `${h.name}'s pod subnet sources disagree: ${agree.length} say ${formatCidr4(right)}, but ${realOdd.map((c) => c.source).join('; ')}`,
        evidence: [
          ...agree.map((c) => `agrees: ${h.name}: ${c.source}`),
          ...realOdd.map((c) => `differs: ${h.name}: ${c.source}`),
        ],
        fix: `On ${h.name}, make the odd source say ${formatCidr4(right)} (a stale CNI conflist or subnet.env: remove it and restart the CNI pod on ${h.name}, e.g. kubectl -n kube-system delete pod -l k8s-app=canal --field-selector spec.nodeName=${h.name}), then recreate the pods of ${h.name} so they get addresses from the right subnet.`,
      }),
    ];
  },
};
