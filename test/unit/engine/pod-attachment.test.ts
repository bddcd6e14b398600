// Where a pod's packets enter its node. Calico names the host side of a pod's veth
// "cali" + the first 11 hex digits of SHA-1("<namespace>.<pod>") (libcalico-go
// VethNameForWorkload; `echo -n default.web | sha1sum | cut -b -11` gives 68caf03a5f4). With
// the pod's /32 route gone the pod still sends through that veth, and the engine must still know it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildHostNet } from '../../../src/engine/host-net.ts';
import { podAttachment } from '../../../src/engine/world.ts';
import { calicoVethName } from '../../../src/model/cni/calico.ts';
import type { World } from '../../../src/engine/world.ts';
import { parseIpv4 } from '../../../src/lib/ipv4.ts';
import { addr, host, link, route, withLocal } from './model-builder.ts';

const ip = (s: string) => parseIpv4(s)!;
const CALI = 'cali68caf03a5f4';

function world(routes: string[]): World {
  const n = withLocal(
    host('node', {
      links: [link(2, 'eth0'), link(9, CALI, { kind: 'veth' })],
      addresses: [addr('eth0', '192.168.1.11/24')],
      routes: routes.map(route),
    }),
  );
  return {
    hosts: new Map([['node', buildHostNet(n)]]),
    pods: [{ name: 'default/web', ip: ip('10.244.3.5'), node: 'node' }],
    externals: [],
  };
}

test("Calico's veth name for a pod", () => {
  assert.equal(calicoVethName('default/web'), CALI);
  assert.equal(calicoVethName('web'), undefined);
});

test('a Calico pod enters by its veth, with or without its route', () => {
  const withRoute = world(['default via 192.168.1.1 dev eth0', `10.244.3.5 dev ${CALI} scope link`]);
  assert.equal(podAttachment(withRoute, withRoute.pods[0]!)?.dev, CALI);
  // Route gone: the node would send the pod's address out eth0, but the pod's packets still come in on its veth.
  const without = world(['default via 192.168.1.1 dev eth0']);
  assert.equal(podAttachment(without, without.pods[0]!)?.dev, CALI);
});

test('a pod without a Calico veth enters by the device its node routes it through', () => {
  const w = world(['default via 192.168.1.1 dev eth0', '10.244.3.0/24 dev eth0 scope link']);
  const p = { name: 'default/other', ip: ip('10.244.3.6'), node: 'node' };
  assert.equal(podAttachment(w, p)?.dev, 'eth0');
});
