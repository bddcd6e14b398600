// Network namespaces that stand for cluster nodes in the end-to-end tests: two "nodes" joined by a
// veth pair, each with an address, a route and a few iptables rules in both backends, so that the
// probe's sections are not empty. Names carry the test process's pid; they are deleted by
// `remove()` and, as a backstop, when the process exits.
import { execFileSync } from 'node:child_process';

export interface LabNode {
  name: string;
  netns: string;
  ip: string;
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function inNs(ns: string, argv: string[], input?: string): void {
  execFileSync('ip', ['netns', 'exec', ns, ...argv], { stdio: ['pipe', 'ignore', 'pipe'], input: input ?? '' });
}

const created = new Set<string>();
process.on('exit', () => {
  for (const ns of created) {
    try {
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    } catch {
      /* already gone */
    }
  }
});

/** Creates `count` node namespaces named nc<pid>-<tag>-<i>. */
export function createLabNodes(tag: string, count: number): { nodes: LabNode[]; remove: () => void } {
  const nodes: LabNode[] = [];
  for (let i = 0; i < count; i++) {
    const netns = `nc${process.pid}-${tag}-${i}`;
    ip('netns', 'add', netns);
    created.add(netns);
    nodes.push({ name: `node-${String.fromCharCode(97 + (i % 26))}${i >= 26 ? i : ''}`, netns, ip: `10.77.0.${i + 1}` });
  }
  for (let i = 0; i < count; i++) {
    const n = nodes[i]!;
    ip('-n', n.netns, 'link', 'set', 'lo', 'up');
    if (i + 1 < count) {
      const m = nodes[i + 1]!;
      ip('-n', n.netns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth1', 'netns', m.netns);
    }
  }
  for (let i = 0; i < count; i++) {
    const n = nodes[i]!;
    const dev = i + 1 < count ? 'eth0' : 'eth1';
    if (count > 1) {
      ip('-n', n.netns, 'addr', 'add', `${n.ip}/24`, 'dev', dev);
      ip('-n', n.netns, 'link', 'set', dev, 'up');
      ip('-n', n.netns, 'route', 'add', `10.244.${i + 100}.0/24`, 'dev', dev);
    }
    inNs(n.netns, ['iptables-nft-restore'], `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -s 10.244.0.0/16 -m comment --comment "node ${n.name}" -j ACCEPT\nCOMMIT\n`);
    inNs(n.netns, ['iptables-legacy-restore'], `*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -s 10.244.${i}.0/24 ! -d 10.244.0.0/16 -j MASQUERADE\nCOMMIT\n`);
  }
  return {
    nodes,
    remove: () => {
      for (const n of nodes) {
        try {
          ip('netns', 'del', n.netns);
        } catch {
          /* already gone */
        }
        created.delete(n.netns);
      }
    },
  };
}
