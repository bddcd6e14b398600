// The two scripts of a collection by hashes (dedup-access.ts), run in the probe image's own shell
// (no node, no python): the first runs every probe command once, keeps its output in the pod's
// filesystem and sends only hashes, sizes and the per-host counters; the second sends the stored
// outputs and pieces the collector has not seen from another node. Both go through gzip when the
// image has it; without it they are plain text (the collector tells them apart by gzip's magic).
//
// The pieces: iptables-save -c text with its counters lifted out ("[]" in their place, the
// counters sent aside as "packets:bytes", "0" for 0:0, joined by ","), cut into runs of lines at
// chain boundaries chosen by a hash of the chain name, and inside a long chain by a hash of a
// line's last 8 characters: content-defined like src/snapshot/v2/pieces.ts, but cheap enough for
// awk (one short hash per chain, not one per line). The cut differs from pieces.ts's; what is the
// same, and what the collector checks, is that the pieces' concatenation is the counter-lifted text
// pieces.ts's `cut` makes, and its counters column is `cut`'s, so pieces.ts's `join` gives the
// section back byte for byte; the sha256 of the whole output, taken before the cut, proves it.
import { BLOB_ID_HEX } from '../../snapshot/v2/pieces.ts';
import { execFunction, filesScript, shellQuote } from './probe-pod.ts';
import type { BatchRequest } from './probe-pod.ts';

/** One chain boundary in CUT_MODULUS starts a piece (and one long-chain line in it, past LONG_RUN lines). */
const CUT_MODULUS = 32;
const LONG_RUN = 256;

/** Where a pod keeps its outputs between the two execs; TMPDIR lets a test double give each pod its own. */
const stateDir = (pod: string): string => `S=\${TMPDIR:-/tmp}/netcheck-${shellQuote(pod)}`;

/** Runs `main` through gzip when the image has it. */
const GZIP_WRAP = 'if command -v gzip >/dev/null 2>&1; then main "$@" | gzip -c; else main "$@"; fi';

// The cut, as awk (POSIX awk: busybox, mawk and gawk run it alike). Exit 3: the text already holds
// a "[]" where a counter would be, so lifting counters would not be reversible (pieces.ts `cut`
// keeps such text whole too).
const CUT_AWK = `
function h(k,  i, v) { v = 0; for (i = 1; i <= length(k); i++) v = (v * 31 + ord[substr(k, i, 1)]) % 65521; return v }
function lift(c,  pb) { split(c, pb, ":"); if (pb[1] == "0" && pb[2] == "0") c = "0"; printf "%s%s", sep, c > cf; sep = "," }
BEGIN { for (i = 32; i < 127; i++) ord[sprintf("%c", i)] = i; n = 0; f = sprintf("%s/%06d", d, 0); lines = 0; sep = "" }
{
  line = $0
  if (line ~ /^\\[\\] / || line ~ / \\[\\]$/) exit 3
  if (match(line, /^\\[[0-9]+:[0-9]+\\] /)) { lift(substr(line, 2, RLENGTH - 3)); line = "[]" substr(line, RLENGTH) }
  if (match(line, / \\[[0-9]+:[0-9]+\\]$/)) { lift(substr(line, RSTART + 2, RLENGTH - 3)); line = substr(line, 1, RSTART) "[]" }
  cut = 0; k = ""
  if (substr(line, 1, 1) == "*") { cut = 1; key = "" }
  else if (substr(line, 1, 1) == ":") k = ":" substr($1, 2)
  else if ($2 == "-A") k = $3
  else if ($1 == "-A") k = $2
  if (k != "" && k != key) { key = k; if (h(k) % M == 0) cut = 1 }
  else if (lines >= L && h(substr(line, length(line) - 7)) % M == 0) cut = 1
  if (cut && lines > 0) { close(f); n++; f = sprintf("%s/%06d", d, n); lines = 0 }
  print line > f; lines++
}
END { close(f); close(cf) }`;

/**
 * The first exec: every command's output kept in $S/<section>, and for each
 *   "@@netcheck H <section> <exit> <stdout bytes> <sha256 prefix of stdout | -> <stderr bytes>" + stderr
 *   "@@netcheck P <section> <counter bytes> <pieces>" + counters + "<id> <bytes>" a line, a piece (cut sections)
 * then the files as batchScript reads them: "@@netcheck B <bytes>" + D and F records.
 * Without sha256sum every hash is "-" (the collector then asks for everything); without awk no
 * section is cut (it is fetched whole when its hash is new).
 */
export function hashScript(r: BatchRequest, pod: string, cutSections: readonly string[]): string {
  const q = shellQuote;
  return [
    'export LC_ALL=C',
    stateDir(pod),
    'rm -rf "$S"; mkdir -p "$S/.t" || exit 1; t=$S/.t',
    ...execFunction(r.commandTimeoutSeconds),
    'sha=; command -v sha256sum >/dev/null 2>&1 && command -v awk >/dev/null 2>&1 && sha=1',
    'cutter=; [ -n "$sha" ] && command -v xargs >/dev/null 2>&1 && cutter=1',
    `cat >"$t/cut.awk" <<'NETCHECK_AWK'${CUT_AWK}\nNETCHECK_AWK`,
    `id() { sha256sum | awk '{ print substr($1, 1, ${BLOB_ID_HEX}) }'; }`,
    'keep() {',
    '  s=$1; c=$2; shift 2; o=$S/$s',
    '  x "$@" >"$o" 2>"$t/e"; rc=$?',
    '  h=-; [ -n "$sha" ] && h=$(id <"$o")',
    '  echo "@@netcheck H $s $rc $(($(wc -c <"$o"))) $h $(($(wc -c <"$t/e")))"; cat "$t/e"',
    '  [ "$c" = 1 ] && [ -n "$cutter" ] && [ "$rc" = 0 ] && [ -s "$o" ] || return 0',
    '  mkdir "$o.p" && : >"$o.c" || return 0',
    `  awk -v d="$o.p" -v cf="$o.c" -v M=${CUT_MODULUS} -v L=${LONG_RUN} -f "$t/cut.awk" "$o" || { rm -rf "$o.p"; return 0; }`,
    '  (cd "$o.p" && { ls | xargs -r wc -c; echo @; ls | xargs -r sha256sum; }) >"$t/l" || return 0',
    `  awk '$1 == "@" { m = 1; next } !m { z[$2] = $1; next } { print substr($1, 1, ${BLOB_ID_HEX}), z[$2] }' "$t/l" >"$t/ids"`,
    '  echo "@@netcheck P $s $(($(wc -c <"$o.c"))) $(($(wc -l <"$t/ids")))"; cat "$o.c" "$t/ids"',
    // Cut and announced: only pieces are fetched from now on. The pod keeps one copy, not two
    // (it counts toward the container's memory where /tmp is a tmpfs: docs/snapshot.md).
    '  rm -f "$o"',
    '}',
    'main() {',
    ...r.commands.map(
      (c) => `  keep ${q(c.section)} ${cutSections.includes(c.section) ? 1 : 0} ${c.argv.map(q).join(' ')}`,
    ),
    `  ( ${filesScript(r)}\n  ) >"$t/f" 2>/dev/null`,
    '  echo "@@netcheck B $(($(wc -c <"$t/f")))"; cat "$t/f"',
    '}',
    GZIP_WRAP,
  ].join('\n');
}

/** What the second exec is asked for: a section's whole output, or some of its pieces by index. */
export type FetchRequest = { section: string; whole: true } | { section: string; pieces: readonly number[] };

/** Indices as "a-b,c" runs: a first node asks for thousands, and they go in the exec URL. */
export function indexRuns(ix: readonly number[]): string {
  const runs: string[] = [];
  for (let i = 0; i < ix.length; ) {
    let j = i;
    while (j + 1 < ix.length && ix[j + 1] === ix[j]! + 1) j++;
    runs.push(i === j ? `${ix[i]}` : `${ix[i]}-${ix[j]}`);
    i = j + 1;
  }
  return runs.join(',');
}

/**
 * The second exec: for each request "W:<section>" or "Q:<section>:<runs>",
 *   "@@netcheck W <section> <bytes>" + the stored output, or
 *   "@@netcheck Q <section> <bytes>" + the asked pieces, concatenated in index order,
 * and "@@netcheck X <section>" when the stored output is gone. The state is removed at the end.
 */
export function fetchScript(pod: string, requests: readonly FetchRequest[]): string {
  const args = requests.map((r) =>
    shellQuote('whole' in r ? `W:${r.section}` : `Q:${r.section}:${indexRuns(r.pieces)}`),
  );
  return [
    `set -- ${args.join(' ')}`,
    'export LC_ALL=C',
    stateDir(pod),
    'main() {',
    '  for a in "$@"; do',
    '    case $a in',
    '    W:*) s=${a#W:}; if [ -f "$S/$s" ]; then echo "@@netcheck W $s $(($(wc -c <"$S/$s")))"; cat "$S/$s"; else echo "@@netcheck X $s"; fi ;;',
    '    Q:*) x=${a#Q:}; s=${x%%:*}; r=${x#*:}',
    '      if [ -d "$S/$s.p" ]; then',
    `        awk -v r="$r" 'BEGIN { n = split(r, a, ","); for (i = 1; i <= n; i++) { m = split(a[i], b, "-"); e = m > 1 ? b[2] : b[1]; for (j = b[1] + 0; j <= e + 0; j++) printf "%06d\\n", j } }' | (cd "$S/$s.p" && xargs cat) >"$S/q" 2>/dev/null`,
    '        echo "@@netcheck Q $s $(($(wc -c <"$S/q")))"; cat "$S/q"',
    '      else echo "@@netcheck X $s"; fi ;;',
    '    esac',
    '  done',
    '}',
    GZIP_WRAP,
    'rm -rf "$S"',
  ].join('\n');
}

export interface HashedSection {
  section: string;
  code: number;
  size: number;
  /** The output's blob id (pieces.ts blobId), undefined when the image has no sha256sum. */
  id?: string;
  stderr: string;
  cut?: { counters: string; pieces: { id: string; size: number }[] };
}

export interface HashResult {
  sections: Map<string, HashedSection>;
  /** The D and F records, as batchScript frames them (parseBatch reads them). */
  files: Buffer;
}

const MARK = '@@netcheck ';

/** Reads a framed output: a header line, then the bytes it counts. Calls `on` per header. */
function frames(out: Buffer, on: (fields: string[], take: (n: number) => Buffer) => void): void {
  let pos = 0;
  const take = (n: number): Buffer => {
    if (pos + n > out.length) throw new Error(`the probe output is cut short (${n} bytes announced)`);
    const b = out.subarray(pos, pos + n);
    pos += n;
    return b;
  };
  while (pos < out.length) {
    const nl = out.indexOf(0x0a, pos);
    const line = out.subarray(pos, nl < 0 ? out.length : nl).toString('utf8');
    pos = nl < 0 ? out.length : nl + 1;
    if (!line.startsWith(MARK)) throw new Error(`unexpected probe output: ${JSON.stringify(line.slice(0, 80))}`);
    on(line.slice(MARK.length).split(' '), take);
  }
}

const count = (s: string | undefined): number => {
  const n = Number(s);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`not a byte count: ${JSON.stringify(s)}`);
  return n;
};

export function parseHashes(out: Buffer): HashResult {
  const sections = new Map<string, HashedSection>();
  let files: Buffer | undefined;
  frames(out, (f, take) => {
    if (f[0] === 'H' && f.length === 6) {
      const h: HashedSection = {
        section: f[1]!,
        code: count(f[2]),
        size: count(f[3]),
        stderr: take(count(f[5])).toString('utf8'),
      };
      if (f[4] !== '-') h.id = f[4]!;
      sections.set(h.section, h);
    } else if (f[0] === 'P' && f.length === 4) {
      const h = sections.get(f[1]!);
      const counters = take(count(f[2])).toString('utf8');
      const n = count(f[3]);
      const pieces: { id: string; size: number }[] = [];
      for (let i = 0; i < n; i++) {
        const [id, size] = readLine(take).split(' ');
        pieces.push({ id: id!, size: count(size) });
      }
      if (h !== undefined) h.cut = { counters, pieces };
    } else if (f[0] === 'B' && f.length === 2) files = take(count(f[1]));
    else throw new Error(`unexpected probe record: ${f.join(' ').slice(0, 80)}`);
  });
  if (files === undefined) throw new Error('the probe output ends before its files');
  return { sections, files };
}

/** One "\n"-ended line through `take` (the id lines of a P record). */
function readLine(take: (n: number) => Buffer): string {
  const chars: number[] = [];
  for (let b = take(1)[0]; b !== 0x0a; b = take(1)[0]) chars.push(b!);
  return Buffer.from(chars).toString('utf8');
}

export interface Fetched {
  whole: Map<string, Buffer>;
  pieces: Map<string, Buffer>;
  /** Sections whose stored output was gone. */
  gone: Set<string>;
}

export function parseFetch(out: Buffer): Fetched {
  const r: Fetched = { whole: new Map(), pieces: new Map(), gone: new Set() };
  frames(out, (f, take) => {
    if ((f[0] === 'W' || f[0] === 'Q') && f.length === 3)
      (f[0] === 'W' ? r.whole : r.pieces).set(f[1]!, take(count(f[2])));
    else if (f[0] === 'X' && f.length === 2) r.gone.add(f[1]!);
    else throw new Error(`unexpected probe record: ${f.join(' ').slice(0, 80)}`);
  });
  return r;
}
