// Pod networks (Calico IPPools, flannel's Network) must not overlap the nodes' own networks or the
// Service network: destinations become ambiguous and pods can get addresses the LAN uses.
import { renderAddress } from '../../model/render/iproute2.ts';
import { cidrOverlaps, parseCidr4 } from '../../lib/ipv4.ts';
import { FINDINGS } from '../catalog.ts';
import type { Finding } from '../finding.ts';
import { podSide } from './ownership.ts';
import type { NodeCheck } from './types.ts';

export const ippoolOverlapCheck: NodeCheck = {
  name: 'ippool-overlap',
  describe: 'pod networks do not overlap node, LAN or Service networks',
  run(ctx) {
    const out: Finding[] = [];
    const pools: { cidr: string; what: string }[] = ctx.model.cluster.ipPools
      .filter((p) => !p.disabled)
      .map((p) => ({ cidr: p.cidr, what: `IPPool ${p.name}` }));
    for (const h of ctx.model.hosts.values()) {
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
      for (const h of ctx.model.hosts.values()) {
        // Pod-side devices (the pods' bridge and gateway, whatever their names) hold pod addresses by design.
        const side = podSide(ctx, h.name);
        const loopback = new Set(h.links.filter((l) => l.kind === 'loopback').map((l) => l.name));
        for (const a of h.addresses) {
          if (a.family !== 'inet' || side.has(a.dev) || loopback.has(a.dev) || a.prefixLen === 32) continue;
          const c = parseCidr4(`${a.local}/${a.prefixLen}`);
          if (c !== undefined && cidrOverlaps(c, pc)) hits.push(`${h.name}: ${renderAddress(a)} dev ${a.dev}`);
        }
      }
      for (const s of ctx.model.cluster.serviceCidrs) {
        const c = parseCidr4(s.cidr);
        if (c !== undefined && cidrOverlaps(c, pc)) hits.push(`${s.what}: ${s.cidr}`);
      }
      if (hits.length === 0) continue;
      out.push({
        id: 'ippool-overlap',
        severity: 'error',
        summary: `${pool.what} (${pool.cidr}) overlaps ${hits.length} node or Service network(s)`,
        evidence: [`${pool.what}: ${pool.cidr}`, ...hits.slice(0, 8)],
        why: FINDINGS['ippool-overlap'].meaning,
        fix: FINDINGS['ippool-overlap'].fix,
      });
    }
    return out;
  },
};
