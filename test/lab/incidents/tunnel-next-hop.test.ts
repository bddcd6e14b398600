import { tunnelNextHop } from './tunnel-next-hop.ts';
import { scenarioTests } from './run.ts';

scenarioTests(tunnelNextHop);
