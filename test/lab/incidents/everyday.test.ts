import { blackholePeerBlock, forwardPolicyDrop, ipForwardOff, missingPeerRoute } from './everyday.ts';
import { scenarioTests } from './run.ts';

scenarioTests(ipForwardOff);
scenarioTests(forwardPolicyDrop);
scenarioTests(missingPeerRoute);
scenarioTests(blackholePeerBlock);
