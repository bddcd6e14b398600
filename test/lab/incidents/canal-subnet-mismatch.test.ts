import { canalSubnetMismatch, canalConsistent } from './canal-subnet-mismatch.ts';
import { scenarioTests } from './run.ts';

scenarioTests(canalSubnetMismatch);
scenarioTests(canalConsistent);
