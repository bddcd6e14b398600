// Examples the lab cannot capture, made from a captured one by editing the numbers of one section
// (examples/README.md says which). The kernel here lets no network namespace lower
// nf_conntrack_max, and no lab traffic makes conntrack's insert_failed count, so the conntrack
// findings' example raises those numbers in the real captured output of a healthy node.
import type { Snapshot } from '../../../src/snapshot/types.ts';

export interface DerivedExample {
  name: string;
  /** The captured example it is made from. */
  from: string;
  title: string;
  node: string;
  /** What is broken, and exactly what was edited. */
  summary: string;
  commands: string[];
  edit(s: Snapshot): void;
}

function section(s: Snapshot, node: string, name: string): string {
  const text = s.hosts[node]?.sections[name];
  if (text === undefined) throw new Error(`${node} has no section ${name}`);
  return text;
}

/** Sets `counter` on the line of CPU `cpu` of a captured `conntrack -S`. */
export function raiseCounter(text: string, cpu: number, counter: string, value: number): string {
  const re = new RegExp(`^(cpu=${cpu}\\s.*?\\b${counter}=)\\d+`, 'm');
  if (!re.test(text)) throw new Error(`no counter ${counter} on cpu=${cpu}`);
  return text.replace(re, `$1${value}`);
}

export const conntrackPressure: DerivedExample = {
  name: 'conntrack-pressure',
  from: 'healthy',
  title: 'A full conntrack table and the DNS insert race',
  node: 'node-b, node-c',
  summary:
    "Made from healthy.json by editing two sections: node-b's net.netfilter.nf_conntrack_count is 250000 of nf_conntrack_max 262144 (95.4%: new connections are about to be dropped), and node-c's conntrack -S counts insert_failed 57 and drop 57 on cpu=1 (packets that lost the race to confirm a conntrack entry: glibc's parallel A and AAAA DNS queries, DNAT'd by kube-proxy, and the resolver's 5-second timeout). Every other line is the lab's real capture.",
  commands: ['kubectl netcheck doctor --snapshot examples/conntrack-pressure.json'],
  edit(s) {
    const b = s.hosts['node-b']!;
    b.sections['sysctl'] = section(s, 'node-b', 'sysctl').replace(
      /^net\.netfilter\.nf_conntrack_count = \d+$/m,
      'net.netfilter.nf_conntrack_count = 250000',
    );
    let stats = section(s, 'node-c', 'conntrack-stats');
    stats = raiseCounter(stats, 1, 'insert_failed', 57);
    stats = raiseCounter(stats, 1, 'drop', 57);
    s.hosts['node-c']!.sections['conntrack-stats'] = stats;
    s.context = 'lab-conntrack-pressure';
  },
};

export const DERIVED: readonly DerivedExample[] = [conntrackPressure];
