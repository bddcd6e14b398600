// outerEnds and outerSource decide what outerAddresses decides — the outer destination and source
// of tunnel traffic, or that there is none — without building its evidence (the tunnel checks ask
// them of every ordered pair of nodes, and say a finding with outerAddresses). Compared on every
// tunnel route and tunnel neighbour of every bundled example and of generated clusters with faults
// in their neighbour, fdb, tunnel-local and route-source state.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { buildHostNet } from '../../../src/engine/host-net.ts';
import type { HostNet } from '../../../src/engine/host-net.ts';
import { buildWorld } from '../../../src/engine/world-from-model.ts';
import { outerAddresses, outerEnds, outerSource } from '../../../src/engine/tunnel.ts';
import { formatIpv4, parseIpv4 } from '../../../src/lib/ipv4.ts';
import { buildModel } from '../../../src/model/model.ts';
import { decodeSnapshot } from '../../../src/snapshot/io.ts';
import type { Link } from '../../../src/model/types.ts';
import type { Snapshot } from '../../../src/snapshot/types.ts';
import { FAULTS, generatedSnapshot } from '../../helpers/cluster-faults.ts';
import { addr, host, link, route, withLocal } from './model-builder.ts';

const EXAMPLES = new URL('../../../examples/', import.meta.url);

function snapshots(): [string, Snapshot][] {
  const out: [string, Snapshot][] = readdirSync(EXAMPLES)
    .filter((f) => f.endsWith('.json'))
    .map((f) => [f, decodeSnapshot(readFileSync(new URL(f, EXAMPLES)), f)]);
  const faulty = generatedSnapshot(6, 5);
  FAULTS.missingFdb(faulty, 0, 1);
  FAULTS.wrongFdbDst(faulty, 0, 2, 3);
  FAULTS.wrongNeighborMac(faulty, 1, 2, 4);
  FAULTS.wrongLocal(faulty, 2, '172.16.200.2');
  out.push(['generated with faults', faulty]);
  const unpinned = generatedSnapshot(6, 5);
  FAULTS.noLocal(unpinned);
  FAULTS.wrongRouteSource(unpinned, 3, '172.16.250.3');
  FAULTS.missingFdb(unpinned, 4, 5);
  out.push(['generated without local', unpinned]);
  return out;
}

/**
 * IPIP (this kernel has no ipip module, so no example holds one): Calico's tunl0 without local or
 * remote, one pinned to a local address, one with a fixed remote, one bound to a second NIC, and
 * a gateway with no route back to it.
 */
function ipipHosts(): HostNet[] {
  const variants: [string, Link['ipip']][] = [
    ['wildcard', {}],
    ['pinned', { local: '192.168.2.11' }],
    ['remote', { remote: '192.168.1.99' }],
    ['bound', { link: 'ens19' }],
  ];
  return variants.map(([name, ipip]) =>
    buildHostNet(
      withLocal(
        host(`ipip-${name}`, {
          links: [link(2, 'ens18'), link(3, 'ens19'), link(5, 'tunl0', { kind: 'ipip', mtu: 1480, ipip: ipip! })],
          addresses: [
            addr('ens18', '192.168.1.11/24'),
            addr('ens19', '192.168.2.11/24'),
            addr('tunl0', '10.244.1.0/32'),
          ],
          routes: [
            route('192.168.1.0/24 dev ens18 proto kernel scope link src 192.168.1.11'),
            route('192.168.2.0/24 dev ens19 proto kernel scope link src 192.168.2.11'),
            route('10.244.3.0/26 via 192.168.1.12 dev tunl0 proto bird onlink'),
            route('10.244.4.0/26 via 192.168.2.13 dev tunl0 proto bird onlink'),
            route('10.244.5.0/26 via 172.31.0.9 dev tunl0 proto bird onlink'),
          ],
        }),
      ),
    ),
  );
}

function hostNets(): [string, HostNet][] {
  const out: [string, HostNet][] = [];
  for (const [name, s] of snapshots()) {
    const m = buildModel(s);
    for (const h of buildWorld([...m.hosts.values()], m.cluster, []).hosts.values()) out.push([name, h]);
  }
  for (const h of ipipHosts()) out.push(['hand-built IPIP', h]);
  return out;
}

test('outerEnds/outerSource give the destination and source outerAddresses gives, on every tunnel route and neighbour', () => {
  let compared = 0;
  let failing = 0;
  const kinds = new Set<string>();
  for (const [name, h] of hostNets()) {
    const hops = new Set<string>();
    for (const r of h.state.routes)
      if (r.dev !== undefined && r.gateway !== undefined) hops.add(`${r.dev} ${r.gateway}`);
    for (const n of h.state.neighbors) hops.add(`${n.dev} ${n.dst}`);
    for (const hop of hops) {
      const [dev, gw] = hop.split(' ') as [string, string];
      const kind = h.links.get(dev)?.kind;
      const ip = parseIpv4(gw);
      if ((kind !== 'ipip' && kind !== 'vxlan') || ip === undefined) continue;
      const full = outerAddresses(h, dev, ip);
      const ends = outerEnds(h, dev, ip);
      const src = ends === undefined ? undefined : outerSource(h, ends);
      const say = (x: { dst?: number; src?: number } | undefined) =>
        x === undefined
          ? 'none'
          : `${x.dst === undefined ? '-' : formatIpv4(x.dst)} from ${x.src === undefined ? '-' : formatIpv4(x.src)}`;
      assert.equal(
        say(ends === undefined ? undefined : { dst: ends.dst, ...(src !== undefined ? { src } : {}) }),
        say(full.dst === undefined ? undefined : full),
        `${name}: ${h.name} ${hop}`,
      );
      compared++;
      kinds.add(kind);
      if (ends === undefined || src === undefined) failing++;
    }
  }
  // Both outcomes were compared: tunnels that encapsulate and ones that cannot (missing fdb entry, neighbour).
  assert.ok(compared > 100, `${compared} compared`);
  assert.deepEqual([...kinds].sort(), ['ipip', 'vxlan']);
  assert.ok(failing > 0 && failing < compared, `${failing} of ${compared} without outer ends`);
});
