// Benchmark: parseIptablesSave on a kube-proxy dump of 10k services (about 113k rules), the size
// of a large real cluster. Prints the median of several runs; asserts nothing about speed.
import { parseIptablesSave } from '../src/model/parse/iptables-save.ts';
import { generateKubeProxyRuleset } from './gen/kube-proxy-ruleset.ts';

const SERVICES = 10_000;
const ENDPOINTS_PER_SERVICE = 3;
const WARMUP_RUNS = 2;
const MEASURED_RUNS = 7;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export async function run(): Promise<void> {
  const text = generateKubeProxyRuleset(SERVICES, ENDPOINTS_PER_SERVICE);
  let rules = 0;
  let warnings = 0;
  const times: number[] = [];
  for (let i = 0; i < WARMUP_RUNS + MEASURED_RUNS; i++) {
    const start = performance.now();
    const parsed = parseIptablesSave(text, 'nft');
    const ms = performance.now() - start;
    if (i >= WARMUP_RUNS) times.push(ms);
    rules = 0;
    for (const t of parsed.value.tables.values()) for (const c of t.chains.values()) rules += c.rules.length;
    warnings = parsed.warnings.length;
  }
  const mb = (Buffer.byteLength(text) / 1024 / 1024).toFixed(1);
  console.log(
    `iptables-save parse, ${rules} rules (${SERVICES} services, ${mb} MB): ${median(times).toFixed(0)} ms ` +
      `(median of ${MEASURED_RUNS}; min ${Math.min(...times).toFixed(0)}, max ${Math.max(...times).toFixed(0)}; ${warnings} warnings)`,
  );

  // A rule's matches are read from its line on first access (see SavedRule): what it costs to
  // touch every one of them after the parse, which an evaluation never needs.
  const touchTimes: number[] = [];
  for (let i = 0; i < MEASURED_RUNS; i++) {
    const parsed = parseIptablesSave(text, 'nft');
    const start = performance.now();
    let options = 0;
    for (const t of parsed.value.tables.values())
      for (const c of t.chains.values())
        for (const r of c.rules) for (const m of r.matches) options += m.options.length;
    touchTimes.push(performance.now() - start);
    if (options === 0) throw new Error('no options read');
  }
  console.log(
    `iptables-save, then reading the matches of all ${rules} rules: +${median(touchTimes).toFixed(0)} ms (median of ${MEASURED_RUNS})`,
  );
}
