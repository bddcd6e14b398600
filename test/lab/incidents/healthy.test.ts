import { healthy } from './healthy.ts';
import { scenarioTests } from './run.ts';

scenarioTests(healthy);
