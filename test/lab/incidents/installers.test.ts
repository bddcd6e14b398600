import { INSTALLERS } from './installers.ts';
import { scenarioTests } from './run.ts';

for (const s of INSTALLERS) scenarioTests(s);
