// Waits until every veth pair whose ends are both up really carries packets. Setting a veth up
// turns the carrier on at once, but operstate and the bridge port state follow only when the
// kernel's linkwatch work runs (net/core/link_watch.c), and linkwatch treats an event as
// non-urgent, delaying it up to a second, when a device's ifindex equals its iflink — which for
// a veth pair across namespaces happens whenever both ends got the same number. plan.ts gives
// veth ends distinct indexes so that this wait is normally a single check.
import { execCapture } from './exec.ts';
import { LabCommandError } from './errors.ts';
import type { Lab } from './topology.ts';

interface IpLink {
  ifname: string;
  flags?: string[];
  operstate?: string;
  linkinfo?: { info_slave_kind?: string; info_slave_data?: { state?: string } };
}

/** What is not ready yet, one line per device, or [] when the lab carries packets. */
async function notReady(lab: Lab, nsOf: (host: string) => string): Promise<string[]> {
  const links = new Map<string, Map<string, IpLink>>();
  await Promise.all(
    lab.hosts.map(async (h) => {
      const r = await execCapture(['ip', '-n', nsOf(h.name), '-j', '-d', 'link', 'show']);
      const list = r.code === 0 ? (JSON.parse(r.stdout) as IpLink[]) : [];
      links.set(h.name, new Map(list.map((l) => [l.ifname, l])));
    }),
  );
  const out: string[] = [];
  for (const l of lab.links) {
    const ends = [l.a, l.b].map((e) => ({ e, dev: links.get(e.host)?.get(e.dev) }));
    // A pair the topology's own commands took down is meant to be down.
    if (!ends.every(({ dev }) => dev?.flags?.includes('UP') === true)) continue;
    for (const { e, dev } of ends) {
      if (dev?.operstate !== 'UP') out.push(`${e.host}:${e.dev} operstate ${dev?.operstate ?? '?'}`);
      const slave = dev?.linkinfo?.info_slave_kind === 'bridge' ? dev.linkinfo.info_slave_data?.state : undefined;
      const master = e.master === undefined ? undefined : links.get(e.host)?.get(e.master);
      if (slave !== undefined && slave !== 'forwarding' && master?.flags?.includes('UP') === true) {
        out.push(`${e.host}:${e.dev} bridge port state ${slave}`);
      }
    }
  }
  return out;
}

export async function waitForLinks(lab: Lab, nsOf: (host: string) => string, timeoutMs = 3_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const pending = await notReady(lab, nsOf);
    if (pending.length === 0) return;
    if (Date.now() > until) {
      throw new LabCommandError({
        step: 'settle',
        command: 'ip -j -d link show (every host)',
        exitCode: null,
        stderr: `links not up after ${timeoutMs} ms: ${pending.join(', ')}`,
      });
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}
