// parseNftJson on real `nft -j list ruleset` output captured in network namespaces
// (test/fixtures/capture-netfilter.sh), checked against `nft -a list ruleset` of the same
// namespace.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isIptablesNftRule, isIptablesNftTable, parseNftJson } from '../../../src/model/parse/nft.ts';
import type { NftChain, NftRuleset, NftTable } from '../../../src/model/types.ts';
import { capturedOutput } from '../../fixtures/netfilter.ts';

function table(rs: NftRuleset, family: string, name: string): NftTable {
  const t = rs.tables.find((x) => x.family === family && x.name === name);
  assert.ok(t, `no table ${family} ${name}`);
  return t;
}

function chain(t: NftTable, name: string): NftChain {
  const c = t.chains.get(name);
  assert.ok(c, `no chain ${name}`);
  return c;
}

/** `nft -a list ruleset` rule lines by "family table handle", whitespace collapsed. */
function nftTextRules(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let current = '';
  for (const line of text.split('\n')) {
    const t = /^table (\S+) (\S+) \{/.exec(line);
    if (t) current = `${t[1]} ${t[2]}`;
    const h = / # handle (\d+)$/.exec(line);
    const trimmed = line.trim();
    if (h && !/^(table|chain|set|map|flowtable) /.test(trimmed))
      out.set(`${current} ${h[1]}`, trimmed.replace(/\s+/g, ' '));
  }
  return out;
}

describe('parseNftJson: kube-proxy nftables mode', () => {
  const text = capturedOutput('kube-proxy-nftables.nft.json');
  const { value: rs, warnings } = parseNftJson(text);
  const kp = table(rs, 'ip', 'kube-proxy');

  it('reads the table, its chains and sets without warnings', () => {
    assert.deepEqual(warnings, []);
    assert.equal(rs.version, '1.0.6');
    assert.equal(rs.tables.length, 1);
    // nft 1.0.6 does not export table comments in JSON; newer versions do.
    assert.ok(kp.comment === undefined || kp.comment === 'rules for kube-proxy');
    assert.equal(kp.chains.size, 32);
    assert.deepEqual([...kp.sets.keys()].sort(), [
      'affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80',
      'cluster-ips',
      'firewall-ips',
      'no-endpoint-nodeports',
      'no-endpoint-services',
      'nodeport-ips',
      'service-ips',
      'service-nodeports',
    ]);
  });

  it('reads which base chains sit on which hook, with type, priority and policy', () => {
    const base = [...kp.chains.values()]
      .filter((c) => c.hook !== undefined)
      .map((c) => [c.name, c.type, c.hook, c.prio, c.policy])
      .sort();
    assert.deepEqual(base, [
      ['filter-forward', 'filter', 'forward', 0, 'accept'],
      ['filter-input', 'filter', 'input', 0, 'accept'],
      ['filter-output', 'filter', 'output', 0, 'accept'],
      ['filter-output-pre-dnat', 'filter', 'output', -110, 'accept'],
      ['filter-prerouting-pre-dnat', 'filter', 'prerouting', -110, 'accept'],
      ['nat-output', 'nat', 'output', -100, 'accept'],
      ['nat-postrouting', 'nat', 'postrouting', 100, 'accept'],
      ['nat-prerouting', 'nat', 'prerouting', -100, 'accept'],
    ]);
    const regular = chain(kp, 'services');
    assert.equal(regular.hook, undefined);
    assert.equal(regular.prio, undefined);
  });

  it('reads sets and verdict maps with their types, flags and elements', () => {
    const clusterIps = kp.sets.get('cluster-ips');
    assert.equal(clusterIps?.kind, 'set');
    assert.equal(clusterIps?.type, 'ipv4_addr');
    assert.equal(clusterIps?.comment, 'Active ClusterIPs');
    assert.deepEqual(clusterIps?.elements, [
      '172.30.0.41',
      '172.30.0.42',
      '172.30.0.43',
      '172.30.0.44',
      '172.30.0.45',
      '172.30.0.46',
    ]);
    const serviceIps = kp.sets.get('service-ips');
    assert.equal(serviceIps?.kind, 'map');
    assert.deepEqual(serviceIps?.type, ['ipv4_addr', 'inet_proto', 'inet_service']);
    assert.equal(serviceIps?.map, 'verdict');
    assert.equal(serviceIps?.elements.length, 9);
    assert.deepEqual(serviceIps?.elements[0], [
      { concat: ['1.2.3.4', 'tcp', 80] },
      { goto: { target: 'external-42NFTM6N-ns2/svc2/tcp/p80' } },
    ]);
    const affinity = kp.sets.get('affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80');
    assert.deepEqual(affinity?.flags, ['timeout']);
    assert.equal(affinity?.timeout, 10800);
  });

  it("keeps each rule's statements as nft gave them, with handle and position", () => {
    const doc = JSON.parse(text) as {
      nftables: Record<string, { chain?: string; handle?: number; expr?: unknown[] }>[];
    };
    const jsonRules = doc.nftables.flatMap((o) => (o['rule'] ? [o['rule']] : []));
    const parsed = [...kp.chains.values()].flatMap((c) => c.rules);
    assert.equal(parsed.length, jsonRules.length);
    for (const j of jsonRules) {
      const r = parsed.find((x) => x.handle === j.handle);
      assert.ok(r);
      assert.equal(r.chain, j.chain);
      assert.deepEqual(r.expr, j.expr);
      assert.deepEqual(JSON.parse(r.raw), { rule: j });
    }
    const svc4 = chain(kp, 'service-LAUZTJTB-ns4/svc4/tcp/p80');
    assert.deepEqual(
      svc4.rules.map((r) => r.position),
      [1, 2],
    );
    assert.equal(chain(kp, 'cluster-ips-check').rules[0]?.comment, 'Reject traffic to invalid ports of ClusterIPs');
  });

  it('renders every rule exactly as `nft -a list ruleset` prints it', () => {
    const want = nftTextRules(capturedOutput('kube-proxy-nftables.nft-a.txt'));
    let compared = 0;
    for (const c of kp.chains.values()) {
      for (const r of c.rules) {
        assert.equal(r.text, want.get(`ip kube-proxy ${r.handle}`), `rule ${r.handle} in ${c.name}`);
        compared++;
      }
    }
    assert.equal(compared, 57);
    assert.equal(
      chain(kp, 'service-LAUZTJTB-ns4/svc4/tcp/p80').rules[1]?.text,
      'numgen random mod 2 vmap { 0 : goto endpoint-UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80, 1 : goto endpoint-5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80 } # handle 86',
    );
  });

  it('is not an iptables-nft table', () => {
    assert.equal(isIptablesNftTable(kp), false);
  });
});

describe('parseNftJson: tables written by iptables-nft', () => {
  for (const name of ['kube-proxy.iptables-nft.nft.json', 'calico.iptables-nft.nft.json']) {
    it(`${name}: every table is recognised as iptables-nft's own`, () => {
      const { value, warnings } = parseNftJson(capturedOutput(name));
      assert.deepEqual(warnings, []);
      assert.ok(value.tables.length >= 3);
      for (const t of value.tables) {
        assert.equal(t.family, 'ip');
        assert.equal(isIptablesNftTable(t), true, `${t.family} ${t.name}`);
      }
    });
  }

  it('keeps iptables chains with their hooks and iptables priorities', () => {
    const { value } = parseNftJson(capturedOutput('calico.iptables-nft.nft.json'));
    const hooks = value.tables.flatMap((t) =>
      [...t.chains.values()]
        .filter((c) => c.hook !== undefined)
        .map((c) => `${t.name} ${c.name} ${c.hook} ${c.prio} ${c.policy}`),
    );
    assert.deepEqual(hooks.sort(), [
      'filter FORWARD forward 0 accept',
      'filter INPUT input 0 accept',
      'filter OUTPUT output 0 accept',
      'mangle POSTROUTING postrouting -150 accept',
      'mangle PREROUTING prerouting -150 accept',
      'nat INPUT input 100 accept',
      'nat OUTPUT output -100 accept',
      'nat POSTROUTING postrouting 100 accept',
      'nat PREROUTING prerouting -100 accept',
      'raw OUTPUT output -300 accept',
      'raw PREROUTING prerouting -300 accept',
    ]);
    const xtRule = chain(table(value, 'ip', 'nat'), 'cali-nat-outgoing').rules[0];
    assert.ok(xtRule);
    assert.equal(
      xtRule.text.startsWith(
        'xt match "comment" xt match "set" xt match "set" counter packets 0 bytes 0 xt target "MASQUERADE"',
      ),
      true,
      xtRule.text,
    );
  });

  it('renders native translations the way nft prints them', () => {
    // xt statements carry no options in JSON, so nft's own text (which asks libxtables to
    // translate them) differs there; rules without xt must match exactly.
    const { value } = parseNftJson(capturedOutput('mixed.nft.json'));
    const want = nftTextRules(capturedOutput('mixed.nft-a.txt'));
    let compared = 0;
    for (const t of value.tables) {
      for (const c of t.chains.values()) {
        for (const r of c.rules) {
          if (r.expr.some((s) => typeof s === 'object' && s !== null && 'xt' in s)) continue;
          assert.equal(r.text, want.get(`${t.family} ${t.name} ${r.handle}`), `${t.name} ${c.name} ${r.handle}`);
          compared++;
        }
      }
    }
    // kube-proxy's 57 native rules; every Calico rule here carries an xt comment match.
    assert.equal(compared, 57);
  });
});

describe('parseNftJson: iptables-nft tables next to native ones', () => {
  it("mixed: tells Calico's iptables-nft tables from kube-proxy's native table", () => {
    const { value, warnings } = parseNftJson(capturedOutput('mixed.nft.json'));
    assert.deepEqual(warnings, []);
    assert.deepEqual(
      value.tables.map((t) => [`${t.family} ${t.name}`, isIptablesNftTable(t)]),
      [
        ['ip raw', true],
        ['ip mangle', true],
        ['ip nat', true],
        ['ip filter', true],
        ['ip kube-proxy', false],
      ],
    );
  });

  it('a native rule inside iptables-nft\'s own table makes it not "just iptables-nft"', () => {
    const { value, warnings } = parseNftJson(capturedOutput('native-rule.nft.json'));
    assert.deepEqual(warnings, []);
    const filter = table(value, 'ip', 'filter');
    assert.equal(isIptablesNftTable(filter), false);
    assert.deepEqual(
      chain(filter, 'INPUT').rules.map((r) => [r.text, isIptablesNftRule(r)]),
      [
        ['ip saddr 10.0.0.0/8 counter packets 0 bytes 0 accept # handle 2', true],
        ['tcp dport 22 counter packets 0 bytes 0 accept # handle 3', true],
        ['ip saddr 192.0.2.1 counter packets 0 bytes 0 meta mark set 0x00000007 # handle 4', false],
        ['counter packets 0 bytes 0 drop # handle 5', true],
      ],
    );
  });
});

describe('parseNftJson: input that is not a ruleset', () => {
  it('empty input is an empty ruleset without warnings (nft prints nothing for no tables)', () => {
    assert.deepEqual(parseNftJson(''), { value: { tables: [] }, warnings: [] });
  });

  it('truncated JSON: one warning, empty ruleset', () => {
    const text = capturedOutput('kube-proxy-nftables.nft.json');
    const { value, warnings } = parseNftJson(text.slice(0, text.length / 2));
    assert.equal(value.tables.length, 0);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /^not JSON/);
  });

  it('wrong JSON types are warnings, the rest is kept', () => {
    const doc = JSON.parse(capturedOutput('kube-proxy-nftables.nft.json')) as { nftables: unknown[] };
    doc.nftables.push(
      42,
      { rule: { family: 'ip', table: 'kube-proxy', chain: 'services', expr: 'not-an-array' } },
      { chain: { family: 'ipx', table: 'kube-proxy', name: 'x' } },
      { chain: { family: 'ip', table: 'kube-proxy', name: 7 } },
      { chain: { family: 'ip', table: 'kube-proxy', name: 'odd-prio', hook: 'input', prio: { weird: true } } },
      { chain: { family: 'ip', table: 'kube-proxy', name: 'proto-prio', hook: 'input', prio: 'constructor' } },
      { chain: { family: 'ip', table: 'kube-proxy', name: 'named-prio', hook: 'input', prio: 'dstnat - 10' } },
      { rule: { family: 'ip', table: 'nowhere', chain: 'c', expr: [{ accept: null }] } },
      { teapot: {} },
      { table: { family: 'ip', name: 'kube-proxy' } },
    );
    const { value, warnings } = parseNftJson(JSON.stringify(doc));
    const kp = table(value, 'ip', 'kube-proxy');
    assert.equal(kp.chains.get('services')?.rules.length, 2);
    assert.equal(kp.chains.get('odd-prio')?.prio, undefined);
    assert.equal(kp.chains.get('proto-prio')?.prio, undefined);
    assert.equal(kp.chains.get('named-prio')?.prio, -110);
    assert.equal(table(value, 'ip', 'nowhere').chains.get('c')?.rules[0]?.text, 'accept');
    assert.deepEqual(
      warnings.map((w) =>
        w
          .replace(/^item \d+: /, '')
          .split(' ')
          .slice(0, 3)
          .join(' '),
      ),
      [
        'not an object',
        'rule in ip',
        'chain with bad',
        'chain without a',
        'chain odd-prio has',
        'chain proto-prio has',
        'a rule refers',
        'rule for chain',
        'unknown object "teapot";',
        'table ip kube-proxy',
      ],
    );
  });

  it('a document that is not nft output', () => {
    for (const text of ['[]', '{"nftables": {}}', 'null', '"x"', '{"nft": []}']) {
      const { value, warnings } = parseNftJson(text);
      assert.equal(value.tables.length, 0, text);
      assert.equal(warnings.length, 1, text);
    }
  });
});

describe("parseNftJson: our rendering of every native fixture is nft's own", () => {
  for (const name of [
    'calico-nftables-workloads',
    'nft-fib-pkttype',
    'nft-host-firewall',
    'firewalld-public',
    'firewalld-trusted-pods',
  ]) {
    it(`${name}: every rule exactly as \`nft -a list ruleset\` prints it`, () => {
      const { value, warnings } = parseNftJson(capturedOutput(`${name}.nft.json`));
      assert.deepEqual(warnings, []);
      const want = nftTextRules(capturedOutput(`${name}.nft-a.txt`));
      const wrong: string[] = [];
      let compared = 0;
      for (const t of value.tables)
        for (const c of t.chains.values())
          for (const r of c.rules) {
            const w = want.get(`${t.family} ${t.name} ${r.handle}`);
            if (r.text !== w) wrong.push(`${c.name}:\n  ours ${r.text}\n  nft  ${w}`);
            compared++;
          }
      assert.deepEqual(wrong, []);
      assert.ok(compared >= 5, `${compared} rules`);
    });
  }
});
