import { podEgressMasquerade, ciliumNoMasquerade } from './pod-egress-masquerade.ts';
import { scenarioTests } from './run.ts';

scenarioTests(podEgressMasquerade);
scenarioTests(ciliumNoMasquerade);
