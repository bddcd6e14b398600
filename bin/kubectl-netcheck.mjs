#!/usr/bin/env node
// Source install: run the TypeScript CLI through tsx. Release builds are standalone executables.
import { register } from 'tsx/esm/api';
register();
// main.ts runs itself when argv[1] looks like the program (this file's name does): run it here
// only otherwise, or every command would run twice.
const { main, isMain } = await import('../src/cli/main.ts');
if (!isMain) process.exitCode = await main(process.argv.slice(2));
