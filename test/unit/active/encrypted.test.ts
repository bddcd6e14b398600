// Probes for the encrypted encapsulations, decided from each CNI's own configuration (the
// examples' real objects with the setting turned on): Calico's FelixConfiguration
// wireguardEnabled / wireguardListeningPort, Cilium's enable-wireguard / enable-ipsec, flannel's
// net-conf.json Backend (wireguard with its ListenPort, ipsec). Real packets: test/lab/active.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planProbes } from '../../../src/checks/active/plan.ts';
import { analysisContext } from '../../../src/checks/context.ts';
import { buildModel } from '../../../src/model/model.ts';
import type { Snapshot } from '../../../src/snapshot/types.ts';
import { readSnapshot } from '../../../src/snapshot/io.ts';

async function planOf(example: string, edit: (s: Snapshot) => void, pairs?: { from: string; to: string }[]) {
  const snap = await readSnapshot(`examples/${example}.json`);
  edit(snap);
  const ctx = analysisContext(buildModel(snap));
  return planProbes(ctx, pairs === undefined ? {} : { pairs }, 0x1234);
}

type Obj = Record<string, unknown>;
const data = (s: Snapshot, name: string) =>
  (s.objects.configMaps.find((c) => (c['metadata'] as Obj)['name'] === name)!['data'] ??= {}) as Record<string, string>;
const shapes = (probes: { kind: string; from: string; to: string; port?: number; purpose: string }[], kind: string) =>
  probes
    .filter((p) => p.kind === kind)
    .map((p) => `${p.from}>${p.to} ${p.purpose}${p.port !== undefined ? ` ${p.port}` : ''}`);

test('no encryption configured: no WireGuard or ESP probe (the examples as captured)', async () => {
  for (const ex of ['healthy', 'cilium-kubernetes', 'kubeadm-flannel']) {
    const plan = await planOf(ex, () => {});
    assert.deepEqual(
      plan.probes.filter((p) => p.kind === 'wireguard' || p.kind === 'esp'),
      [],
      ex,
    );
  }
});

test('Calico: FelixConfiguration wireguardEnabled → WireGuard-shaped UDP to felix’s port (default 51820, or the one set)', async () => {
  const felix = (port?: number) => (s: Snapshot) => {
    const spec = (s.objects.felixConfigurations[0]!['spec'] ??= {}) as Obj;
    spec['wireguardEnabled'] = true;
    if (port !== undefined) spec['wireguardListeningPort'] = port;
  };
  const plan = await planOf('healthy', felix());
  assert.deepEqual(shapes(plan.probes, 'wireguard'), [
    'node-a>node-b reach 51820',
    'node-a>node-c reach 51820',
    'node-b>node-a reach 51820',
    'node-b>node-c reach 51820',
    'node-c>node-a reach 51820',
    'node-c>node-b reach 51820',
  ]);
  const p = plan.probes.find((x) => x.kind === 'wireguard')!;
  assert.deepEqual(
    [p.src, p.dst, p.path.map((x) => `${x.node} ${x.dev}`)],
    ['192.168.1.11', '192.168.1.12', ['node-a eth0', 'node-b eth0']],
  );
  assert.match(
    p.standsFor,
    /FelixConfiguration default: wireguardEnabled: true, wireguardListeningPort: 51820 \(felix default\)/,
  );
  // Every capture point watches the WireGuard port besides VXLAN's.
  assert.ok(
    plan.captures.every((c) => /dst port 4789 or dst port 51820/.test(c.filter)),
    plan.captures[0]!.filter,
  );
  const set = await planOf('healthy', felix(51999), [{ from: 'node-b', to: 'node-c' }]);
  assert.deepEqual(shapes(set.probes, 'wireguard'), ['node-b>node-c reach 51999']);
});

test('Cilium: enable-wireguard → UDP 51871; enable-ipsec → ESP; every ordered pair', async () => {
  const plan = await planOf('cilium-kubernetes', (s) => {
    Object.assign(data(s, 'cilium-config'), { 'enable-wireguard': 'true', 'enable-ipsec': 'true' });
  });
  assert.equal(shapes(plan.probes, 'wireguard').length, 6);
  assert.ok(shapes(plan.probes, 'wireguard').every((x) => x.endsWith(' reach 51871')));
  assert.equal(shapes(plan.probes, 'esp').length, 6);
  const esp = plan.probes.find((x) => x.kind === 'esp')!;
  assert.equal(esp.port, undefined);
  assert.match(esp.standsFor, /IPsec \(ESP, IP protocol 50\): cilium-config: enable-ipsec: true/);
  assert.ok(
    plan.captures.every((c) => c.filter.includes('(ip proto 50 and ip[28:4] = 0x4e43484b and ip[32:2] = 0x1234)')),
  );
});

test('flannel: Backend wireguard with its ListenPort, or 51820; Backend ipsec → ESP', async () => {
  const backend = (b: string) => (s: Snapshot) => {
    const d = data(s, 'kube-flannel-cfg');
    d['net-conf.json'] = JSON.stringify({ Network: '10.244.0.0/16', Backend: JSON.parse(b) });
  };
  const wg = await planOf(
    'kubeadm-flannel',
    backend('{"Type": "wireguard", "ListenPort": 51830, "ListenPortV6": 51831}'),
  );
  assert.ok(
    shapes(wg.probes, 'wireguard').length === 6 && shapes(wg.probes, 'wireguard').every((x) => x.endsWith(' 51830')),
  );
  const dflt = await planOf('kubeadm-flannel', backend('{"Type": "wireguard"}'));
  assert.ok(shapes(dflt.probes, 'wireguard').every((x) => x.endsWith(' 51820')));
  const ipsec = await planOf('kubeadm-flannel', backend('{"Type": "ipsec"}'));
  assert.equal(shapes(ipsec.probes, 'esp').length, 6);
  assert.equal(shapes(ipsec.probes, 'wireguard').length, 0);
});
