import { scenarioTests } from './run.ts';
import { nodePortClusterPolicy, nodePortLocalPolicy } from './traffic-policy.ts';

scenarioTests(nodePortClusterPolicy);
scenarioTests(nodePortLocalPolicy);
