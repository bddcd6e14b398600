// Every scenario, in the order examples/README.md lists them.
import { healthy } from './healthy.ts';
import { rpFilterTunnel } from './rp-filter-tunnel.ts';
import type { Scenario } from './scenario.ts';

export const SCENARIOS: readonly Scenario[] = [healthy, rpFilterTunnel];
