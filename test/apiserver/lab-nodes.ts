// Cluster nodes for the API server double, built with the lab harness (test/lab/harness): each
// node is a network namespace with an address, routes, an ipset and iptables rules in both
// backends, so that every probe section has content. Node i+1 is joined to node i by a veth pair.
import { host, link, mergeLabs, startLab } from '../lab/harness/index.ts';
import type { Lab } from '../lab/harness/index.ts';

export interface LabNode {
  name: string;
  netns: string;
  ip: string;
}

export function nodeName(i: number): string {
  return `node-${String.fromCharCode(97 + (i % 26))}${i >= 26 ? i : ''}`;
}

/** Starts `count` node namespaces; `stop` removes them (the harness also does at exit). */
export async function startLabNodes(count: number): Promise<{ nodes: LabNode[]; stop: () => Promise<void> }> {
  const parts: Lab[] = [];
  for (let i = 0; i < count; i++) {
    const name = nodeName(i);
    parts.push(
      host(name, {
        forwarding: true,
        routes: [`blackhole 10.244.${i}.0/24`],
        ipsets: `create KUBE-NODE-IPS-${i} hash:ip family inet hashsize 1024 maxelem 65536\nadd KUBE-NODE-IPS-${i} 10.77.0.${i + 1}\n`,
        iptables: `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -s 10.244.0.0/16 -m comment --comment "node ${name}" -j ACCEPT\nCOMMIT\n`,
        iptablesLegacy: `*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -s 10.244.${i}.0/24 ! -d 10.244.0.0/16 -j MASQUERADE\nCOMMIT\n`,
      }),
    );
    if (i > 0)
      parts.push(
        link(
          { host: nodeName(i - 1), dev: 'eth1', addr: `10.77.${i}.1/24` },
          { host: name, dev: 'eth0', addr: `10.77.${i}.2/24` },
        ),
      );
  }
  const lab = await startLab(mergeLabs(...parts));
  return {
    nodes: Array.from({ length: count }, (_, i) => ({
      name: nodeName(i),
      netns: lab.netns(nodeName(i)),
      ip: `10.77.0.${i + 1}`,
    })),
    stop: () => lab.stop(),
  };
}
