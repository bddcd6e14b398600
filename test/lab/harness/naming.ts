// Names of what a lab creates on the machine. Every namespace is `nclab-<pid>-<n>-[label-]<host>`:
// the pid says which process owns it (so leftovers of a killed run are found and removed, and
// labs of other processes running at the same time are left alone), <n> tells labs of one
// process apart.
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const NETNS_PREFIX = 'nclab-';
const OWNED = /^nclab-(\d+)-\d+-/;

let counter = 0;

/** A fresh prefix for one lab of this process; `label` (letters, digits, _) makes `ip netns list` readable. */
export function newLabPrefix(label?: string): string {
  counter += 1;
  const l = label === undefined || label === '' ? '' : `${label.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 20)}-`;
  return `${NETNS_PREFIX}${process.pid}-${counter}-${l}`;
}

/** The pid that created a harness namespace or directory, or undefined for any other name. */
export function ownerPid(name: string): number | undefined {
  const m = OWNED.exec(name);
  return m === null ? undefined : Number(m[1]);
}

/** Where per-host files live: one directory per lab, named like its namespaces. */
export function labTmpRoot(): string {
  return join(tmpdir(), 'netcheck-lab');
}

export function labDir(prefix: string): string {
  return join(labTmpRoot(), prefix.replace(/-$/, ''));
}
