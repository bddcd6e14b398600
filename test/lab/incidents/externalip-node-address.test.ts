import { externalipNodeAddress } from './externalip-node-address.ts';
import { scenarioTests } from './run.ts';

scenarioTests(externalipNodeAddress);
