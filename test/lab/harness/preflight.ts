// Before anything is created: every command the lab's setup runs must exist, or the lab fails at
// once naming what is missing, instead of failing halfway (namespaces made, agents started) on
// the first host that needs it.
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { LabMissingCommandError } from './errors.ts';
import type { LabPlan } from './plan.ts';

/** The programs the setup of `plan` runs, in order of first use. */
export function setupCommands(plan: LabPlan): string[] {
  const need = ['ip'];
  for (const h of plan.hosts) {
    if (h.earlySysctls.length > 0 || h.deviceSysctls.length > 0) need.push('sysctl');
    if (h.fdb.length > 0) need.push('bridge');
    if (h.ipsets !== undefined) need.push('ipset');
    if (h.iptables !== undefined) need.push('iptables-nft-restore');
    if (h.iptablesLegacy !== undefined) need.push('iptables-legacy-restore');
    for (const argv of h.commands) if (argv[0] !== undefined) need.push(argv[0]);
  }
  return [...new Set(need)];
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The commands of `names` that `PATH` (as execvp searches it) does not hold. */
export function missingCommands(names: readonly string[], path: string): string[] {
  const dirs = path.split(delimiter).filter((d) => d !== '');
  return names.filter((n) =>
    n.includes('/')
      ? !executable(isAbsolute(n) ? n : join(process.cwd(), n))
      : !dirs.some((d) => executable(join(d, n))),
  );
}

/** Throws LabMissingCommandError when a command of the setup is not installed. */
export function checkSetupCommands(plan: LabPlan, path = process.env['PATH'] ?? ''): void {
  const missing = missingCommands(setupCommands(plan), path);
  if (missing.length > 0) throw new LabMissingCommandError(missing, path);
}
