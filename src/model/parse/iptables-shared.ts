// iptables-save text held in pieces (a v2 snapshot) parsed once for the whole cluster: the first
// host's tables are built with rules and chains every host shares; each other host is that, less
// the chains its text has differently, plus its own version of those. kube-proxy and CNI agents
// write the same chains on every node, so a host's own part is a few node-specific chains and the
// built-in chains (their policy counters); every rule's counters stay in the host's counter column
// and are looked up when asked (IptRuleset.said). Without this a 1,000-node cluster of 10k
// Services holds 110k rule objects and 50k chains per node.
//
// A chain's content is the run of its lines in the text. The host's pieces are matched in order
// against the first host's; a chain every one of whose lines lies in matched pieces, none in a
// piece of the host's own or a piece it lacks, is the same chain (same lines, same order, same
// table). Anything the shared parse does not expect — a warning, a table of one host only, a
// counter in the middle of a line — sends that host (or, in the first host, the whole section)
// to parseIptablesPieced, which reads every line: the result is the same, only slower.
import type { PiecedSection } from '../../snapshot/pieced.ts';
import type { CounterColumn } from '../../snapshot/v2/counter-column.ts';
import type { IptablesBackend, IptChain, IptRule, IptRuleSaid, IptRuleset, IptTable, Parsed } from '../types.ts';
import {
  LEGACY_WARNING,
  liftedCounters,
  type ParsedPiece,
  parseIptablesPieced,
  parsedPiece,
  type SharedIptablesParse,
  sharedParseOf,
} from './iptables-save.ts';
import type { SavedRule } from './iptables-save/saved-rule.ts';
import { OverlayChains } from './iptables-shared/overlay-chains.ts';

const SPACE = 32;
const TAB = 9;

/** One line of a piece as the shared parse reads it, in the table the piece is entered in. */
interface ShapeLine {
  li: number;
  kind: 'rule' | 'header';
  table: string;
  chain: string;
  /** The header's policy (null: a user chain), or the rule's shared line. */
  policy?: string | null;
  rule?: ReadRuleCore;
}

type ReadRuleCore = NonNullable<ReturnType<ParsedPiece['rule']>['core']>;

/** What a piece holds, read in one entering table; `ok` false when the shared parse cannot take it. */
interface Shape {
  ok: boolean;
  lines: ShapeLine[];
  /** "table\0chain" of every chain the piece has a line of. */
  touched: string[];
  /** The table after the piece (undefined: the one it was entered in). */
  exit: string | null | undefined;
  /** The tables the piece starts ("*name" lines). */
  tables: string[];
  /** Its table lines in order ("*name" and "COMMIT"), each followed by "\n". */
  events: string;
  headerHoles: boolean;
}

const key = (table: string, chain: string): string => `${table}\0${chain}`;

const shapes = new WeakMap<ParsedPiece, Map<string | null, Shape>>();

function shapeOf(piece: ParsedPiece, enter: string | null, shared: SharedIptablesParse): Shape {
  let byTable = shapes.get(piece);
  if (byTable === undefined) shapes.set(piece, (byTable = new Map()));
  let s = byTable.get(enter);
  if (s === undefined) byTable.set(enter, (s = readShape(piece, enter, shared)));
  return s;
}

function readShape(piece: ParsedPiece, enter: string | null, shared: SharedIptablesParse): Shape {
  const s: Shape = {
    ok: true,
    lines: [],
    touched: [],
    exit: undefined,
    tables: [],
    events: '',
    headerHoles: false,
  };
  const touched = new Set<string>();
  const text = piece.text;
  let table = enter;
  for (let li = 0; li < piece.lines.length && s.ok; li++) {
    const l = piece.lines[li]!;
    let at = l.start;
    while (at < l.end && (text.charCodeAt(at) === SPACE || text.charCodeAt(at) === TAB)) at++;
    if (at === l.end) continue;
    const c = text[at];
    const frontHole = l.holes === 1 && piece.holeAt[l.firstHole] === l.start;
    if (c === '#') {
      const line = text.slice(at, l.end);
      s.ok = l.holes === 0 && !line.includes(LEGACY_WARNING) && !line.includes('incompatible');
    } else if (c === '*') {
      const name = text.slice(at + 1, l.end).trim();
      s.ok = l.holes === 0 && name !== '' && !/\s/.test(name);
      table = name;
      s.exit = name;
      s.tables.push(name);
      s.events += `*${name}\n`;
    } else if (c === 'C' && text.slice(at, l.end).trimEnd() === 'COMMIT') {
      s.ok = l.holes === 0 && table !== null;
      table = null;
      s.exit = null;
      s.events += 'COMMIT\n';
    } else if (c === ':' && at === l.start && table !== null) {
      const endHole = l.holes === 1 && piece.holeAt[l.firstHole] === l.end - 2;
      const h = piece.header(li);
      s.ok = (l.holes === 0 || endHole) && h !== undefined && h.policy !== '[]';
      if (!s.ok || h === undefined) break;
      if (l.holes > 0) s.headerHoles = true;
      s.lines.push({ li, kind: 'header', table, chain: h.name, policy: h.policy });
      touched.add(key(table, h.name));
    } else if (table !== null && ((l.holes === 0 && c === '-' && at === l.start) || frontHole)) {
      const r = piece.rule(li, table, shared);
      s.ok = r.core !== undefined && r.warnings.length === 0;
      if (!s.ok || r.core === undefined) break;
      s.lines.push({ li, kind: 'rule', table, chain: r.core.chain, rule: r.core });
      touched.add(key(table, r.core.chain));
    } else s.ok = false;
  }
  s.touched = [...touched];
  return s;
}

/** A header line as printed, its counter (if lifted) put back; `first`: the piece's first entry in `column`. */
function headerLine(piece: ParsedPiece, li: number, column: CounterColumn, first: number): string {
  const l = piece.lines[li]!;
  if (l.holes === 0) return piece.text.slice(l.start, l.end);
  const c = column.entry(first + l.firstHole);
  return piece.filled(l, () => c);
}

/** Rule locations of a chain: pairs (piece index, line index), one per rule. */
type Where = Int32Array;

const PLAIN = 1;
const HEADERS = 2;

/** The first host's section, parsed into the chains hosts share. */
class Base {
  /** Per piece number, where the base has it. */
  readonly at = new Map<number, number[]>();
  readonly enter: (string | null)[] = [];
  readonly shapes: Shape[] = [];
  readonly tables = new Map<string, Map<string, IptChain>>();
  readonly where = new WeakMap<IptChain, Where>();
  /** Per "table\0chain", the base pieces holding a line of it. */
  readonly chainPieces = new Map<string, number[]>();
  readonly pieces: ParsedPiece[];
  /** Every table line of the text, in order (Shape.events). */
  readonly events: string;
  /**
   * Per piece, PLAIN when matching it changes nothing but the match (no table line, no header
   * counters), HEADERS when its header counters are all that is left to compare: matchPieces
   * takes a run of them by comparing numbers, and the run's counters at once.
   */
  readonly plain: Uint8Array;

  constructor(
    readonly ids: Int32Array,
    pieces: ParsedPiece[],
    readonly column: CounterColumn,
    /** Per piece, its first entry in `column` (PiecedSection.before). */
    readonly before: Int32Array,
    shared: SharedIptablesParse,
  ) {
    this.pieces = pieces;
    let table: string | null = null;
    let events = '';
    for (let j = 0; j < ids.length; j++) {
      const list = this.at.get(ids[j]!);
      if (list === undefined) this.at.set(ids[j]!, [j]);
      else list.push(j);
      this.enter.push(table);
      const s = shapeOf(pieces[j]!, table, shared);
      this.shapes.push(s);
      events += s.events;
      if (s.exit !== undefined) table = s.exit;
      for (const t of s.touched) {
        const l = this.chainPieces.get(t);
        if (l === undefined) this.chainPieces.set(t, [j]);
        else l.push(j);
      }
    }
    this.events = events;
    this.plain = Uint8Array.from(this.shapes, (s) =>
      !s.ok || s.events !== '' || s.exit !== undefined ? 0 : s.headerHoles ? HEADERS : PLAIN,
    );
  }

  /** Whether every piece is one the shared parse takes. */
  get ok(): boolean {
    return this.shapes.every((s) => s.ok);
  }
}

/** Chains built from `pieces` (the base's or a host's), with where each rule's line is. */
class ChainBuilder {
  readonly chains = new Map<string, { chain: IptChain; where: number[] }>();
  failed = false;

  constructor(
    private readonly pieces: (i: number) => ParsedPiece,
    private readonly column: CounterColumn,
    private readonly before: Int32Array,
  ) {}

  /** The lines of piece `i` (shape `s`) for chains `wanted` accepts. */
  add(i: number, s: Shape, wanted: (k: string) => boolean): void {
    for (const line of s.lines) {
      const k = key(line.table, line.chain);
      if (!wanted(k)) continue;
      const got = this.chains.get(k);
      if (line.kind === 'header') {
        // A chain declared twice warns (parseIptablesSave): not the shared parse's to decide.
        if (got !== undefined) this.failed = true;
        else
          this.chains.set(k, {
            chain: {
              name: line.chain,
              policy: line.policy ?? null,
              rules: [],
              raw: headerLine(this.pieces(i), line.li, this.column, this.before[i]!),
            },
            where: [],
          });
      } else if (got === undefined)
        this.failed = true; // a rule before its chain's header warns
      else {
        got.chain.rules.push(line.rule!.sharedAt(got.chain.rules.length + 1));
        got.where.push(i, line.li);
      }
    }
  }
}

const BASE = '\0iptables-shared:';

/**
 * Whether table lines `events` (Shape.events) open each table once and COMMIT it before the next
 * opens and by the end: parseIptablesSave warns otherwise (no COMMIT; a table twice).
 */
function tablesClosed(events: string): boolean {
  const seen = new Set<string>();
  let open = false;
  for (const e of events.split('\n')) {
    if (e === '') continue;
    if (e === 'COMMIT') {
      if (!open) return false;
      open = false;
    } else {
      if (open || seen.has(e)) return false;
      seen.add(e);
      open = true;
    }
  }
  return !open;
}

/**
 * parseIptablesPieced's result for `p`, its rules and chains shared with every other host of the
 * snapshot that has the same lines (see the top of this file).
 */
export function parseIptablesShared(p: PiecedSection, backend: IptablesBackend): Parsed<IptRuleset> {
  const store = p.store;
  const shared = sharedParseOf(store);
  const baseKey = `${BASE}${backend}`;
  let base = store.derived.get(baseKey) as Base | null | undefined;
  if (base === undefined) {
    base = makeBase(p, shared);
    store.derived.set(baseKey, base);
  }
  if (base === null) return parseIptablesPieced(p, backend);
  return hostView(base, p, backend, shared) ?? parseIptablesPieced(p, backend);
}

function makeBase(p: PiecedSection, shared: SharedIptablesParse): Base | null {
  // A first host whose text warns anywhere is not a base to share: every line is one the shapes
  // take (rules and headers read without a warning), and its tables open and close as they should.
  const pieces = Array.from(p.refs, (r) => parsedPiece(p.store, r));
  if (p.counters.long) return null;
  const base = new Base(p.refs, pieces, p.counters, p.before(), shared);
  if (!base.ok || !tablesClosed(base.events)) return null;
  const b = new ChainBuilder((i) => pieces[i]!, p.counters, base.before);
  for (let j = 0; j < pieces.length; j++) b.add(j, base.shapes[j]!, () => true);
  if (b.failed) return null;
  for (const s of base.shapes)
    for (const t of s.tables) {
      // A table twice warns (parseIptablesSave): the base read line by line had none.
      base.tables.set(t, new Map());
    }
  for (const [k, { chain, where }] of b.chains) {
    base.tables.get(k.slice(0, k.indexOf('\0')))!.set(chain.name, chain);
    base.where.set(chain, Int32Array.from(where));
  }
  return base;
}

/** How a host's pieces line up with the base's (see matchPieces). */
interface Matched {
  /** Per base piece, the host piece it is (-1: the host lacks it). */
  m: Int32Array;
  /** The shapes of the host's pieces not matched (a matched one's is its base piece's); undefined when one is not ok. */
  own: Map<number, Shape> | undefined;
  /** The host's table lines, in order (Shape.events). */
  events: string;
  /** Chains touched by base pieces the host lacks, or whose header counters the host has differently. */
  dirty: Set<string>;
}

/**
 * Matches the host's pieces `ids` in order against the base's, in the same entering table: the
 * host's piece is the next base piece, or a later one when the piece after agrees too.
 */
function matchPieces(
  base: Base,
  ids: Int32Array,
  pieceAt: (i: number) => ParsedPiece,
  shared: SharedIptablesParse,
  /** The host's counter column and its pieces' first entries, to compare header counters (none: `dirty` leaves them out). */
  headers?: { column: CounterColumn; before: Int32Array },
): Matched {
  const n = ids.length;
  const m = new Int32Array(base.ids.length).fill(-1);
  const own = new Map<number, Shape>();
  const dirty = new Set<string>();
  let bp = 0;
  let table: string | null = null;
  let events = '';
  /** A header's counters are the host's own: a chain whose header differs is the host's. */
  const headerDiffers = (j: number, i: number): void => {
    if (
      headers !== undefined &&
      !headers.column.sameRun(headers.before[i]!, base.column, base.before[j]!, base.before[j + 1]! - base.before[j]!)
    )
      for (const l of base.shapes[j]!.lines) if (l.kind === 'header') dirty.add(key(l.table, l.chain));
  };
  const baseIds = base.ids;
  const plain = base.plain;
  for (let i = 0; i < n; i++) {
    // In step with the base, in its table: the host's pieces that are the base's next plain ones
    // are matched by number (most of a host is: 1,000 hosts × ~18k pieces, a third of them
    // kube-proxy's chain headers), and the run's header counters compared at once.
    if (bp < baseIds.length && base.enter[bp] === table) {
      const i0 = i;
      const bp0 = bp;
      let withHeaders = false;
      for (; i < n && bp < baseIds.length && ids[i] === baseIds[bp] && plain[bp] !== 0; i++, bp++) {
        m[bp] = i;
        if (plain[bp] === HEADERS) withHeaders = true;
      }
      if (
        withHeaders &&
        headers !== undefined &&
        !headers.column.sameRun(
          headers.before[i0]!,
          base.column,
          base.before[bp0]!,
          base.before[bp]! - base.before[bp0]!,
        )
      )
        for (let k = bp0; k < bp; k++) if (plain[k] === HEADERS) headerDiffers(k, i0 + (k - bp0));
      if (i === n) break;
    }
    const id = ids[i]!;
    let j = bp < base.ids.length && base.ids[bp] === id ? bp : -1;
    if (j === -1) {
      // Resynchronise on a later base piece only when the next piece agrees too.
      const next = base.at.get(id)?.find((k) => k > bp);
      if (next !== undefined && (i + 1 === n || base.ids[next + 1] === ids[i + 1])) j = next;
    }
    const matched: boolean = j !== -1 && base.enter[j] === table;
    // A matched piece is the base's piece in the same table: its shape is the base's.
    const s: Shape = matched ? base.shapes[j]! : shapeOf(pieceAt(i), table, shared);
    if (s.events !== '') events += s.events;
    if (matched) {
      for (let k = bp; k < j; k++) for (const t of base.shapes[k]!.touched) dirty.add(t);
      m[j] = i;
      bp = j + 1;
      if (s.headerHoles) headerDiffers(j, i);
    } else {
      if (!s.ok) return { m, own: undefined, events, dirty };
      own.set(i, s);
      for (const t of s.touched) dirty.add(t);
    }
    if (s.exit !== undefined) table = s.exit;
  }
  for (let k = bp; k < base.ids.length; k++) for (const t of base.shapes[k]!.touched) dirty.add(t);
  return { m, own, events, dirty };
}

/** Host `p` as the base less its differing chains plus its own; undefined when the shared parse cannot tell. */
function hostView(
  base: Base,
  p: PiecedSection,
  backend: IptablesBackend,
  shared: SharedIptablesParse,
): Parsed<IptRuleset> | undefined {
  const ids = p.refs;
  const store = p.store;
  const parsed = shared.pieces;
  const pieceAt = (i: number): ParsedPiece => parsed[ids[i]!] ?? parsedPiece(store, ids[i]!);
  const column = p.counters;
  // A count parseCount refuses (over 20 digits) warns: read line by line.
  if (column.long) return undefined;
  const before = p.before();
  const { m, own: ownShapes, events, dirty } = matchPieces(base, ids, pieceAt, shared, { column, before });
  // The same tables in the same order, or the base's tables are not this host's.
  if (ownShapes === undefined || events !== base.events) return undefined;

  // The host's own chains: every piece holding one of their lines, in order.
  const at = new Map<number, Shape>(ownShapes);
  for (const k of dirty)
    for (const j of base.chainPieces.get(k) ?? []) if (m[j]! !== -1) at.set(m[j]!, base.shapes[j]!);
  // A matched piece holds what its base piece does: every other piece with a line of theirs is unmatched.
  const b = new ChainBuilder(pieceAt, column, before);
  for (const i of [...at.keys()].sort((x, y) => x - y)) b.add(i, at.get(i)!, (k) => dirty.has(k));
  if (b.failed) return undefined;
  const own = new Map<string, Map<string, IptChain | undefined>>();
  for (const t of base.tables.keys()) own.set(t, new Map());
  const ownWhere = new Map<IptChain, number[]>();
  for (const k of dirty) {
    const t = k.slice(0, k.indexOf('\0'));
    const built = b.chains.get(k);
    own.get(t)?.set(k.slice(t.length + 1), built?.chain);
    if (built !== undefined) ownWhere.set(built.chain, built.where);
  }
  const tables = new Map<string, IptTable>();
  for (const [name, chains] of base.tables)
    tables.set(name, { name, chains: new OverlayChains(chains, own.get(name)!) });

  // A view keeps its counter column (its non-zero entries) and its piece list; where each piece
  // and its counters are is found again when a rule's counters are first asked for (evidence: a
  // few hosts, a few rules). A 1,000-node cluster's views would otherwise hold two more arrays of
  // ~18k entries each.
  let placed: { m: Int32Array; before: Int32Array } | undefined;
  const places = (): { m: Int32Array; before: Int32Array } =>
    (placed ??= { m: matchPieces(base, ids, pieceAt, shared).m, before: p.before() });
  const said = (rule: IptRule): IptRuleSaid | undefined => {
    const chain = tables.get(rule.table)?.chains.get(rule.chain);
    const k = rule.position - 1;
    if (chain === undefined || chain.rules[k] !== rule) return undefined;
    const w = ownWhere.get(chain);
    const { m, before } = places();
    let i: number;
    let li: number;
    if (w !== undefined) {
      i = w[2 * k]!;
      li = w[2 * k + 1]!;
    } else {
      const bw = base.where.get(chain)!;
      i = m[bw[2 * k]!]!;
      li = bw[2 * k + 1]!;
    }
    const l = pieceAt(i).lines[li]!;
    if (l.holes === 0) return { raw: rule.raw };
    const lifted = column.entry(before[i]! + l.firstHole);
    const counters = liftedCounters(lifted);
    const raw = (rule as SavedRule).printedWith(lifted);
    return counters === undefined ? { raw } : { raw, counters };
  };
  return { value: { backend, tables, said }, warnings: [] };
}
