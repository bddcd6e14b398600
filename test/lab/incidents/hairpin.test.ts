import { hairpinModeOff, hairpinModeOn } from './hairpin.ts';
import { scenarioTests } from './run.ts';

scenarioTests(hairpinModeOn);
scenarioTests(hairpinModeOff);
