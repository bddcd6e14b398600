// From a host's raw snapshot entry to its typed state: each section to its parser. A section
// that is missing is recorded (the analysis says what it could not check); a section a parser
// cannot fully read gives warnings and whatever could be read.
import type { HostEntry } from '../snapshot/types.ts';
import { CNI_DIR_SECTIONS, FILE_SECTION_PREFIX } from '../snapshot/sections.ts';
import { parseBridgeFdb } from './parse/bridge-fdb.ts';
import { parseConntrackStats } from './parse/conntrack-stats.ts';
import { parseCniConfig } from './parse/cni.ts';
import { parseFlannelSubnetEnv } from './parse/flannel-env.ts';
import { parseIpAddr } from './parse/ip-addr.ts';
import { parseIpNeigh } from './parse/ip-neigh.ts';
import { parseIpRoute } from './parse/ip-route.ts';
import { parseIpRule } from './parse/ip-rule.ts';
import { parseIpsetSave } from './parse/ipset.ts';
import { parseIpvsadmSave } from './parse/ipvsadm.ts';
import { looksLikeIpvsadmList, parseIpvsadmList } from './parse/ipvsadm-list.ts';
import { parseNftJson } from './parse/nft.ts';
import { parseIptablesSave } from './parse/iptables-save.ts';
import { parseIptablesShared } from './parse/iptables-shared.ts';
import { piecedSection } from '../snapshot/pieced.ts';
import type { PiecedSection } from '../snapshot/pieced.ts';
import { parseSysctl } from './parse/sysctl.ts';
import { parseXtRecent } from './parse/xt-recent.ts';
import { ParseShare } from './parse-share.ts';
import { parsedStatus } from './provenance.ts';
import type { SectionStatus } from './provenance.ts';
import type { HostState, IptRuleset, Parsed } from './types.ts';

const FLANNEL_ENV = `${FILE_SECTION_PREFIX}/run/flannel/subnet.env`;

/**
 * Sections whose text differs on every node (each lists the others): shared element by element
 * (ParseShare.elementsOf), never looked up whole.
 */
const BY_ELEMENT: ReadonlySet<string> = new Set(['ip-route', 'ip-neigh', 'bridge-fdb']);

export function buildHostState(name: string, entry: HostEntry, share = new ParseShare()): HostState {
  const warnings: string[] = [];
  const sec = entry.sections;
  const provenance = new Map<string, SectionStatus>();
  for (const [section, reason] of Object.entries(entry.errors)) {
    if (sec[section] !== undefined) continue;
    // A file or directory the probe found not to exist is an observation, not a gap: the node
    // has no such file (collect/collect-host.ts records it as "<path>: ENOENT").
    if (section.startsWith(FILE_SECTION_PREFIX) && /: ENOENT$/.test(reason))
      provenance.set(section, { state: 'collected' });
    else provenance.set(section, { state: 'failed', reason });
  }
  function take<T>(
    section: string,
    parse: (text: string) => Parsed<T>,
    empty: T,
    pieced?: (p: PiecedSection) => Parsed<T>,
  ): T {
    // A section many hosts hold in pieces (v2) is parsed from them, never put together as one
    // text; one host's alone is put together and parsed as text (sharing would only cost).
    const held = pieced === undefined ? undefined : piecedSection(sec, section);
    const p = held !== undefined && (held.store.holders.get(section) ?? 0) > 1 ? held : undefined;
    if (p === undefined && sec[section] === undefined) return empty;
    const r =
      p !== undefined
        ? pieced!(p)
        : pieced !== undefined || BY_ELEMENT.has(section)
          ? parse(sec[section]!)
          : share.section(section, sec[section]!, parse);
    for (const w of r.warnings) warnings.push(`${section}: ${w}`);
    provenance.set(
      section,
      r.warnings.length === 0 ? { state: 'collected' } : parsedStatus(sec[section]!, r.value, r.warnings),
    );
    return r.value;
  }

  const addr = take('ip-addr', parseIpAddr, { links: [], addresses: [] });
  const iptables: IptRuleset[] = [];
  for (const [section, backend] of [
    ['iptables-nft-save', 'nft'],
    ['iptables-legacy-save', 'legacy'],
  ] as const) {
    const rs = take(
      section,
      (t) => parseIptablesSave(t, backend),
      undefined as IptRuleset | undefined,
      (p) => parseIptablesShared(p, backend),
    );
    if (rs !== undefined && [...rs.tables.values()].some((t) => t.chains.size > 0)) iptables.push(rs);
  }
  const state: HostState = {
    name,
    links: addr.links,
    addresses: addr.addresses,
    routes: take('ip-route', (t) => parseIpRoute(t, share.elementsOf('ip-route')), []),
    rules: take('ip-rule', parseIpRule, []),
    neighbors: take('ip-neigh', (t) => parseIpNeigh(t, share.elementsOf('ip-neigh')), []),
    fdb: take('bridge-fdb', (t) => parseBridgeFdb(t, share.elementsOf('bridge-fdb')), []),
    sysctls: take('sysctl', parseSysctl, new Map()),
    iptables,
    // `ipvsadm -S -n` from the probe; a pasted `ipvsadm -Ln` listing holds the same state.
    ipvs: take('ipvsadm', (t) => (looksLikeIpvsadmList(t) ? parseIpvsadmList(t) : parseIpvsadmSave(t)), []),
    ipsets: take('ipset', parseIpsetSave, []),
    cni: Object.keys(sec)
      .filter((k) => CNI_DIR_SECTIONS.some((d) => k.startsWith(d)))
      .sort()
      .map((k) => take(k, (t) => parseCniConfig(k.slice(FILE_SECTION_PREFIX.length), t), undefined as never)),
    missing: { ...entry.errors },
    provenance,
    warnings,
  };
  // Older nft prints nothing for an empty ruleset: collected, and no native chains.
  if (sec['nft'] !== undefined && sec['nft'].trim() === '') provenance.set('nft', { state: 'collected' });
  else if (sec['nft'] !== undefined) state.nft = take('nft', parseNftJson, undefined as never);
  if (sec['xt-recent'] !== undefined) state.xtRecent = take('xt-recent', parseXtRecent, undefined as never);
  if (sec['conntrack-stats'] !== undefined)
    state.conntrackStats = take('conntrack-stats', parseConntrackStats, undefined as never);
  if (sec[FLANNEL_ENV] !== undefined) state.flannel = take(FLANNEL_ENV, parseFlannelSubnetEnv, undefined as never);
  return state;
}
