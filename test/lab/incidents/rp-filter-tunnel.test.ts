import { rpFilterTunnel } from './rp-filter-tunnel.ts';
import { scenarioTests } from './run.ts';

scenarioTests(rpFilterTunnel);
