// kube-proxy sessionAffinity: ClientIP with two endpoints, and the kernel's xt_recent lists that
// decide it. The rules are kube-proxy v1.30's shape (proxier.go writeServiceToEndpointRules: one
// `-m recent --rcheck --seconds --reap` rule per endpoint before the statistic rules, and the
// `--set` on the endpoint's DNAT rule), for ns7/svc7:p80, ClusterIP 172.30.0.47 → 10.180.0.3:80,
// 10.180.0.4:80, its chain names hashed as kube-proxy hashes them. The unit test walks the rows
// with the lists given; test/lab/kube-proxy-rules.test.ts lists a client in the kernel, reads the
// lists with the real probe, and checks the engine's answer against the kernel's.
import { iptablesSave } from '../../helpers/iptables-inline.ts';
import type { FlowRow } from './packet-table.ts';

export const AFFINITY_SVC_CHAIN = 'KUBE-SVC-KPEMU3PDPRCEMWRI';
/** The endpoints' chains, which are also the names of their xt_recent lists. */
export const AFFINITY_SEP = { '10.180.0.3': 'KUBE-SEP-SBLAKJFBTBD6YQ7D', '10.180.0.4': 'KUBE-SEP-JJDWE23M6YOUVMLS' };
const [A, B] = [AFFINITY_SEP['10.180.0.3'], AFFINITY_SEP['10.180.0.4']];

export const AFFINITY_TEXT = `
  *nat
  :PREROUTING ACCEPT [0:0]
  :INPUT ACCEPT [0:0]
  :OUTPUT ACCEPT [0:0]
  :POSTROUTING ACCEPT [0:0]
  :KUBE-SERVICES - [0:0]
  :KUBE-MARK-MASQ - [0:0]
  :KUBE-POSTROUTING - [0:0]
  :${AFFINITY_SVC_CHAIN} - [0:0]
  :${A} - [0:0]
  :${B} - [0:0]
  -A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
  -A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
  -A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
  -A KUBE-SERVICES -m comment --comment "ns7/svc7:p80 cluster IP" -m tcp -p tcp -d 172.30.0.47 --dport 80 -j ${AFFINITY_SVC_CHAIN}
  -A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
  -A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
  -A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
  -A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE
  -A ${AFFINITY_SVC_CHAIN} -m comment --comment "ns7/svc7:p80 cluster IP" -m tcp -p tcp -d 172.30.0.47 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
  -A ${AFFINITY_SVC_CHAIN} -m comment --comment "ns7/svc7:p80 -> 10.180.0.3:80" -m recent --name ${A} --rcheck --seconds 10800 --reap -j ${A}
  -A ${AFFINITY_SVC_CHAIN} -m comment --comment "ns7/svc7:p80 -> 10.180.0.4:80" -m recent --name ${B} --rcheck --seconds 10800 --reap -j ${B}
  -A ${AFFINITY_SVC_CHAIN} -m comment --comment "ns7/svc7:p80 -> 10.180.0.3:80" -m statistic --mode random --probability 0.5000000000 -j ${A}
  -A ${AFFINITY_SVC_CHAIN} -m comment --comment "ns7/svc7:p80 -> 10.180.0.4:80" -j ${B}
  -A ${A} -m comment --comment ns7/svc7:p80 -s 10.180.0.3 -j KUBE-MARK-MASQ
  -A ${A} -m comment --comment ns7/svc7:p80 -m recent --name ${A} --set -m tcp -p tcp -j DNAT --to-destination 10.180.0.3:80
  -A ${B} -m comment --comment ns7/svc7:p80 -s 10.180.0.4 -j KUBE-MARK-MASQ
  -A ${B} -m comment --comment ns7/svc7:p80 -m recent --name ${B} --set -m tcp -p tcp -j DNAT --to-destination 10.180.0.4:80
  COMMIT
`;
export const affinity = iptablesSave(AFFINITY_TEXT);

const toService = { in: 'cni0', out: 'cni0', packet: { src: '10.0.0.2', dst: '172.30.0.47' } } as const;

/** The lists say nothing of 10.0.0.2 (collected, or not): both endpoints, each saying why. */
export const NEW_CLIENT: FlowRow = {
  name: 'a client in no list: either endpoint, by the statistic rule',
  ...toService,
  want: '10.180.0.3:80, 10.180.0.4:80',
  masq: false,
};

/** 10.0.0.2 is listed for 10.180.0.4 (seen within the window): that endpoint only. */
export const PINNED_CLIENT: FlowRow = {
  name: "a client listed for 10.180.0.4 within --seconds 10800 goes back to it, by its endpoint's --rcheck rule",
  ...toService,
  want: '10.180.0.4:80',
  masq: false,
  // (iptables-save prints --set before --name.)
  rule: new RegExp(`-m recent (--name ${B} --set|--set --name ${B}) .*DNAT`),
  branch: new RegExp(`xt_recent list ${B}: 10\\.0\\.0\\.2 listed at collection`),
};
