#!/usr/bin/env node
// Source install (`npm link`): run the TypeScript CLI through tsx. Release builds are standalone
// executables. main.ts runs itself only as the program, so here it is imported and run once.
import { register } from 'tsx/esm/api';
register();
const { runProcess } = await import('../src/cli/main.ts');
await runProcess();
