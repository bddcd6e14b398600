// The probes for the encrypted encapsulations a CNI's configuration turns on (model/cni:
// encryptedUnderlay — Calico's and flannel's WireGuard, Cilium's WireGuard and IPsec, flannel's
// IPsec): between every ordered pair of nodes in scope, node address to node address, the shape
// the encrypted traffic has on the wire (WireGuard: UDP to its port; IPsec: ESP). A WireGuard
// device on the sender (its kind in `ip -d link`) also gets a DF probe at its MTU plus the 60
// bytes WireGuard adds over IPv4 (IP 20 + UDP 8 + WireGuard data header 32, as Calico's and
// Cilium's MTU defaults subtract). ESP's overhead depends on the negotiated cipher: small only.
import { formatIpv4, parseIpv4 } from '../../lib/ipv4.ts';
import { fibLookup, firstNextHop, preferredSource } from '../../engine/routing.ts';
import { addressHolder } from '../../engine/world.ts';
import { encryptedUnderlay } from '../../model/cni/index.ts';
import type { UnderlayProbe } from '../../snapshot/active.ts';
import type { AnalysisContext } from '../context.ts';

type Planned = Omit<UnderlayProbe, 'id' | 'count' | 'df' | 'purpose' | 'size'> & { mtu?: number };

const WIREGUARD_OVERHEAD = 60;

/** Encrypted-encapsulation probes for the ordered node pairs `wanted` names (every pair when undefined). */
export function encryptedProbes(
  ctx: AnalysisContext,
  wanted: ((from: string, to: string) => boolean) | undefined,
  skipped: string[],
): Planned[] {
  const kinds = encryptedUnderlay(ctx.model.cluster);
  if (kinds.length === 0) return [];
  const hosts = [...ctx.world.hosts.values()].sort((a, b) => a.name.localeCompare(b.name));
  const out: Planned[] = [];
  for (const h of hosts)
    for (const peer of ctx.model.cluster.nodes) {
      if (peer.name === h.name || (wanted !== undefined && !wanted(h.name, peer.name))) continue;
      const ip = peer.internalIPs.map(parseIpv4).find((x) => x !== undefined);
      const at = ip === undefined ? undefined : addressHolder(ctx.world, ip);
      if (ip === undefined || at === undefined || !('host' in at)) {
        skipped.push(`${h.name} → ${peer.name}: ${peer.name} has no probed InternalIP to send encrypted probes to`);
        continue;
      }
      const r = fibLookup(h, { dst: ip, src: 0, iif: 'lo', mark: 0, tos: 0 });
      const dev = r.ok ? firstNextHop(r.route).dev : undefined;
      const src = r.ok ? preferredSource(h, r.route) : undefined;
      if (dev === undefined || src === undefined) {
        skipped.push(`${h.name} → ${peer.name}: no route from ${h.name} to ${formatIpv4(ip)}`);
        continue;
      }
      const wg = h.linkOrder.find((l) => l.infoKind === 'wireguard');
      for (const k of kinds)
        out.push({
          kind: k.kind,
          from: h.name,
          to: peer.name,
          src: formatIpv4(src),
          dst: formatIpv4(ip),
          path: [
            { node: h.name, dev },
            { node: peer.name, dev: at.dev },
          ],
          standsFor: `${k.kind === 'wireguard' ? `WireGuard (UDP ${k.port})` : 'IPsec (ESP, IP protocol 50)'}: ${k.because}`,
          ...(k.kind === 'wireguard' ? { port: k.port } : {}),
          ...(k.kind === 'wireguard' && wg?.mtu !== undefined ? { mtu: wg.mtu + WIREGUARD_OVERHEAD } : {}),
        });
    }
  return out;
}
