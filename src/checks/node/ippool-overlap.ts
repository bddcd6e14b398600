// Pod networks (Calico IPPools, flannel's Network) must not overlap the nodes' own networks or the
// Service network: destinations become ambiguous and pods can get addresses the LAN uses.
import { renderAddress } from '../../model/render/iproute2.ts';
import { cidrOverlaps, parseCidr4 } from '../../lib/ipv4.ts';
import type { WideScopeCheck } from '../check.ts';
import { finding } from '../finding.ts';
import type { Finding } from '../finding.ts';

const POD_SIDE = /^(cali|tunl0|vxlan\.calico|flannel\.|cni0|cilium_|lxc|veth|kube-ipvs0|lo$|docker0)/;

export const ippoolOverlapCheck: WideScopeCheck = {
  name: 'ippool-overlap',
  describe: 'pod networks do not overlap node, LAN or Service networks',
  scope: 'cluster',
  emits: ['ippool-overlap'],
  onPath: false,
  needs: (ctx) => ({
    sections: ['ip-addr'],
    // The Service network is read from the API server's static pod; IPPools are Calico's.
    objects: ctx.flavour.cni.value === 'calico' || ctx.flavour.cni.value === 'unknown' ? ['pods', 'ipPools'] : ['pods'],
  }),
  run(ctx) {
    const out: Finding[] = [];
    const pools: { cidr: string; what: string }[] = ctx.model.cluster.ipPools
      .filter((p) => !p.disabled)
      .map((p) => ({ cidr: p.cidr, what: `IPPool ${p.name}` }));
    for (const h of ctx.judged.values()) {
      if (h.flannel?.network !== undefined && !pools.some((p) => p.cidr === h.flannel!.network))
        pools.push({
          cidr: h.flannel.network,
          what: `flannel Network (${h.name}:/run/flannel/subnet.env FLANNEL_NETWORK)`,
        });
    }
    for (const pool of pools) {
      const pc = parseCidr4(pool.cidr);
      if (pc === undefined) continue;
      const hits: string[] = [];
      for (const h of ctx.judged.values()) {
        for (const a of h.addresses) {
          if (a.family !== 'inet' || POD_SIDE.test(a.dev) || a.prefixLen === 32) continue;
          const c = parseCidr4(`${a.local}/${a.prefixLen}`);
          if (c !== undefined && cidrOverlaps(c, pc)) hits.push(`${h.name}: ${renderAddress(a)} dev ${a.dev}`);
        }
      }
      for (const s of ctx.model.cluster.serviceCidrs) {
        const c = parseCidr4(s.cidr);
        if (c !== undefined && cidrOverlaps(c, pc)) hits.push(`${s.what}: ${s.cidr}`);
      }
      if (hits.length === 0) continue;
      out.push(
        finding('ippool-overlap', {
          summary: `${pool.what} (${pool.cidr}) overlaps ${hits.length} node or Service network(s)`,
          evidence: [`${pool.what}: ${pool.cidr}`, ...hits.slice(0, 8)],
        }),
      );
    }
    return out;
  },
};
