import { egressNoWayBack, iptablesSplitBackends } from './faults.ts';
import { scenarioTests } from './run.ts';

scenarioTests(iptablesSplitBackends);
scenarioTests(egressNoWayBack);
