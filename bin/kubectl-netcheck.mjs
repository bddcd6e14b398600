#!/usr/bin/env node
// Source install: run the TypeScript CLI through tsx. Release builds are standalone executables.
// src/cli/main.ts runs itself when the process was started as kubectl-netcheck (its isMain test
// matches this file's name): calling main() here too ran every command twice.
import { register } from 'tsx/esm/api';
register();
await import('../src/cli/main.ts');
