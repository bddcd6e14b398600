// Checks a topology before anything is created, so that a typo fails in a millisecond with every
// problem listed instead of half-way through setup.
import { LabTopologyError } from './errors.ts';
import type { Lab, LinkEnd } from './topology.ts';

export const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$/;
/** Linux device names: at most IFNAMSIZ - 1 = 15 bytes, no '/', ':' or whitespace (net/core/dev.c dev_valid_name). */
export const DEVICE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$/;

/** The devices each host will have, by host name (link ends and declared devices, plus lo). */
export function devicesByHost(lab: Lab): Map<string, Map<string, 'lo' | 'veth' | 'bridge' | 'vxlan'>> {
  const out = new Map<string, Map<string, 'lo' | 'veth' | 'bridge' | 'vxlan'>>();
  for (const h of lab.hosts) {
    const devs = new Map<string, 'lo' | 'veth' | 'bridge' | 'vxlan'>([['lo', 'lo']]);
    for (const d of h.devices ?? []) devs.set(d.name, d.kind);
    out.set(h.name, devs);
  }
  for (const l of lab.links) for (const e of [l.a, l.b]) out.get(e.host)?.set(e.dev, 'veth');
  return out;
}

export function validateLab(lab: Lab): void {
  const problems: string[] = [];
  const hosts = new Set<string>();
  const seen = new Map<string, Set<string>>();
  const claim = (host: string, dev: string, what: string) => {
    if (!DEVICE_NAME.test(dev)) problems.push(`${what}: device name "${dev}" is not a valid Linux name (1-15 chars)`);
    const s = seen.get(host);
    if (s === undefined) return;
    if (s.has(dev)) problems.push(`${what}: device "${dev}" defined twice on host "${host}"`);
    s.add(dev);
  };

  for (const h of lab.hosts) {
    if (!HOST_NAME.test(h.name)) problems.push(`host name "${h.name}" must match ${HOST_NAME}`);
    if (hosts.has(h.name)) problems.push(`host "${h.name}" defined twice`);
    hosts.add(h.name);
    seen.set(h.name, new Set(['lo']));
  }
  for (const h of lab.hosts) for (const d of h.devices ?? []) claim(h.name, d.name, `host "${h.name}" ${d.kind}`);

  const checkEnd = (e: LinkEnd, label: string) => {
    if (!hosts.has(e.host)) problems.push(`${label}: unknown host "${e.host}"`);
    else claim(e.host, e.dev, label);
  };
  lab.links.forEach((l, i) => {
    checkEnd(l.a, `link ${i} (${l.a.host}:${l.a.dev})`);
    checkEnd(l.b, `link ${i} (${l.b.host}:${l.b.dev})`);
  });

  const devs = devicesByHost(lab);
  for (const l of lab.links) {
    for (const e of [l.a, l.b]) {
      if (e.master !== undefined && devs.get(e.host)?.get(e.master) !== 'bridge') {
        problems.push(`${e.host}:${e.dev}: master "${e.master}" is not a bridge declared on host "${e.host}"`);
      }
    }
  }
  for (const h of lab.hosts) {
    for (const d of h.devices ?? []) {
      if (d.kind === 'vxlan' && d.dev !== undefined && !devs.get(h.name)?.has(d.dev)) {
        problems.push(`host "${h.name}" vxlan ${d.name}: underlay device "${d.dev}" does not exist on that host`);
      }
    }
    const lines: [string, readonly string[] | undefined][] = [
      ['addresses', h.addresses],
      ['routes', h.routes],
      ['rules', h.rules],
      ['neighbors', h.neighbors],
      ['fdb', h.fdb],
    ];
    for (const [field, list] of lines) {
      for (const s of list ?? []) {
        // Batch input is one command per line: a newline would smuggle in a second command.
        if (/[\r\n]/.test(s) || s.trim() === '')
          problems.push(`host "${h.name}" ${field}: "${s}" must be one non-empty line`);
      }
    }
    for (const [k, v] of Object.entries(h.sysctls ?? {})) {
      // Values may hold spaces (ip_local_port_range = "32768 60999"): each key=value is one argv.
      if (!/^[A-Za-z0-9_./-]+$/.test(k) || /[\r\n]/.test(v))
        problems.push(`host "${h.name}" sysctl "${k}=${v}" is malformed`);
    }
    for (const p of Object.keys(h.files ?? {})) {
      if (!p.startsWith('/') || p.split('/').includes('..'))
        problems.push(`host "${h.name}" file "${p}" must be an absolute path without ".."`);
    }
  }
  if (problems.length > 0) throw new LabTopologyError(`invalid lab topology:\n  ${problems.join('\n  ')}`);
}
