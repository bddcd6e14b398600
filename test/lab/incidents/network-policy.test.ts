import { networkPolicyAllow, networkPolicyDeny } from './network-policy.ts';
import { scenarioTests } from './run.ts';

scenarioTests(networkPolicyAllow);
scenarioTests(networkPolicyDeny);
