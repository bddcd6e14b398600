import { hostNetmaskSwallowsServices, nodeNoDefaultRoute } from './node-originated.ts';
import { scenarioTests } from './run.ts';

scenarioTests(nodeNoDefaultRoute);
scenarioTests(hostNetmaskSwallowsServices);
