// Prints how long the lab harness takes for a 6-host topology (LAN host, router, two flannel
// VXLAN nodes, one pod on each): startLab, stop, and single sends. Needs root.
// Run: node --import tsx bench/lab-harness.ts [rounds]
import {
  bridgePod,
  flannelVxlan,
  lanHost,
  link,
  mergeLabs,
  node,
  router,
  startLab,
  type Lab,
  type SendOptions,
} from '../test/lab/harness/index.ts';

export function sixHosts(): Lab {
  return mergeLabs(
    lanHost('pc', { routes: ['default via 192.168.1.1'] }),
    router('gw', { routes: ['10.244.0.0/16 via 192.168.0.11'] }),
    node('n1', { routes: ['default via 192.168.0.1'] }),
    node('n2', { routes: ['default via 192.168.2.11'] }),
    link({ host: 'pc', dev: 'eth0', addr: '192.168.1.10/24' }, { host: 'gw', dev: 'eth1', addr: '192.168.1.1/24' }),
    link({ host: 'gw', dev: 'eth0', addr: '192.168.0.1/24' }, { host: 'n1', dev: 'eth0', addr: '192.168.0.11/24' }),
    link({ host: 'n1', dev: 'eth1', addr: '192.168.2.11/24' }, { host: 'n2', dev: 'eth0', addr: '192.168.2.12/24' }),
    flannelVxlan([
      {
        host: 'n1',
        underlayIp: '192.168.2.11',
        underlayDev: 'eth1',
        podCidr: '10.244.1.0/24',
        mac: '0a:58:0a:f4:01:00',
      },
      {
        host: 'n2',
        underlayIp: '192.168.2.12',
        underlayDev: 'eth0',
        podCidr: '10.244.2.0/24',
        mac: '0a:58:0a:f4:02:00',
      },
    ]),
    bridgePod({ name: 'pa', node: 'n1', addr: '10.244.1.5/24', gateway: '10.244.1.1/24' }),
    bridgePod({ name: 'pb', node: 'n2', addr: '10.244.2.5/24', gateway: '10.244.2.1/24' }),
  );
}

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const pick = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
  return `median ${pick(0.5).toFixed(1)} ms, min ${pick(0).toFixed(1)}, max ${pick(1).toFixed(1)} (n=${s.length})`;
}

const rounds = Number(process.argv[2] ?? 5);
const start: number[] = [];
const stop: number[] = [];
const sends = new Map<string, number[]>();
const cases: [string, SendOptions][] = [
  ['udp delivered (pc → pb, 2 routers + VXLAN)', { from: 'pc', dst: '10.244.2.5', proto: 'udp' }],
  ['tcp delivered (pc → pb)', { from: 'pc', dst: '10.244.2.5', proto: 'tcp' }],
  ['icmp delivered (pc → pb)', { from: 'pc', dst: '10.244.2.5', proto: 'icmp' }],
  ['udp not delivered (pa → 10.244.3.9)', { from: 'pa', dst: '10.244.3.9', proto: 'udp' }],
  ['tcp not delivered', { from: 'pa', dst: '10.244.3.9', proto: 'tcp' }],
];
for (let i = 0; i < rounds; i++) {
  let t = performance.now();
  const lab = await startLab(sixHosts(), { prefix: 'bench' });
  start.push(performance.now() - t);
  for (const [name, o] of cases) {
    for (let j = 0; j < 3; j++) {
      t = performance.now();
      const r = await lab.send(o);
      const ms = performance.now() - t;
      if (j === 0 && i === 0) console.log(`${name}: ${JSON.stringify(r)}`);
      sends.set(name, [...(sends.get(name) ?? []), ms]);
    }
  }
  t = performance.now();
  await lab.stop();
  stop.push(performance.now() - t);
}
console.log(`startLab (6 hosts): ${stats(start)}`);
console.log(`stop (6 hosts):     ${stats(stop)}`);
for (const [name, xs] of sends) console.log(`send ${name}: ${stats(xs)}`);
