// Parses `ip -j neigh show` (section "ip-neigh"): both families, one element per entry, e.g.
//   {"dst":"10.244.2.0","dev":"flannel.1","lladdr":"02:..","state":["PERMANENT"]}
// An entry still resolving (INCOMPLETE) or failed (FAILED) has no "lladdr" (ip/ipneigh.c).
import type { Neighbor, Parsed } from '../types.ts';
import type { Fields } from './fields.ts';
import { familyOf } from './ip-text.ts';
import { mapJsonObjects } from './json-array.ts';
import { Warnings, quote } from './warnings.ts';

const SECTION = 'ip-neigh';

function readNeighbor(f: Fields, raw: string): Neighbor | undefined {
  const dst = f.str('dst');
  const dev = f.str('dev');
  if (dst === undefined || dev === undefined) {
    f.warn('neighbour without "dst" or "dev"; skipped');
    return undefined;
  }
  if (familyOf(dst) === undefined) {
    f.warn(`${quote(dst)} is not an IP address; skipped`);
    return undefined;
  }
  const n: Neighbor = { dst, dev, state: f.strings('state') ?? [], raw };
  const lladdr = f.str('lladdr');
  if (lladdr !== undefined) n.lladdr = lladdr.toLowerCase();
  return n;
}

/** `known`: items of elements other hosts printed the same (mapJsonObjects). */
export function parseIpNeigh(text: string, known?: Map<string, Neighbor>): Parsed<Neighbor[]> {
  const w = new Warnings();
  const value = mapJsonObjects(text, SECTION, w, readNeighbor, known);
  return { value, warnings: w.done() };
}
