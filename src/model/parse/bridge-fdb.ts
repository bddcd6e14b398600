// Parses `bridge -j fdb show` (section "bridge-fdb"). Shapes from bridge/fdb.c, as captured:
//   VXLAN entry (flannel's AddFDB):  {"mac":"02:..","ifname":"flannel.1","dst":"192.168.50.20",
//                                     "flags":["self"],"state":"permanent"}
//   default destination:             {"mac":"00:00:00:00:00:00","ifname":"vxlan43","dst":"...", ...}
//   bound to a device:               {"mac":"..","ifname":"vx0","dst":"10.0.1.3","viaIf":"eth1",...}
//   bridge port entry:               {"mac":"..","ifname":"vethpod1","flags":[],"master":"cni0","state":""}
// "state" is "permanent", "static", "stale", or "" for a learned entry that is reachable.
import type { FdbEntry, Parsed } from '../types.ts';
import type { Fields } from './fields.ts';
import { mapJsonObjects } from './json-array.ts';
import { Warnings, quote } from './warnings.ts';

const SECTION = 'bridge-fdb';
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

function readFdbEntry(f: Fields, raw: string): FdbEntry | undefined {
  const mac = f.str('mac');
  // iproute2 6.1 prints "ifname"; "dev" is read too, as the name the text output and ip-neigh use.
  const dev = f.str('ifname') ?? f.str('dev');
  if (mac === undefined || dev === undefined) {
    f.warn('fdb entry without "mac" or "ifname"; skipped');
    return undefined;
  }
  if (!MAC.test(mac)) {
    f.warn(`${quote(mac)} is not a MAC address; skipped`);
    return undefined;
  }
  const flags = f.strings('flags') ?? [];
  const e: FdbEntry = { mac: mac.toLowerCase(), dev, self: flags.includes('self'), state: f.str('state') ?? '', raw };
  const dst = f.str('dst');
  const vni = f.uint('vni');
  const master = f.str('master');
  const via = f.str('viaIf');
  if (dst !== undefined) e.dst = dst;
  if (via !== undefined) e.via = via;
  if (vni !== undefined) e.vni = vni;
  if (master !== undefined) e.master = master;
  return e;
}

/** `known`: items of elements other hosts printed the same (mapJsonObjects). */
export function parseBridgeFdb(text: string, known?: Map<string, FdbEntry>): Parsed<FdbEntry[]> {
  const w = new Warnings();
  const value = mapJsonObjects(text, SECTION, w, readFdbEntry, known);
  return { value, warnings: w.done() };
}
