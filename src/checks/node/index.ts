// Every doctor check, one line each, in the order the report lists them. A check declares its
// scope, findings, applicability and data needs itself (checks/check.ts).
import type { DoctorCheck } from '../check.ts';
import { brNetfilterCheck } from './br-netfilter.ts';
import { conntrackCheck } from './conntrack.ts';
import { externalIpsCheck } from './externalips.ts';
import { forwardPolicyCheck } from './forward-policy.ts';
import { forwardingCheck } from './forwarding.ts';
import { hairpinCheck } from './hairpin.ts';
import { iptablesBackendsCheck } from './iptables-backends.ts';
import { serviceRoutesCheck } from './service-routes.ts';
import { ippoolOverlapCheck } from './ippool-overlap.ts';
import { masqueradeConfigCheck } from './masquerade-config.ts';
import { nativeNftablesCheck } from './native-nftables.ts';
import { nodeNotProbedCheck } from './node-not-probed.ts';
import { podIpsCheck } from './pod-ips.ts';
import { podMtuCheck } from './pod-mtu.ts';
import { podRoutesCheck } from './pod-routes.ts';
import { podSubnetCheck } from './pod-subnet.ts';
import { rpFilterCheck } from './rp-filter.ts';
import { serviceLocalEndpointsCheck } from './service-local-endpoints.ts';
import { tunnelMtuCheck } from './tunnel-mtu.ts';
import { tunnelNextHopCheck } from './tunnel-next-hop.ts';
import { tunnelSourceCheck } from './tunnel-source.ts';
import { vtepMacCheck } from './vtep-mac.ts';

export const NODE_CHECKS: readonly DoctorCheck[] = [
  nodeNotProbedCheck,
  forwardingCheck,
  forwardPolicyCheck,
  podRoutesCheck,
  serviceRoutesCheck,
  tunnelNextHopCheck,
  tunnelSourceCheck,
  vtepMacCheck,
  rpFilterCheck,
  podSubnetCheck,
  tunnelMtuCheck,
  podMtuCheck,
  ippoolOverlapCheck,
  brNetfilterCheck,
  hairpinCheck,
  externalIpsCheck,
  serviceLocalEndpointsCheck,
  masqueradeConfigCheck,
  nativeNftablesCheck,
  iptablesBackendsCheck,
  conntrackCheck,
  podIpsCheck,
];
