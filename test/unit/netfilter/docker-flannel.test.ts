// An older node on the legacy backend: flannel, Docker and v1.18-era kube-proxy
// (test/fixtures/netfilter: rules of a real node, loaded and dumped by iptables-legacy).
// Node 192.168.1.5 on eth0, pod subnet 10.1.0.0/25 on cni0, cluster 10.1.0.0/16, docker0 172.17.0.1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateHook } from '../../../src/engine/netfilter/evaluate.ts';
import { fmt, hookInput, host, only, path, ruleset } from './helpers.ts';

const legacy = ruleset('netfilter/output/legacy-flannel-docker.iptables-legacy-save.txt', 'legacy');
const node = host({
  addrs: { eth0: ['192.168.1.5'], cni0: ['10.1.0.1'], 'flannel.1': ['10.1.0.0'], docker0: ['172.17.0.1'] },
});

test('Docker FORWARD policy DROP: a routed packet nobody accepts is dropped by the policy', () => {
  const o = only(
    evaluateHook(
      [legacy],
      hookInput({ hook: 'FORWARD', in: 'eth0', out: 'eth1', packet: { src: '192.168.1.50', dst: '172.20.0.5' } }),
      node,
    ),
  );
  assert.equal(o.verdict, 'drop');
  assert.equal(o.steps.at(-1)?.action, 'policy DROP');
  assert.equal(o.steps.at(-1)?.raw, ':FORWARD DROP [0:0]');
  const p = path(o);
  assert.ok(p.includes('filter/DOCKER-USER: RETURN'));
  assert.ok(p.includes('filter/DOCKER-ISOLATION-STAGE-1: RETURN'));
});

test('FLANNEL-FWD accepts traffic to the pod network despite the DROP policy', () => {
  const o = only(
    evaluateHook(
      [legacy],
      hookInput({ hook: 'FORWARD', in: 'eth0', out: 'cni0', packet: { src: '192.168.1.50', dst: '10.1.0.66' } }),
      node,
    ),
  );
  assert.equal(o.verdict, 'accept');
  assert.match(o.steps.at(-1)!.raw, /-A FLANNEL-FWD -d 10\.1\.0\.0\/16/);
});

test('a container to the internet: DOCKER-ISOLATION-STAGE-2 returns, docker0 → eth0 is accepted', () => {
  const o = only(
    evaluateHook(
      [legacy],
      hookInput({ hook: 'FORWARD', in: 'docker0', out: 'eth0', packet: { src: '172.17.0.2', dst: '8.8.8.8' } }),
      node,
    ),
  );
  assert.equal(o.verdict, 'accept');
  const p = path(o);
  assert.deepEqual(p.slice(p.indexOf('filter/DOCKER-ISOLATION-STAGE-1: jump DOCKER-ISOLATION-STAGE-2')), [
    'filter/DOCKER-ISOLATION-STAGE-1: jump DOCKER-ISOLATION-STAGE-2',
    'filter/DOCKER-ISOLATION-STAGE-2: RETURN',
    'filter/DOCKER-ISOLATION-STAGE-1: RETURN',
    'filter/FORWARD: ACCEPT',
  ]);
});

test('FLANNEL-POSTRTG: pod to the internet is masqueraded, pod to pod is not', () => {
  const out = only(
    evaluateHook(
      [legacy],
      hookInput({ hook: 'POSTROUTING', out: 'eth0', packet: { src: '10.1.0.5', dst: '8.8.8.8' } }),
      node,
    ),
  );
  assert.equal(out.nat?.kind, 'masquerade');
  assert.equal(fmt(out.packet.src), '192.168.1.5');
  assert.match(out.nat!.step.raw, /-s 10\.1\.0\.0\/16 ! -d 224\.0\.0\.0\/4/);
  const pod = only(
    evaluateHook(
      [legacy],
      hookInput({ hook: 'POSTROUTING', out: 'flannel.1', packet: { src: '10.1.0.5', dst: '10.1.1.5' } }),
      node,
    ),
  );
  assert.equal(pod.nat, undefined);
  assert.ok(path(pod).includes('nat/FLANNEL-POSTRTG: RETURN'));
});

test('FLANNEL-POSTRTG: the host towards a remote pod is masqueraded to flannel.1', () => {
  const o = only(
    evaluateHook(
      [legacy],
      hookInput({ hook: 'POSTROUTING', out: 'flannel.1', packet: { src: '192.168.1.5', dst: '10.1.1.5' } }),
      node,
    ),
  );
  assert.equal(o.nat?.kind, 'masquerade');
  assert.equal(fmt(o.packet.src), '10.1.0.0');
  assert.match(o.nat!.step.raw, /! -s 10\.1\.0\.0\/16 -d 10\.1\.0\.0\/16/);
});

test('marked packets are masqueraded by KUBE-POSTROUTING before flannel sees them', () => {
  const o = only(
    evaluateHook(
      [legacy],
      hookInput({ hook: 'POSTROUTING', out: 'cni0', packet: { src: '192.168.1.50', dst: '10.1.0.66', mark: 0x4000 } }),
      node,
    ),
  );
  assert.equal(o.nat?.kind, 'masquerade');
  assert.equal(o.nat?.step.chain, 'KUBE-POSTROUTING');
  assert.equal(fmt(o.packet.src), '10.1.0.1');
});

test('externalIP = node address (INCIDENTS #4, iptables mode): only that port is DNATed', () => {
  const lan = only(
    evaluateHook(
      [legacy],
      hookInput({ hook: 'PREROUTING', in: 'eth0', packet: { src: '192.168.1.50', dst: '192.168.1.5', dport: 80 } }),
      node,
    ),
  );
  assert.equal(fmt(lan.packet.dst), '10.1.0.66');
  assert.equal(lan.packet.mark, 0x4000);
  // Not bridged, source not local: the physdev/addrtype rule matched.
  assert.match(
    lan.steps.find((s) => s.action === 'jump KUBE-SVC-CG5I4G2RS3ZVWGLK')!.raw,
    /physdev ! --physdev-is-in -m addrtype ! --src-type LOCAL/,
  );

  const bridged = only(
    evaluateHook(
      [legacy],
      hookInput({
        hook: 'PREROUTING',
        in: 'cni0',
        physdev: { in: 'veth1a2b', bridged: false },
        packet: { src: '10.1.0.7', dst: '192.168.1.5', dport: 80 },
      }),
      node,
    ),
  );
  assert.equal(fmt(bridged.packet.dst), '10.1.0.66');
  // A packet that came in through a bridge port fails "! --physdev-is-in"; the dst-type LOCAL rule catches it.
  assert.match(
    bridged.steps.find((s) => s.action === 'jump KUBE-SVC-CG5I4G2RS3ZVWGLK')!.raw,
    /--dport 80 -m addrtype --dst-type LOCAL -j/,
  );

  const local = only(
    evaluateHook(
      [legacy],
      hookInput({ hook: 'OUTPUT', out: 'lo', packet: { src: '192.168.1.5', dst: '192.168.1.5', dport: 80 } }),
      node,
    ),
  );
  assert.equal(fmt(local.packet.dst), '10.1.0.66');
  assert.match(local.steps.find((s) => s.action === 'jump KUBE-SVC-CG5I4G2RS3ZVWGLK')!.raw, /--dst-type LOCAL/);

  // Port 6443 of the same address (the API server) is not touched.
  const api = only(
    evaluateHook(
      [legacy],
      hookInput({ hook: 'PREROUTING', in: 'eth0', packet: { src: '192.168.1.50', dst: '192.168.1.5', dport: 6443 } }),
      node,
    ),
  );
  assert.equal(api.nat, undefined);
  assert.equal(fmt(api.packet.dst), '192.168.1.5');
});

test('Docker port publishing: DNAT from any interface but docker0', () => {
  const o = only(
    evaluateHook(
      [legacy],
      hookInput({ hook: 'PREROUTING', in: 'eth0', packet: { src: '192.168.1.50', dst: '192.168.1.5', dport: 8080 } }),
      node,
    ),
  );
  assert.equal(fmt(o.packet.dst), '172.17.0.2');
  assert.equal(o.packet.dport, 80);
  const fromDocker = only(
    evaluateHook(
      [legacy],
      hookInput({ hook: 'PREROUTING', in: 'docker0', packet: { src: '172.17.0.3', dst: '192.168.1.5', dport: 8080 } }),
      node,
    ),
  );
  assert.equal(fromDocker.nat, undefined);
  assert.ok(path(fromDocker).includes('nat/DOCKER: RETURN'));
});
