// iptables-save text as tables of chains, for the cluster generator (bench/gen/cluster.ts): split
// from a dump, merged, and rendered per node. Every node's ruleset is the cluster's shared one plus
// a few node-specific chains and rules, with its own counters: SharedSave sorts and slices the
// shared tables once, so that a node costs its counters and its own chains, not the 113k rules'
// bookkeeping again (0.45 s a node at 10k Services, 1,000 nodes × 10k took ~15 min).

export interface SaveTable {
  name: string;
  builtins: string[];
  /** Chain → its header line. */
  headers: Map<string, string>;
  /** Chain → its rule lines, counters replaced by "[0:0]" (filled per node). */
  rules: Map<string, string[]>;
}

/** iptables-save text → tables, keeping lines verbatim (both inputs are iptables-nft-save output). */
export function splitSave(text: string): SaveTable[] {
  const tables: SaveTable[] = [];
  let t: SaveTable | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) {
      t = { name: line.slice(1), builtins: [], headers: new Map(), rules: new Map() };
      tables.push(t);
    } else if (t !== undefined && line.startsWith(':')) {
      const [name, policy] = line.slice(1).split(' ') as [string, string];
      if (policy !== '-') t.builtins.push(name);
      t.headers.set(name, line);
      t.rules.set(name, []);
    } else if (t !== undefined && line.startsWith('[')) {
      const chain = line.split(' ')[2]!;
      t.rules.get(chain)!.push(line);
    }
  }
  return tables;
}

/** Adds `b`'s chains and rules to `a`'s (a chain in both keeps a's rules first). */
export function mergeInto(a: SaveTable[], b: SaveTable[]): void {
  for (const tb of b) {
    const ta = a.find((t) => t.name === tb.name);
    if (ta === undefined) {
      a.push(tb);
      continue;
    }
    for (const [c, h] of tb.headers) {
      if (!ta.headers.has(c)) {
        ta.headers.set(c, h);
        ta.rules.set(c, []);
        if (tb.builtins.includes(c)) ta.builtins.push(c);
      }
      ta.rules.set(c, [...ta.rules.get(c)!, ...tb.rules.get(c)!]);
    }
  }
}

/** A rule line without its counter: " -A CHAIN ...". */
const body = (rule: string): string => rule.slice(rule.indexOf(']') + 1);

/** The "[0:0]" every rule line of `Ordered.zero` starts with. */
const ZERO = '[0:0]';

/**
 * A table in iptables-nft-save's order (builtins, then user chains sorted as Array#sort sorts
 * strings, as `<` compares), its header lines and its rule lines (all "[0:0]") as one text each.
 */
interface Ordered {
  name: string;
  builtins: number;
  chains: string[];
  index: Map<string, number>;
  headers: Map<string, string>;
  /** The header lines; chain j's starts at headAt[j] (one more offset: the end). */
  head: string;
  headAt: Int32Array;
  /** The rule lines, each "[0:0] -A …\n"; rule k starts at ruleAt[k], chain j's first rule is firstRule[j]. */
  zero: string;
  ruleAt: Int32Array;
  firstRule: Int32Array;
}

function ordered(t: SaveTable): Ordered {
  const users = [...t.headers.keys()].filter((c) => !t.builtins.includes(c)).sort();
  const chains = [...t.builtins, ...users];
  const heads = chains.map((c) => `${t.headers.get(c)!}\n`);
  const rules: string[] = [];
  const firstRule = new Int32Array(chains.length + 1);
  chains.forEach((c, j) => {
    firstRule[j] = rules.length;
    for (const r of t.rules.get(c)!) rules.push(`${ZERO}${body(r)}\n`);
  });
  firstRule[chains.length] = rules.length;
  const offsets = (lines: string[]): Int32Array => {
    const at = new Int32Array(lines.length + 1);
    lines.forEach((l, k) => {
      at[k + 1] = at[k]! + l.length;
    });
    return at;
  };
  return {
    name: t.name,
    builtins: t.builtins.length,
    chains,
    index: new Map(chains.map((c, j) => [c, j])),
    headers: t.headers,
    head: heads.join(''),
    headAt: offsets(heads),
    zero: rules.join(''),
    ruleAt: offsets(rules),
    firstRule,
  };
}

/** Where `c` goes among the sorted `chains[from..]`: the index of the first one after it. */
function place(chains: readonly string[], from: number, c: string): number {
  let lo = from;
  let hi = chains.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (chains[mid]! < c) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** What a node adds at one place between the shared chains: rules of the chain before it, then new chains. */
interface Insert {
  /** Rule lines (counters "[0:0]", replaced) appended to the shared chain before this place. */
  appended: string[];
  /** New chains here, in order. */
  chains: string[];
}

/**
 * The shared tables, rendered per node with `extra` merged in (as mergeInto would) and counters
 * from a per-node sequence: the same text as merging into a copy of the tables and rendering that.
 * The shared rule lines are one text with "[0:0]" counters, sliced around the one rule in 7 whose
 * counter is not 0 and around the node's own chains.
 */
export class SharedSave {
  private readonly tables: Ordered[];

  constructor(tables: readonly SaveTable[]) {
    this.tables = tables.map(ordered);
  }

  /** iptables-nft-save: per table, builtins then user chains sorted; the rules grouped by chain in that order. */
  render(extra: readonly SaveTable[], seed: number, date: string): string {
    let x = seed * 2654435761 + 1;
    const counters = (): string => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      const p = x % 7 === 0 ? x % 100000 : 0;
      return `[${p}:${p * 74}]`;
    };
    const out: string[] = [];
    const emit = (t: Ordered, more: SaveTable | undefined): void => {
      // Places (0..chains) where this node adds rules or chains.
      const inserts = new Map<number, Insert>();
      const at = (b: number): Insert => {
        let i = inserts.get(b);
        if (i === undefined) {
          i = { appended: [], chains: [] };
          inserts.set(b, i);
        }
        return i;
      };
      if (more !== undefined) {
        const newUsers: string[] = [];
        for (const [c, rs] of more.rules) {
          const j = t.index.get(c);
          if (j !== undefined) at(j + 1).appended.push(...rs);
        }
        // New builtins follow the shared ones, before every user chain; new user chains go in sorted.
        for (const c of more.headers.keys())
          if (!t.index.has(c)) {
            if (more.builtins.includes(c)) at(t.builtins).chains.push(c);
            else newUsers.push(c);
          }
        for (const c of newUsers.sort()) at(place(t.chains, t.builtins, c)).chains.push(c);
      }
      const places = [...inserts.keys()].sort((a, b) => a - b);
      out.push(`# Generated by iptables-nft-save v1.8.9 (nf_tables) on ${date}\n`, `*${t.name}\n`);
      let from = 0;
      for (const b of places) {
        out.push(t.head.slice(t.headAt[from]!, t.headAt[b]!));
        for (const c of inserts.get(b)!.chains) out.push(`${more!.headers.get(c)!}\n`);
        from = b;
      }
      out.push(t.head.slice(t.headAt[from]!));
      // The rules: the shared text up to each rule whose counter is not 0, and up to each place.
      let k = 0;
      let seg = 0;
      const upTo = (end: number): void => {
        // The sequence in a local: a captured one is a heap number a step (above 2^31).
        let y = x;
        for (; k < end; k++) {
          y = (Math.imul(y, 1103515245) + 12345) >>> 0;
          const p = y % 7 === 0 ? y % 100000 : 0;
          if (p === 0) continue;
          out.push(t.zero.slice(seg, t.ruleAt[k]!), `[${p}:${p * 74}]`);
          seg = t.ruleAt[k]! + ZERO.length;
        }
        x = y;
      };
      for (const b of places) {
        upTo(t.firstRule[b]!);
        out.push(t.zero.slice(seg, t.ruleAt[k]!));
        seg = t.ruleAt[k]!;
        const ins = inserts.get(b)!;
        for (const r of ins.appended) out.push(`${counters()}${body(r)}\n`);
        for (const c of ins.chains) for (const r of more!.rules.get(c)!) out.push(`${counters()}${body(r)}\n`);
      }
      upTo(t.ruleAt.length - 1);
      out.push(t.zero.slice(seg), 'COMMIT\n', `# Completed on ${date}\n`);
    };
    for (const t of this.tables)
      emit(
        t,
        extra.find((e) => e.name === t.name),
      );
    // A table only in `extra` comes after the shared ones, as mergeInto appends it.
    for (const e of extra) if (!this.tables.some((t) => t.name === e.name)) emit(ordered(e), undefined);
    return out.join('');
  }
}
