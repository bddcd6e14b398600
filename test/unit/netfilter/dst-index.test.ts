// The walk jumps over runs of exact-destination rules (kube-proxy's KUBE-SERVICES) with an index
// (CompiledChain.dstRunAt). It must change nothing but the speed: every hook outcome equals the
// outcome of testing every rule, for each destination the chain names and for others.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileRuleset, indexDestinationRuns } from '../../../src/engine/netfilter/compile.ts';
import { evaluateHook } from '../../../src/engine/netfilter/evaluate.ts';
import type { Hook } from '../../../src/engine/netfilter/types.ts';
import { hookInput, host, ruleset } from './helpers.ts';

const FILE = 'netfilter/output/kube-proxy.iptables-nft-save.txt';
const indexed = ruleset(FILE, 'nft');
const plain = ruleset(FILE, 'nft');
// The same dump, compiled without the index.
for (const [name, table] of plain.tables)
  for (const chain of table.chains.keys()) delete compileRuleset(plain).table(name)?.chain(chain)?.dstRunAt;

const node = host({ addrs: { eth0: ['192.168.99.10'], cni0: ['10.180.0.254'], lo: ['127.0.0.1'] } });

test('KUBE-SERVICES is indexed as one run of exact destinations', () => {
  const rules = indexed.tables.get('nat')!.chains.get('KUBE-SERVICES')!.rules;
  const runs = indexDestinationRuns(rules);
  assert.ok(runs !== undefined);
  const run = runs.find((r) => r !== undefined)!;
  assert.ok(run.end - run.start >= 8, `run of ${run.end - run.start}`);
  // The last rule (addrtype LOCAL → KUBE-NODEPORTS) has no destination: it ends the run.
  assert.equal(runs[rules.length - 1], undefined);
});

test('with and without the index, every hook gives the same outcomes', () => {
  const rules = indexed.tables.get('nat')!.chains.get('KUBE-SERVICES')!.rules;
  const dsts = new Set<string>(['192.168.99.10', '10.96.0.99', '8.8.8.8']);
  for (const r of rules)
    for (const m of r.matches) for (const o of m.options) if (o.name === 'd') dsts.add(o.args[0]!.replace('/32', ''));
  let compared = 0;
  for (const dst of dsts) {
    for (const dport of [53, 80, 443, 3001, 3003]) {
      for (const proto of ['tcp', 'udp'] as const) {
        for (const [hook, dev] of [
          ['PREROUTING', 'cni0'],
          ['OUTPUT', 'eth0'],
        ] as [Hook, string][]) {
          const input = hookInput({
            hook,
            ...(hook === 'PREROUTING' ? { in: dev } : { out: dev }),
            packet: { src: hook === 'OUTPUT' ? '192.168.99.10' : '10.1.0.20', dst, proto, dport },
          });
          const a = evaluateHook([indexed], input, node);
          const b = evaluateHook([plain], input, node);
          assert.deepEqual(a, b, `${hook} ${proto} ${dst}:${dport}`);
          compared++;
        }
      }
    }
  }
  assert.ok(compared > 100);
});
