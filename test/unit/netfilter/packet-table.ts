// Table-driven packet tests over one host's rulesets, in the style of kube-proxy's
// runPacketFlowTests (pkg/proxy/iptables/helpers_test.go): each row is a packet and what the
// host's netfilter does with it. A row walks the hooks a packet of that kind passes, as the
// kernel orders them: arriving, PREROUTING then INPUT (for a local destination, after NAT) or
// FORWARD and POSTROUTING; sent by the host, OUTPUT then POSTROUTING (and INPUT when it stays
// on the host). The packet, its marks and its conntrack view carry from hook to hook.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateHook } from '../../../src/engine/netfilter/evaluate.ts';
import type { Hook, NetfilterEnv, NfOutcome, NfStep } from '../../../src/engine/netfilter/types.ts';
import type { IptRuleset, NftRuleset } from '../../../src/model/types.ts';
import { fmt, hookInput, type PacketSpec } from './helpers.ts';

export interface FlowRow {
  name: string;
  packet: PacketSpec;
  /** Arrives on this device; or, with `out` only, is sent by the host itself. */
  in?: string;
  out?: string;
  /**
   * What happens, as kube-proxy's tests write it: "IP:PORT[, IP:PORT…]" the endpoints the packet
   * is DNATed to (one per load-balancing branch), "" accepted untranslated, "DROP", "REJECT",
   * "UNKNOWN".
   */
  want: string;
  /** The packet leaves marked for masquerade (0x4000/0x4000) — checked on every branch. */
  masq?: boolean;
  /** The line that decided: the last rule of every branch matches it. */
  rule?: RegExp;
  /** A condition every branch carries (e.g. an assumption about xt_recent lists). */
  branch?: RegExp;
  /** Arrives through this bridge port, with br_netfilter calling iptables (-m physdev sees it). */
  bridgePort?: string;
}

interface Walked {
  verdict: NfOutcome['verdict'];
  outcome: NfOutcome;
  steps: NfStep[];
  branch: string[];
  dnat?: string;
}

/** The hooks after PREROUTING for an arriving packet, chosen by its (translated) destination. */
function afterPrerouting(env: NetfilterEnv, o: NfOutcome): Hook[] {
  return env.addrType(o.packet.dst) === 'LOCAL' ? ['INPUT'] : ['FORWARD', 'POSTROUTING'];
}

function walk(rulesets: readonly IptRuleset[], env: NetfilterEnv, row: FlowRow, nft?: NftRuleset): Walked[] {
  const start = hookInput({
    hook: row.in !== undefined ? 'PREROUTING' : 'OUTPUT',
    packet: row.packet,
    ...(row.in !== undefined ? { in: row.in } : {}),
    ...(row.out !== undefined ? { out: row.out } : {}),
    ...(row.bridgePort !== undefined ? { physdev: { in: row.bridgePort, bridged: false } } : {}),
  });
  const run = (hook: Hook, prev: Walked | undefined): Walked[] => {
    const input = {
      ...start,
      hook,
      ...(prev !== undefined ? { packet: prev.outcome.packet, ct: prev.outcome.ct } : {}),
    };
    if (hook === 'INPUT' && row.in === undefined) input.inIface = 'lo';
    if (hook === 'INPUT' || hook === 'PREROUTING') delete input.outIface;
    return evaluateHook(rulesets, input, env, nft).map((o) => {
      const w: Walked = {
        verdict: o.verdict,
        outcome: o,
        steps: [...(prev?.steps ?? []), ...o.steps],
        branch: [...(prev?.branch ?? []), ...o.branch],
      };
      const dnat = o.nat?.kind === 'dnat' ? `${fmt(o.packet.dst)}:${o.packet.dport}` : prev?.dnat;
      if (dnat !== undefined) w.dnat = dnat;
      return w;
    });
  };
  const first: Hook = row.in !== undefined ? 'PREROUTING' : 'OUTPUT';
  let live = run(first, undefined);
  const done: Walked[] = [];
  const rest = (w: Walked): Hook[] => {
    if (first === 'PREROUTING') return afterPrerouting(env, w.outcome);
    return env.addrType(w.outcome.packet.dst) === 'LOCAL' ? ['POSTROUTING', 'INPUT'] : ['POSTROUTING'];
  };
  const queue = live.map((w) => ({ w, hooks: rest(w) }));
  live = [];
  while (queue.length > 0) {
    const { w, hooks } = queue.shift()!;
    const [next, ...later] = hooks;
    if (w.verdict !== 'accept' || next === undefined) {
      done.push(w);
      continue;
    }
    for (const n of run(next, w)) queue.push({ w: n, hooks: later });
  }
  return done;
}

function describe(w: Walked): string {
  switch (w.verdict) {
    case 'accept':
      return w.dnat ?? '';
    case 'drop':
      return 'DROP';
    case 'reject':
      return 'REJECT';
    case 'unknown':
      return 'UNKNOWN';
  }
}

/** Every mismatch between a row and what the rulesets do with its packet. */
export function mismatches(
  rulesets: readonly IptRuleset[],
  env: NetfilterEnv,
  row: FlowRow,
  nft?: NftRuleset,
): string[] {
  const walked = walk(rulesets, env, row, nft);
  const got = [...new Set(walked.map(describe))].sort().join(', ');
  const want = row.want
    .split(',')
    .map((s) => s.trim())
    .sort()
    .join(', ');
  const out: string[] = [];
  const trail = (w: Walked) => w.steps.map((s) => `    ${s.table}/${s.chain}: ${s.action}`).join('\n');
  if (got !== want) out.push(`got "${got}", want "${want}"\n${walked.map(trail).join('\n    --\n')}`);
  for (const w of walked) {
    // The deciding rule: the DNAT of a translated packet, the last ACCEPT of an accepted one
    // (later tables may still add policy steps), otherwise the last rule that applied.
    const decided =
      w.steps.findLast((s) => s.action.startsWith('DNAT')) ??
      (w.verdict === 'accept' ? w.steps.findLast((s) => s.action.toUpperCase() === 'ACCEPT') : undefined) ??
      w.steps.at(-1);
    if (row.rule !== undefined && !row.rule.test(decided?.raw ?? ''))
      out.push(`deciding rule ${JSON.stringify(decided?.raw)} does not match ${row.rule}`);
    // Masqueraded on the way out, or (staying on the host) still marked for it.
    const masq = w.steps.some((s) => /(^|; )MASQUERADE/.test(s.action)) || (w.outcome.packet.mark & 0x4000) !== 0;
    if (row.masq !== undefined && w.verdict === 'accept' && masq !== row.masq)
      out.push(`masquerade: got ${masq}, want ${row.masq}`);
    if (row.branch !== undefined && !w.branch.some((b) => row.branch!.test(b)))
      out.push(`no branch condition matches ${row.branch}: [${w.branch.join('; ')}]`);
  }
  return out;
}

/** One node:test test per row. */
export function packetTable(
  title: string,
  rulesets: readonly IptRuleset[],
  env: NetfilterEnv,
  rows: FlowRow[],
  nft?: NftRuleset,
): void {
  for (const row of rows) {
    test(`${title}: ${row.name}`, () => {
      const m = mismatches(rulesets, env, row, nft);
      assert.equal(m.length, 0, m.join('\n'));
    });
  }
}
