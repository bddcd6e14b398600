// -m recent and -m nfacct rule sets as iptables v1.8.9 prints them (iptables-save adds --mask
// 255.255.255.255 --rsource to every recent match, and two spaces after --nfacct-name), each with
// a table of packets and what the host does with them. recent-nfacct.test.ts walks the tables in
// the engine; test/lab/kube-proxy-rules.test.ts sends them through the kernel.
import { host } from './helpers.ts';
import type { FlowRow } from './packet-table.ts';

export const RECENT_NODE = host({ addrs: { eth0: ['192.168.1.5'], lo: ['127.0.0.1'] } });

export const RECENT_TEXT = `
  *filter
  :INPUT ACCEPT [0:0]
  :FORWARD ACCEPT [0:0]
  :OUTPUT ACCEPT [0:0]
  -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
  -A INPUT -p tcp -m tcp --dport 139 -m recent --set --name portscan --mask 255.255.255.255 --rsource -j LOG --log-prefix "portscan: "
  -A INPUT -p tcp -m recent --rcheck --seconds 86400 --name portscan --mask 255.255.255.255 --rsource -j DROP
  -A INPUT -p tcp -m recent --update --seconds 60 --hitcount 2 --name burst --mask 255.255.255.255 --rsource -j DROP
  -A INPUT -p tcp -m multiport --dports 23,24 -m recent --set --name burst --mask 255.255.255.255 --rsource
  -A INPUT -p tcp -m tcp --dport 23 -m recent --set --name burst --mask 255.255.255.255 --rsource
  -A INPUT -p tcp -m recent --update --seconds 60 --hitcount 2 --name burst --mask 255.255.255.255 --rsource -j REJECT --reject-with tcp-reset
  -A INPUT -p tcp -m tcp --dport 22 -m recent ! --rcheck --name ssh --mask 255.255.255.255 --rsource -j ACCEPT
  -A INPUT -p udp -m recent --set --name net --mask 255.255.255.0 --rdest
  -A INPUT -p udp -m recent --remove --name net --mask 255.255.255.0 --rsource -j ACCEPT
  -A INPUT -j REJECT --reject-with icmp-host-prohibited
  COMMIT
`;

export const RECENT_ROWS: FlowRow[] = [
  {
    name: '--set then --rcheck on one packet: the LOG rule lists the source, the next rule drops it',
    in: 'eth0',
    packet: { src: '203.0.113.7', dst: '192.168.1.5', dport: 139 },
    want: 'DROP',
    rule: /--rcheck --seconds 86400 --name portscan/,
  },
  {
    name: 'a new client is taken as not listed ("! --rcheck" matches), and the trace says so',
    in: 'eth0',
    packet: { src: '203.0.113.7', dst: '192.168.1.5', dport: 22 },
    want: '',
    rule: /! --rcheck --name ssh/,
    branch: /xt_recent list ssh: 203\.0\.113\.7 taken as not listed/,
  },
  {
    name: '--hitcount 2: two --set rules are two hits, and --update matches',
    in: 'eth0',
    packet: { src: '203.0.113.7', dst: '192.168.1.5', dport: 23 },
    want: 'REJECT',
    rule: /--update --seconds 60 --hitcount 2 --name burst .* tcp-reset/,
  },
  {
    name: '--hitcount 2: one --set is one hit, --update does not match',
    in: 'eth0',
    packet: { src: '203.0.113.7', dst: '192.168.1.5', dport: 24 },
    want: 'REJECT',
    rule: /icmp-host-prohibited/,
  },
  {
    name: '--rdest/--rsource with --mask: the /24 of the destination is the /24 of the source',
    in: 'eth0',
    packet: { src: '192.168.1.77', dst: '192.168.1.5', proto: 'udp', dport: 53 },
    want: '',
    rule: /--remove --name net/,
  },
  {
    name: '--remove of an address not listed does not match',
    in: 'eth0',
    packet: { src: '10.9.9.9', dst: '192.168.1.5', proto: 'udp', dport: 53 },
    want: 'REJECT',
    rule: /icmp-host-prohibited/,
  },
];

export const ACROSS_HOOKS_TEXT = `
  *mangle
  :PREROUTING ACCEPT [0:0]
  :INPUT ACCEPT [0:0]
  :FORWARD ACCEPT [0:0]
  :OUTPUT ACCEPT [0:0]
  :POSTROUTING ACCEPT [0:0]
  -A PREROUTING -p tcp -m tcp --dport 8080 -m recent --set --name seen --mask 255.255.255.255 --rsource
  COMMIT
  *filter
  :INPUT ACCEPT [0:0]
  :FORWARD ACCEPT [0:0]
  :OUTPUT ACCEPT [0:0]
  -A INPUT -m recent --rcheck --seconds 5 --name seen --mask 255.255.255.255 --rsource -j DROP
  -A INPUT -m statistic --mode random --probability 0.50000000000 -m recent --set --name coin --mask 255.255.255.255 --rsource -j ACCEPT
  COMMIT
`;

export const ACROSS_HOOKS_ROWS: FlowRow[] = [
  {
    name: 'listed in PREROUTING, checked in INPUT: the same packet finds its own entry',
    in: 'eth0',
    packet: { src: '198.51.100.1', dst: '192.168.1.5', dport: 8080 },
    want: 'DROP',
    rule: /--rcheck --seconds 5 --name seen/,
  },
  {
    name: 'a --set behind a statistic match of the same rule: whether it lists the source is unknown',
    in: 'eth0',
    packet: { src: '198.51.100.1', dst: '192.168.1.5', dport: 9090 },
    want: 'UNKNOWN',
    rule: /-m statistic .* -m recent --set --name coin/,
  },
];

export const NFACCT_TEXT = `
  *filter
  :INPUT ACCEPT [0:0]
  :FORWARD ACCEPT [0:0]
  :OUTPUT ACCEPT [0:0]
  -A INPUT -p tcp -m tcp --dport 3001 -m nfacct --nfacct-name  localhost_nps_accepted_pkts -j ACCEPT
  -A INPUT -p tcp -m tcp --dport 3002 -m nfacct --nfacct-name  quota_of_someone -j ACCEPT
  -A INPUT -p tcp -j DROP
  COMMIT
`;

export const NFACCT_ROWS: FlowRow[] = [
  {
    name: "kube-proxy's counters have no quota: the match only counts",
    in: 'lo',
    packet: { src: '127.0.0.1', dst: '127.0.0.1', dport: 3001 },
    want: '',
    rule: /localhost_nps_accepted_pkts -j ACCEPT/,
  },
  {
    name: 'an object the snapshot does not describe may have a quota: unknown',
    in: 'lo',
    packet: { src: '127.0.0.1', dst: '127.0.0.1', dport: 3002 },
    want: 'UNKNOWN',
    rule: /quota_of_someone/,
  },
];
