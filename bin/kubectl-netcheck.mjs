#!/usr/bin/env node
// Source install: run the TypeScript CLI through tsx. Release builds are standalone executables.
import { register } from 'tsx/esm/api';
register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
