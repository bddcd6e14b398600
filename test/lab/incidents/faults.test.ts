import { egressNoWayBack, iptablesSplitBackends, vtepMacMismatch } from './faults.ts';
import { scenarioTests } from './run.ts';

scenarioTests(iptablesSplitBackends);
scenarioTests(egressNoWayBack);
scenarioTests(vtepMacMismatch);
