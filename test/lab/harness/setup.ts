// Builds a planned lab on the machine, in the order the kernel needs: namespaces; global
// sysctls (before devices, so conf.default reaches them); veth links; per host, in parallel:
// devices, addresses, up; device sysctls; routes, rules, neighbours; fdb; ipsets; iptables.
// One process per step and host (ip/bridge -batch) keeps a 6-host lab well under a second.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { inNetns, mustBatch, mustExec, type Where } from './exec.ts';
import type { HostPlan, LabPlan, Sysctl } from './plan.ts';

export interface SetupContext {
  nsOf: (host: string) => string;
  /** The host's files directory (the probe's `root`). */
  rootOf: (host: string) => string;
}

async function writeFiles(root: string, files: Record<string, string>): Promise<void> {
  await mkdir(root, { recursive: true });
  await Promise.all(
    Object.entries(files).map(async ([path, content]) => {
      const full = join(root, path);
      await mkdir(dirname(full), { recursive: true });
      await writeFile(full, content);
    }),
  );
}

async function sysctls(where: Where & { netns: string }, list: readonly Sysctl[]): Promise<void> {
  if (list.length === 0) return;
  await mustExec(where, inNetns(where.netns, ['sysctl', '-q', '-w', ...list.map((s) => `${s.key}=${s.value}`)]));
}

async function restore(
  where: Where & { netns: string },
  argv: readonly string[],
  input: string | undefined,
): Promise<void> {
  if (input === undefined) return;
  await mustExec(where, inNetns(where.netns, argv), { input });
}

/** Step 1: namespaces. Their names are registered for cleanup before this runs. */
export async function createNamespaces(names: readonly string[]): Promise<void> {
  await mustBatch(
    { step: 'netns' },
    'ip',
    names.map((n) => `netns add ${n}`),
  );
}

/** Step 2, per host: files and the sysctls that must precede devices. */
export async function prepareHost(h: HostPlan, ctx: SetupContext): Promise<void> {
  const netns = ctx.nsOf(h.host);
  await Promise.all([
    writeFiles(ctx.rootOf(h.host), h.files),
    sysctls({ step: 'sysctls (global)', host: h.host, netns }, h.earlySysctls),
  ]);
}

/** Step 3: veth pairs, created directly inside their namespaces (nothing is named in the root namespace). */
export async function createLinks(plan: LabPlan): Promise<void> {
  await mustBatch({ step: 'links' }, 'ip', plan.links);
}

/** Step 4, per host: everything inside the namespace, in dependency order. */
export async function configureHost(h: HostPlan, ctx: SetupContext): Promise<void> {
  const netns = ctx.nsOf(h.host);
  const at = (step: string) => ({ step, host: h.host, netns });
  await mustBatch(at('devices and addresses'), 'ip', h.devices);
  await sysctls(at('sysctls (devices)'), h.deviceSysctls);
  await mustBatch(at('routes, rules, neighbours'), 'ip', h.routing);
  await mustBatch(at('fdb'), 'bridge', h.fdb);
  await restore(at('ipsets'), ['ipset', 'restore'], h.ipsets);
  // -w: the legacy backend serialises on /run/xtables.lock, which every namespace shares.
  await restore(at('iptables'), ['iptables-nft-restore', '-w'], h.iptables);
  await restore(at('iptables-legacy'), ['iptables-legacy-restore', '-w'], h.iptablesLegacy);
  for (const argv of h.commands) await mustExec(at('commands'), inNetns(netns, argv));
}
