// A packet the node sends to one of its own addresses, sent elsewhere by a DNAT in OUTPUT (kube-proxy's
// NodePort on 127.0.0.1): ip_route_me_harder re-routes it out of the node, and a loopback source may
// leave by another device only with route_localnet (route.c __mkroute_output). The same rows go
// through the kernel in test/lab/kube-proxy-rules.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildHostNet } from '../../../src/engine/host-net.ts';
import { traceFlow } from '../../../src/engine/flow.ts';
import { evaluateHook } from '../../../src/engine/netfilter/evaluate.ts';
import type { World } from '../../../src/engine/world.ts';
import { parseIpv4 } from '../../../src/lib/ipv4.ts';
import { iptablesSave } from '../../helpers/iptables-inline.ts';
import { packet } from '../netfilter/helpers.ts';
import { addr, host, link, route, withLocal } from './model-builder.ts';

const RULES = iptablesSave(`
  *nat
  :OUTPUT ACCEPT [0:0]
  :POSTROUTING ACCEPT [0:0]
  -A OUTPUT -d 127.0.0.1/32 -p tcp -m tcp --dport 30001 -j DNAT --to-destination 10.180.0.1:80
  -A POSTROUTING -s 127.0.0.0/8 -j MASQUERADE
  COMMIT
`);

function world(routeLocalnet: string): World {
  const node = withLocal(
    host('node', {
      links: [link(2, 'cni0')],
      addresses: [addr('lo', '127.0.0.1/8'), addr('cni0', '10.0.0.1/8')],
      routes: [route('10.0.0.0/8 dev cni0 proto kernel scope link src 10.0.0.1')],
      sysctls: { 'net.ipv4.conf.all.route_localnet': routeLocalnet, 'net.ipv4.conf.cni0.route_localnet': '0' },
    }),
  );
  node.iptables = [RULES];
  return {
    hosts: new Map([['node', buildHostNet(node)]]),
    pods: [{ name: 'default/ep', ip: parseIpv4('10.180.0.1')!, node: 'node' }],
    externals: [],
  };
}

const walk = (w: World) =>
  traceFlow(
    w,
    { evaluate: evaluateHook },
    { kind: 'host', host: 'node', ip: parseIpv4('127.0.0.1')! },
    packet({ src: '127.0.0.1', dst: '127.0.0.1', dport: 30001 }),
  ).map((r) => r.forward);

test('the node to its own 127.0.0.1 NodePort: re-routed after the DNAT, masqueraded, delivered to the endpoint', () => {
  const [f, ...more] = walk(world('1'));
  assert.equal(more.length, 0);
  assert.equal(f!.verdict, 'delivered', f!.hops.map((h) => h.step).join(' '));
  assert.equal(f!.deliveredTo, 'pod default/ep');
  assert.equal(f!.seenAs?.src, '10.0.0.1');
});

test('without route_localnet the re-route refuses the loopback source', () => {
  const [f] = walk(world('0'));
  assert.equal(f!.verdict, 'dropped');
  assert.equal(f!.decisive?.reason?.kind, 'martian-source');
});
