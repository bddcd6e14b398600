// Calico felix on the nf_tables backend (test/fixtures/netfilter: a real calico-node's rules and
// ipsets, loaded and dumped by the real tools). This host: eth0 192.168.3.110, tunl0 10.244.17.64,
// a pod 10.244.17.65 behind cali9d7310e16e7.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateHook } from '../../../src/engine/netfilter/evaluate.ts';
import { fmt, hookInput, host, ip, ipsets, only, path, ruleset } from './helpers.ts';

const calico = ruleset('netfilter/output/calico.iptables-nft-save.txt', 'nft');
const sets = ipsets('netfilter/output/calico.ipset-save.txt');
const POD_IF = 'cali9d7310e16e7';
const env = (rpfilter = true) =>
  host({
    addrs: { eth0: ['192.168.3.110'], tunl0: ['10.244.17.64'], lo: ['127.0.0.1'] },
    sets,
    rpfilter: () => rpfilter,
  });

test('raw: a workload packet gets mark 0x40000 and passes the strict rpfilter check', () => {
  const o = only(
    evaluateHook(
      [calico],
      hookInput({ hook: 'PREROUTING', in: POD_IF, packet: { src: '10.244.17.65', dst: '10.244.127.130' } }),
      env(),
    ),
  );
  assert.equal(o.verdict, 'accept');
  assert.equal(o.packet.mark, 0x40000);
  assert.ok(path(o).includes('raw/cali-PREROUTING: jump cali-rpf-skip'));
});

test('raw: a spoofed workload source fails rpfilter --validmark --invert and is dropped before mangle', () => {
  const o = only(
    evaluateHook(
      [calico],
      hookInput({ hook: 'PREROUTING', in: POD_IF, packet: { src: '10.244.99.9', dst: '10.244.127.130' } }),
      env(false),
    ),
  );
  assert.equal(o.verdict, 'drop');
  assert.match(o.steps.at(-1)!.raw, /-m rpfilter --validmark --invert -j DROP/);
  assert.equal(
    o.steps.some((s) => s.table !== 'raw'),
    false,
    'DROP ends the hook: mangle and nat never run',
  );
});

test('a non-workload packet skips rpfilter (mark 0x0/0x40000 → cali-from-host-endpoint)', () => {
  const o = only(
    evaluateHook(
      [calico],
      hookInput({ hook: 'PREROUTING', in: 'eth0', packet: { src: '8.8.8.8', dst: '192.168.3.110' } }),
      env(false),
    ),
  );
  assert.equal(o.verdict, 'accept');
  assert.equal(o.packet.mark, 0);
  assert.ok(path(o).includes('raw/cali-PREROUTING: jump cali-from-host-endpoint'));
});

test('IPIP from a host in cali40all-hosts-net is accepted; from any other address it is dropped (INCIDENTS #3)', () => {
  const known = only(
    evaluateHook(
      [calico],
      hookInput({ hook: 'INPUT', in: 'eth0', packet: { src: '192.168.0.111', dst: '192.168.3.110', proto: 'ipip' } }),
      env(),
    ),
  );
  assert.equal(known.verdict, 'accept');
  assert.match(known.steps.find((s) => s.action === 'ACCEPT')!.raw, /Allow IPIP packets from Calico hosts/);
  // node4 picked 192.168.0.113 as the outer source: not a Calico host address.
  const other = only(
    evaluateHook(
      [calico],
      hookInput({ hook: 'INPUT', in: 'eth0', packet: { src: '192.168.0.113', dst: '192.168.3.110', proto: 'ipip' } }),
      env(),
    ),
  );
  assert.equal(other.verdict, 'drop');
  assert.match(other.steps.at(-1)!.raw, /Drop IPIP packets from non-Calico hosts/);
  assert.equal(other.unknown, undefined);
});

test('FORWARD from a workload: dispatch by goto, RETURN from the policy chain resumes cali-FORWARD', () => {
  const o = only(
    evaluateHook(
      [calico],
      hookInput({
        hook: 'FORWARD',
        in: POD_IF,
        out: 'tunl0',
        packet: { src: '10.244.17.65', dst: '10.244.127.130', mark: 0x40000 },
      }),
      env(),
    ),
  );
  assert.equal(o.verdict, 'accept');
  assert.deepEqual(path(o), [
    'mangle/FORWARD: policy ACCEPT',
    'filter/FORWARD: jump cali-FORWARD',
    'filter/cali-FORWARD: MARK 0x40000 → 0x0',
    'filter/cali-FORWARD: jump cali-from-hep-forward',
    'filter/cali-FORWARD: jump cali-from-wl-dispatch',
    'filter/cali-from-wl-dispatch: goto cali-fw-cali9d7310e16e7',
    'filter/cali-fw-cali9d7310e16e7: MARK 0x0 → 0x0',
    'filter/cali-fw-cali9d7310e16e7: MARK 0x0 → 0x0',
    'filter/cali-fw-cali9d7310e16e7: jump cali-po-_j5sVgQTfF-APgMw0kN9',
    'filter/cali-po-_j5sVgQTfF-APgMw0kN9: MARK 0x0 → 0x10000',
    'filter/cali-po-_j5sVgQTfF-APgMw0kN9: RETURN',
    'filter/cali-fw-cali9d7310e16e7: RETURN',
    // The fw chain was entered by goto from cali-from-wl-dispatch: RETURN lands after the rule
    // that jumped to cali-from-wl-dispatch, in cali-FORWARD.
    'filter/cali-FORWARD: jump cali-to-hep-forward',
    'filter/cali-FORWARD: jump cali-cidr-block',
    'filter/FORWARD: ACCEPT',
  ]);
  assert.equal(o.packet.mark, 0x10000);
});

test('INPUT from a workload: goto cali-wl-to-host, RETURN from the fw chain lands in cali-wl-to-host', () => {
  const o = only(
    evaluateHook(
      [calico],
      hookInput({ hook: 'INPUT', in: POD_IF, packet: { src: '10.244.17.65', dst: '10.244.17.64' } }),
      env(),
    ),
  );
  assert.equal(o.verdict, 'accept');
  const p = path(o);
  assert.ok(p.includes('filter/cali-INPUT: goto cali-wl-to-host'));
  assert.equal(p.at(-3), 'filter/cali-fw-cali9d7310e16e7: RETURN');
  assert.equal(p.at(-2), 'filter/cali-wl-to-host: ACCEPT');
  // filter ACCEPT ends the filter table only: nat INPUT (priority 100, SNAT) still runs.
  assert.equal(p.at(-1), 'nat/INPUT: policy ACCEPT');
});

test('nat-outgoing: a pod to the internet is masqueraded to the node address; pod to pod is not', () => {
  const internet = only(
    evaluateHook(
      [calico],
      hookInput({ hook: 'POSTROUTING', out: 'eth0', packet: { src: '10.244.17.65', dst: '8.8.8.8', mark: 0x10000 } }),
      env(),
    ),
  );
  assert.equal(internet.nat?.kind, 'masquerade');
  assert.equal(fmt(internet.packet.src), '192.168.3.110');
  assert.match(internet.nat!.step.raw, /cali40masq-ipam-pools src -m set ! --match-set cali40all-ipam-pools dst/);
  const pod = only(
    evaluateHook(
      [calico],
      hookInput({
        hook: 'POSTROUTING',
        out: 'tunl0',
        packet: { src: '10.244.17.65', dst: '10.244.127.130', mark: 0x10000 },
      }),
      env(),
    ),
  );
  assert.equal(pod.nat, undefined);
  assert.equal(pod.packet.src, ip('10.244.17.65'));
});

test('host traffic into the IPIP tunnel takes the tunnel address (addrtype --limit-iface-out)', () => {
  const o = only(
    evaluateHook(
      [calico],
      hookInput({ hook: 'POSTROUTING', out: 'tunl0', packet: { src: '192.168.3.110', dst: '10.244.127.130' } }),
      env(),
    ),
  );
  assert.equal(o.nat?.kind, 'masquerade');
  assert.equal(fmt(o.packet.src), '10.244.17.64');
  assert.match(o.nat!.step.raw, /-o tunl0 .*--limit-iface-out/);
});

test('the nat table is not consulted for an established connection', () => {
  const o = only(
    evaluateHook(
      [calico],
      hookInput({
        hook: 'POSTROUTING',
        out: 'eth0',
        state: 'ESTABLISHED',
        packet: { src: '10.244.17.65', dst: '8.8.8.8' },
      }),
      env(),
    ),
  );
  assert.equal(o.nat, undefined);
  assert.equal(
    o.steps.some((s) => s.table === 'nat'),
    false,
  );
});
