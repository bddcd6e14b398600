// Every scenario, in the order examples/README.md lists them.
import { canalSubnetMismatch } from './canal-subnet-mismatch.ts';
import { egressNoWayBack, iptablesSplitBackends, podMtuAboveTunnel, vtepMacMismatch } from './faults.ts';
import { externalipNodeAddress } from './externalip-node-address.ts';
import { hairpinModeOff, hairpinModeOn } from './hairpin.ts';
import { healthy } from './healthy.ts';
import { INSTALLERS } from './installers.ts';
import { networkPolicyAllow, networkPolicyDeny } from './network-policy.ts';
import { hostNetmaskSwallowsServices, nodeNoDefaultRoute } from './node-originated.ts';
import { podEgressMasquerade } from './pod-egress-masquerade.ts';
import { rpFilterTunnel } from './rp-filter-tunnel.ts';
import type { Scenario } from './scenario.ts';
import { tunnelNextHop } from './tunnel-next-hop.ts';
import { tunnelOuterSource } from './tunnel-outer-source.ts';
import { nodePortClusterPolicy, nodePortLocalPolicy } from './traffic-policy.ts';

/** The scenarios captured as examples/<name>.json. */
export const SCENARIOS: readonly Scenario[] = [
  healthy,
  rpFilterTunnel,
  tunnelNextHop,
  tunnelOuterSource,
  externalipNodeAddress,
  podEgressMasquerade,
  canalSubnetMismatch,
  nodePortClusterPolicy,
  nodePortLocalPolicy,
  iptablesSplitBackends,
  egressNoWayBack,
  vtepMacMismatch,
  podMtuAboveTunnel,
  nodeNoDefaultRoute,
  hostNetmaskSwallowsServices,
  networkPolicyAllow,
  networkPolicyDeny,
  hairpinModeOn,
  hairpinModeOff,
  ...INSTALLERS,
];
