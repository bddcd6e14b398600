import { tunnelOuterSource } from './tunnel-outer-source.ts';
import { scenarioTests } from './run.ts';

scenarioTests(tunnelOuterSource);
