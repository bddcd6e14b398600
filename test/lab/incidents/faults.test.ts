import { egressNoWayBack, iptablesSplitBackends, podMtuAboveTunnel, vtepMacMismatch } from './faults.ts';
import { scenarioTests } from './run.ts';

scenarioTests(iptablesSplitBackends);
scenarioTests(egressNoWayBack);
scenarioTests(vtepMacMismatch);
scenarioTests(podMtuAboveTunnel);
