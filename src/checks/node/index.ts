// Every doctor check, in the order the report lists their findings before sorting by severity.
import { brNetfilterCheck } from './br-netfilter.ts';
import { externalIpsCheck } from './externalips.ts';
import { forwardPolicyCheck } from './forward-policy.ts';
import { forwardingCheck } from './forwarding.ts';
import { ippoolOverlapCheck } from './ippool-overlap.ts';
import { masqueradeConfigCheck } from './masquerade-config.ts';
import { nativeNftablesCheck } from './native-nftables.ts';
import { nodeNotProbed } from './node-not-probed.ts';
import { podRoutesCheck } from './pod-routes.ts';
import { podSubnetCheck } from './pod-subnet.ts';
import { rpFilterTunnelCheck } from './rp-filter.ts';
import { tunnelMtuCheck } from './tunnel-mtu.ts';
import { tunnelNextHopCheck } from './tunnel-next-hop.ts';
import { tunnelSourceCheck } from './tunnel-source.ts';
import type { NodeCheck } from './types.ts';

export const NODE_CHECKS: readonly NodeCheck[] = [
  nodeNotProbed,
  forwardingCheck,
  forwardPolicyCheck,
  podRoutesCheck,
  tunnelNextHopCheck,
  tunnelSourceCheck,
  rpFilterTunnelCheck,
  podSubnetCheck,
  tunnelMtuCheck,
  ippoolOverlapCheck,
  brNetfilterCheck,
  externalIpsCheck,
  masqueradeConfigCheck,
  nativeNftablesCheck,
];
