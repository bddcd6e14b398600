// Which iptables tables run on which netfilter hook, in the order the kernel calls them.
//
// Priorities: include/uapi/linux/netfilter_ipv4.h enum nf_ip_hook_priorities
//   NF_IP_PRI_RAW -300, NF_IP_PRI_CONNTRACK -200, NF_IP_PRI_MANGLE -150, NF_IP_PRI_NAT_DST -100,
//   NF_IP_PRI_FILTER 0, NF_IP_PRI_SECURITY 50, NF_IP_PRI_NAT_SRC 100.
// Hooks per table: net/ipv4/netfilter/iptable_raw.c (PRE_ROUTING, LOCAL_OUT), iptable_mangle.c
// (all five), iptable_filter.c (LOCAL_IN, FORWARD, LOCAL_OUT), iptable_security.c (LOCAL_IN,
// FORWARD, LOCAL_OUT), iptable_nat.c nf_nat_ipv4_ops (PRE_ROUTING and LOCAL_OUT at NAT_DST,
// POST_ROUTING and LOCAL_IN at NAT_SRC). iptables-nft registers its base chains at the same
// priorities (iptables/nft.c builtin_table), so both backends interleave table by table.
// Conntrack itself runs at -200, between raw and mangle: the engine hands us its result as `ct`.
import type { Hook } from './types.ts';

export type TableName = 'raw' | 'mangle' | 'nat' | 'filter' | 'security';

export interface TableSlot {
  table: TableName;
  priority: number;
}

const RAW: TableSlot = { table: 'raw', priority: -300 };
const MANGLE: TableSlot = { table: 'mangle', priority: -150 };
export const NF_IP_PRI_NAT_DST = -100;
export const NF_IP_PRI_NAT_SRC = 100;

const NAT_DST: TableSlot = { table: 'nat', priority: NF_IP_PRI_NAT_DST };
const FILTER: TableSlot = { table: 'filter', priority: 0 };
const SECURITY: TableSlot = { table: 'security', priority: 50 };
const NAT_SRC: TableSlot = { table: 'nat', priority: NF_IP_PRI_NAT_SRC };

/** The tables of each hook, in ascending priority (the order nf_hook_slow() runs them). */
export const HOOK_TABLES: Readonly<Record<Hook, readonly TableSlot[]>> = {
  PREROUTING: [RAW, MANGLE, NAT_DST],
  INPUT: [MANGLE, FILTER, SECURITY, NAT_SRC],
  FORWARD: [MANGLE, FILTER, SECURITY],
  OUTPUT: [RAW, MANGLE, NAT_DST, FILTER, SECURITY],
  POSTROUTING: [MANGLE, NAT_SRC],
};

/** Which half of the tuple the nat table of a hook rewrites (nf_nat_core.c HOOK2MANIP). */
export function natManip(hook: Hook): 'dst' | 'src' {
  return hook === 'PREROUTING' || hook === 'OUTPUT' ? 'dst' : 'src';
}
