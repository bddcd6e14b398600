// parseIptablesSave on real iptables-nft-save / iptables-legacy-save output captured in network
// namespaces (test/fixtures/capture-netfilter.sh; README beside the fixtures says what each holds).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIptablesSave } from '../../../src/model/parse/iptables-save.ts';
import type { IptMatch, IptRule, IptRuleset } from '../../../src/model/types.ts';
import { capturedOutput, loadedInput } from '../../fixtures/netfilter.ts';

function parse(name: string, backend: 'nft' | 'legacy' = 'nft'): { rs: IptRuleset; warnings: string[]; text: string } {
  const text = capturedOutput(name);
  const { value, warnings } = parseIptablesSave(text, backend);
  return { rs: value, warnings, text };
}

function ruleAt(rs: IptRuleset, table: string, chain: string, position: number): IptRule {
  const r = rs.tables.get(table)?.chains.get(chain)?.rules[position - 1];
  assert.ok(r, `no rule ${table}/${chain}#${position}`);
  return r;
}

/** The rule whose raw line contains `needle` (exactly one). */
function ruleWith(rs: IptRuleset, needle: string): IptRule {
  const found: IptRule[] = [];
  for (const t of rs.tables.values())
    for (const c of t.chains.values()) for (const r of c.rules) if (r.raw.includes(needle)) found.push(r);
  assert.equal(found.length, 1, `expected one rule containing ${needle}, found ${found.length}`);
  return found[0] as IptRule;
}

function moduleMatch(r: IptRule, module: string | null, nth = 0): IptMatch {
  const m = r.matches.filter((x) => x.module === module)[nth];
  assert.ok(m, `rule has no ${module ?? 'core'} match #${nth}: ${r.raw}`);
  return m;
}

/** Every rule line of the dump is one rule, with its exact text, line number and position. */
function assertRoundTrip(text: string, rs: IptRuleset): void {
  const lines = text.split('\n');
  const ruleLines = lines.map((l, i) => ({ l, n: i + 1 })).filter(({ l }) => /^(\[\d+:\d+\] )?-A /.test(l));
  const rules: IptRule[] = [];
  for (const t of rs.tables.values()) {
    for (const c of t.chains.values()) {
      c.rules.forEach((r, i) => {
        assert.equal(r.position, i + 1, `position of ${r.raw}`);
        assert.equal(r.chain, c.name);
        assert.equal(r.table, t.name);
      });
      rules.push(...c.rules);
    }
  }
  assert.equal(rules.length, ruleLines.length, 'one rule per -A line');
  for (const r of rules) assert.equal(lines[r.line! - 1], r.raw, `raw of line ${r.line}`);
  const byLine = new Set(rules.map((r) => r.line));
  for (const { n } of ruleLines) assert.ok(byLine.has(n), `line ${n} became a rule`);
}

describe('parseIptablesSave: kube-proxy (iptables mode, nf_tables backend)', () => {
  const { rs, warnings, text } = parse('kube-proxy.iptables-nft-save.txt');

  it('reads every table and chain header without warnings', () => {
    assert.deepEqual(warnings, []);
    assert.equal(rs.backend, 'nft');
    assert.deepEqual([...rs.tables.keys()].sort(), ['filter', 'mangle', 'nat']);
    const nat = rs.tables.get('nat');
    assert.ok(nat);
    assert.equal(nat.chains.get('PREROUTING')?.policy, 'ACCEPT');
    assert.equal(nat.chains.get('KUBE-SERVICES')?.policy, null);
    assert.equal(nat.chains.get('KUBE-SERVICES')?.raw, ':KUBE-SERVICES - [0:0]');
    assert.equal(nat.chains.get('KUBE-SVC-TCOU7JCQXEZGVUNU')?.rules.length, 4);
    assert.deepEqual(rs.tables.get('mangle')?.chains.get('KUBE-IPTABLES-HINT')?.rules, []);
  });

  it('keeps every rule line verbatim, with line numbers and positions', () => {
    assertRoundTrip(text, rs);
  });

  it('splits a service rule into core, comment and tcp matches and the jump', () => {
    const r = ruleWith(rs, '-A KUBE-SERVICES -d 172.30.0.41/32');
    assert.deepEqual(r.matches, [
      {
        module: null,
        options: [
          { name: 'd', negated: false, args: ['172.30.0.41/32'] },
          { name: 'p', negated: false, args: ['tcp'] },
        ],
      },
      { module: 'comment', options: [{ name: 'comment', negated: false, args: ['ns1/svc1:p80 cluster IP'] }] },
      { module: 'tcp', options: [{ name: 'dport', negated: false, args: ['80'] }] },
    ]);
    assert.deepEqual(r.target, { name: 'KUBE-SVC-XPGD46QRK7WJZT7O', options: [] });
    assert.equal(r.goto, false);
    assert.deepEqual(r.counters, { packets: 0, bytes: 0 });
  });

  it('reads the masquerade rule of a service chain: ! -s', () => {
    const r = ruleAt(rs, 'nat', 'KUBE-SVC-TCOU7JCQXEZGVUNU', 1);
    assert.deepEqual(moduleMatch(r, null).options, [
      { name: 's', negated: true, args: ['10.1.0.0/16'] },
      { name: 'd', negated: false, args: ['10.96.0.10/32'] },
      { name: 'p', negated: false, args: ['udp'] },
    ]);
    assert.deepEqual(moduleMatch(r, 'udp').options, [{ name: 'dport', negated: false, args: ['53'] }]);
    assert.equal(r.target?.name, 'KUBE-MARK-MASQ');
  });

  it('reads the statistic branches of a 3-endpoint service in order', () => {
    const probabilities = [1, 2, 3].map((p) => {
      const r = ruleAt(rs, 'nat', 'KUBE-SVC-TCOU7JCQXEZGVUNU', p + 1);
      const stat = r.matches.find((m) => m.module === 'statistic');
      return { target: r.target?.name, stat: stat?.options };
    });
    assert.deepEqual(probabilities, [
      {
        target: 'KUBE-SEP-TT4D5P4LY4YRBPNS',
        stat: [
          { name: 'mode', negated: false, args: ['random'] },
          { name: 'probability', negated: false, args: ['0.33333333349'] },
        ],
      },
      {
        target: 'KUBE-SEP-O5LSP4IVD436RT3J',
        stat: [
          { name: 'mode', negated: false, args: ['random'] },
          { name: 'probability', negated: false, args: ['0.50000000000'] },
        ],
      },
      { target: 'KUBE-SEP-XQCFPAQSGQ46R77P', stat: undefined },
    ]);
  });

  it('reads DNAT and session affinity (recent) in an endpoint chain', () => {
    const r = ruleAt(rs, 'nat', 'KUBE-SEP-I77PXRDZVX7PMWMN', 2);
    assert.deepEqual(moduleMatch(r, 'recent').options, [
      { name: 'set', negated: false, args: [] },
      { name: 'name', negated: false, args: ['KUBE-SEP-I77PXRDZVX7PMWMN'] },
      { name: 'mask', negated: false, args: ['255.255.255.255'] },
      { name: 'rsource', negated: false, args: [] },
    ]);
    assert.deepEqual(r.target, {
      name: 'DNAT',
      options: [{ name: 'to-destination', negated: false, args: ['10.180.0.3:80'] }],
    });
    const check = ruleAt(rs, 'nat', 'KUBE-SVC-NUKIZ6OKUXPJNT4C', 2);
    assert.deepEqual(
      moduleMatch(check, 'recent').options.map((o) => [o.name, ...o.args]),
      [
        ['rcheck'],
        ['seconds', '10800'],
        ['reap'],
        ['name', 'KUBE-SEP-I77PXRDZVX7PMWMN'],
        ['mask', '255.255.255.255'],
        ['rsource'],
      ],
    );
  });

  it('reads KUBE-MARK-MASQ, KUBE-POSTROUTING (! --mark, --set-xmark, --random-fully)', () => {
    assert.deepEqual(ruleAt(rs, 'nat', 'KUBE-MARK-MASQ', 1).target, {
      name: 'MARK',
      options: [{ name: 'set-xmark', negated: false, args: ['0x4000/0x4000'] }],
    });
    const ret = ruleAt(rs, 'nat', 'KUBE-POSTROUTING', 1);
    assert.deepEqual(ret.matches, [
      { module: 'mark', options: [{ name: 'mark', negated: true, args: ['0x4000/0x4000'] }] },
    ]);
    assert.equal(ret.target?.name, 'RETURN');
    assert.deepEqual(ruleAt(rs, 'nat', 'KUBE-POSTROUTING', 2).target?.options, [
      { name: 'set-xmark', negated: false, args: ['0x4000/0x0'] },
    ]);
    assert.deepEqual(ruleAt(rs, 'nat', 'KUBE-POSTROUTING', 3).target, {
      name: 'MASQUERADE',
      options: [{ name: 'random-fully', negated: false, args: [] }],
    });
  });

  it('reads a rule with no target (KUBE-FW "other traffic" rule)', () => {
    const r = ruleAt(rs, 'nat', 'KUBE-FW-NUKIZ6OKUXPJNT4C', 2);
    assert.equal(r.target, null);
    assert.equal(r.goto, false);
    assert.deepEqual(r.matches, [
      {
        module: 'comment',
        options: [
          {
            name: 'comment',
            negated: false,
            args: ['other traffic to ns5/svc5:p80 will be dropped by KUBE-PROXY-FIREWALL'],
          },
        ],
      },
    ]);
  });

  it('reads addrtype, conntrack negation and REJECT --reject-with in the filter table', () => {
    const nodeports = ruleWith(rs, 'kubernetes service nodeports; NOTE');
    assert.deepEqual(moduleMatch(nodeports, 'addrtype').options, [
      { name: 'dst-type', negated: false, args: ['LOCAL'] },
    ]);
    const fw = ruleAt(rs, 'filter', 'KUBE-FIREWALL', 1);
    assert.deepEqual(moduleMatch(fw, null).options, [
      { name: 's', negated: true, args: ['127.0.0.0/8'] },
      { name: 'd', negated: false, args: ['127.0.0.0/8'] },
    ]);
    assert.deepEqual(moduleMatch(fw, 'conntrack').options, [
      { name: 'ctstate', negated: true, args: ['RELATED,ESTABLISHED,DNAT'] },
    ]);
    assert.equal(fw.target?.name, 'DROP');
    const reject = ruleWith(rs, 'jenkins/jenkins:http has no endpoints');
    assert.deepEqual(reject.target, {
      name: 'REJECT',
      options: [{ name: 'reject-with', negated: false, args: ['icmp-port-unreachable'] }],
    });
    assert.deepEqual(ruleAt(rs, 'filter', 'KUBE-FORWARD', 1).matches, [
      { module: 'conntrack', options: [{ name: 'ctstate', negated: false, args: ['INVALID'] }] },
    ]);
  });

  it('reads the counters that iptables-save -c prints', () => {
    const counterRe = /^\[(\d+):(\d+)\] /;
    let nonZero = 0;
    for (const t of rs.tables.values()) {
      for (const c of t.chains.values()) {
        for (const r of c.rules) {
          const m = counterRe.exec(r.raw);
          assert.ok(m && r.counters);
          assert.deepEqual(r.counters, { packets: Number(m[1]), bytes: Number(m[2]) });
          if (r.counters.packets > 0) nonZero++;
        }
      }
    }
    // The capture pings the namespace's loopback: the INPUT/OUTPUT jump rules saw packets.
    assert.ok(nonZero >= 2, `rules with packets: ${nonZero}`);
    assert.ok((ruleAt(rs, 'filter', 'INPUT', 4).counters?.packets ?? 0) > 0);
  });
});

describe('parseIptablesSave: Calico felix', () => {
  const { rs, warnings, text } = parse('calico.iptables-nft-save.txt');

  it('reads all four tables without warnings and round-trips', () => {
    assert.deepEqual(warnings, []);
    assert.deepEqual([...rs.tables.keys()].sort(), ['filter', 'mangle', 'nat', 'raw']);
    assertRoundTrip(text, rs);
  });

  it('reads the raw-table rpfilter rule', () => {
    const r = ruleWith(rs, '-m rpfilter');
    assert.equal(r.table, 'raw');
    assert.equal(r.chain, 'cali-PREROUTING');
    assert.deepEqual(r.matches.slice(1), [
      { module: 'mark', options: [{ name: 'mark', negated: false, args: ['0x40000/0x40000'] }] },
      {
        module: 'rpfilter',
        options: [
          { name: 'validmark', negated: false, args: [] },
          { name: 'invert', negated: false, args: [] },
        ],
      },
    ]);
    assert.equal(r.target?.name, 'DROP');
    const markIn = ruleWith(rs, 'cali:EWMPb0zVROM-woQp');
    assert.deepEqual(moduleMatch(markIn, null).options, [{ name: 'i', negated: false, args: ['cali+'] }]);
  });

  it('reads -g (goto) dispatch rules', () => {
    const r = ruleWith(rs, '-g cali-wl-to-host');
    assert.equal(r.goto, true);
    assert.deepEqual(r.target, { name: 'cali-wl-to-host', options: [] });
    const dispatch = ruleAt(rs, 'filter', 'cali-to-wl-dispatch', 1);
    assert.equal(dispatch.goto, true);
    assert.deepEqual(moduleMatch(dispatch, null).options, [{ name: 'o', negated: false, args: ['cali9d7310e16e7'] }]);
  });

  it('reads ipset matches, negated ones, and nat-outgoing', () => {
    const r = ruleAt(rs, 'nat', 'cali-nat-outgoing', 1);
    assert.deepEqual(
      r.matches.filter((m) => m.module === 'set'),
      [
        { module: 'set', options: [{ name: 'match-set', negated: false, args: ['cali40masq-ipam-pools', 'src'] }] },
        { module: 'set', options: [{ name: 'match-set', negated: true, args: ['cali40all-ipam-pools', 'dst'] }] },
      ],
    );
    assert.deepEqual(r.target, { name: 'MASQUERADE', options: [{ name: 'random-fully', negated: false, args: [] }] });
    const ipip = ruleWith(rs, 'Allow IPIP packets from Calico hosts');
    assert.deepEqual(moduleMatch(ipip, null).options, [{ name: 'p', negated: false, args: ['ipencap'] }]);
    assert.deepEqual(moduleMatch(ipip, 'comment', 1).options[0]?.args, ['Allow IPIP packets from Calico hosts']);
    assert.deepEqual(moduleMatch(ipip, 'set').options, [
      { name: 'match-set', negated: false, args: ['cali40all-hosts-net', 'src'] },
    ]);
    const selector = ruleWith(rs, 'cali40s:NvVxuo5TpdJ9XcQNuWAN5Ec');
    assert.deepEqual(moduleMatch(selector, 'set').options[0]?.args, ['cali40s:NvVxuo5TpdJ9XcQNuWAN5Ec', 'src']);
    assert.deepEqual(moduleMatch(selector, 'multiport').options, [{ name: 'dports', negated: false, args: ['80'] }]);
  });

  it('reads the tunnel MASQUERADE rule with two addrtype matches and a flag option', () => {
    const r = ruleWith(rs, '-o tunl0');
    assert.deepEqual(moduleMatch(r, 'addrtype', 0).options, [
      { name: 'src-type', negated: true, args: ['LOCAL'] },
      { name: 'limit-iface-out', negated: false, args: [] },
    ]);
    assert.deepEqual(moduleMatch(r, 'addrtype', 1).options, [{ name: 'src-type', negated: false, args: ['LOCAL'] }]);
  });

  it('reads the mark bit a policy sets', () => {
    const r = ruleWith(rs, 'Policy explicitly accepted packet.');
    assert.deepEqual(moduleMatch(r, 'mark').options, [{ name: 'mark', negated: false, args: ['0x10000/0x10000'] }]);
    assert.equal(r.chain, 'FORWARD');
  });
});

describe('parseIptablesSave: Cilium with Docker', () => {
  const { rs, warnings, text } = parse('cilium.iptables-nft-save.txt');

  it('reads without warnings and round-trips; FORWARD policy DROP', () => {
    assert.deepEqual(warnings, []);
    assertRoundTrip(text, rs);
    assert.equal(rs.tables.get('filter')?.chains.get('FORWARD')?.policy, 'DROP');
  });

  it('reads CILIUM_POST_nat masquerade with ! -o cilium_+', () => {
    const r = ruleAt(rs, 'nat', 'CILIUM_POST_nat', 1);
    assert.deepEqual(moduleMatch(r, null).options, [
      { name: 's', negated: false, args: ['10.0.0.0/24'] },
      { name: 'd', negated: true, args: ['10.0.0.0/24'] },
      { name: 'o', negated: true, args: ['cilium_+'] },
    ]);
    assert.deepEqual(moduleMatch(r, 'comment').options[0]?.args, ['cilium masquerade non-cluster']);
    assert.equal(r.target?.name, 'MASQUERADE');
    const snat = ruleWith(rs, 'hairpin traffic that originated from a local pod');
    assert.deepEqual(snat.target, {
      name: 'SNAT',
      options: [{ name: 'to-source', negated: false, args: ['10.0.0.96'] }],
    });
  });

  it('reads six negated mark matches, TPROXY and CT --notrack', () => {
    const r = ruleWith(rs, 'host->any mark as from host');
    const marks = r.matches.filter((m) => m.module === 'mark');
    assert.equal(marks.length, 6);
    assert.ok(marks.every((m) => m.options.length === 1 && m.options[0]?.negated === true));
    const tproxy = ruleAt(rs, 'mangle', 'CILIUM_PRE_mangle', 2);
    assert.deepEqual(tproxy.target, {
      name: 'TPROXY',
      options: [
        { name: 'on-port', negated: false, args: ['42217'] },
        { name: 'on-ip', negated: false, args: ['127.0.0.1'] },
        { name: 'tproxy-mark', negated: false, args: ['0x200/0xffffffff'] },
      ],
    });
    assert.deepEqual(moduleMatch(ruleAt(rs, 'mangle', 'CILIUM_PRE_mangle', 1), 'socket').options, [
      { name: 'transparent', negated: false, args: [] },
    ]);
    assert.deepEqual(ruleAt(rs, 'raw', 'CILIUM_PRE_raw', 1).target, {
      name: 'CT',
      options: [{ name: 'notrack', negated: false, args: [] }],
    });
  });

  it('reads the CILIUM_FORWARD accept rules', () => {
    const fwd = rs.tables.get('filter')?.chains.get('CILIUM_FORWARD')?.rules ?? [];
    assert.deepEqual(
      fwd.map((r) => [moduleMatch(r, null).options[0]?.name, moduleMatch(r, null).options[0]?.args[0], r.target?.name]),
      [
        ['o', 'cilium_host', 'ACCEPT'],
        ['i', 'cilium_host', 'ACCEPT'],
        ['i', 'lxc+', 'ACCEPT'],
        ['i', 'cilium_net', 'ACCEPT'],
      ],
    );
  });
});

describe('parseIptablesSave: flannel + Docker + old kube-proxy on the legacy backend', () => {
  const { rs, warnings, text } = parse('legacy-flannel-docker.iptables-legacy-save.txt', 'legacy');

  it('reads without warnings and round-trips', () => {
    assert.deepEqual(warnings, []);
    assert.equal(rs.backend, 'legacy');
    assertRoundTrip(text, rs);
    assert.equal(rs.tables.get('filter')?.chains.get('FORWARD')?.policy, 'DROP');
  });

  it('reads FLANNEL-POSTRTG in order: RETURN exceptions, then MASQUERADE', () => {
    const rules = rs.tables.get('nat')?.chains.get('FLANNEL-POSTRTG')?.rules ?? [];
    assert.deepEqual(
      rules.map((r) => ({
        core:
          r.matches
            .find((m) => m.module === null)
            ?.options.map((o) => `${o.negated ? '!' : ''}${o.name} ${o.args.join(' ')}`) ?? [],
        target: r.target?.name,
      })),
      [
        { core: [], target: 'RETURN' },
        { core: ['s 10.1.0.0/25', 'd 10.1.0.0/16'], target: 'RETURN' },
        { core: ['s 10.1.0.0/16', 'd 10.1.0.0/25'], target: 'RETURN' },
        { core: ['!s 10.1.0.0/16', 'd 10.1.0.0/25'], target: 'RETURN' },
        { core: ['s 10.1.0.0/16', '!d 224.0.0.0/4'], target: 'MASQUERADE' },
        { core: ['!s 10.1.0.0/16', 'd 10.1.0.0/16'], target: 'MASQUERADE' },
      ],
    );
    assert.deepEqual(moduleMatch(rules[0] as IptRule, 'mark').options[0]?.args, ['0x4000/0x4000']);
  });

  it('reads Docker isolation (-i docker0 ! -o docker0) and the published-port DNAT', () => {
    const iso = ruleAt(rs, 'filter', 'DOCKER-ISOLATION-STAGE-1', 1);
    assert.deepEqual(iso.matches, [
      {
        module: null,
        options: [
          { name: 'i', negated: false, args: ['docker0'] },
          { name: 'o', negated: true, args: ['docker0'] },
        ],
      },
    ]);
    assert.equal(iso.target?.name, 'DOCKER-ISOLATION-STAGE-2');
    const dnat = ruleAt(rs, 'nat', 'DOCKER', 2);
    assert.deepEqual(moduleMatch(dnat, null).options[0], { name: 'i', negated: true, args: ['docker0'] });
    assert.deepEqual(dnat.target?.options, [{ name: 'to-destination', negated: false, args: ['172.17.0.2:80'] }]);
  });

  it('reads the externalIP rule with physdev and addrtype negations (docs/incidents.md #4)', () => {
    const r = ruleWith(rs, '-m physdev ! --physdev-is-in');
    assert.deepEqual(moduleMatch(r, 'physdev').options, [{ name: 'physdev-is-in', negated: true, args: [] }]);
    assert.deepEqual(moduleMatch(r, 'addrtype').options, [{ name: 'src-type', negated: true, args: ['LOCAL'] }]);
    assert.equal(r.target?.name, 'KUBE-SVC-CG5I4G2RS3ZVWGLK');
  });
});

describe('parseIptablesSave: quoting and option grammar', () => {
  const nft = parse('quoting.iptables-nft-save.txt');
  const legacy = parse('quoting.iptables-legacy-save.txt', 'legacy');
  const comments = (rs: IptRuleset): string[] =>
    (rs.tables.get('filter')?.chains.get('QUOTING')?.rules ?? []).flatMap((r) =>
      r.matches.filter((m) => m.module === 'comment').map((m) => m.options[0]?.args[0] ?? '<none>'),
    );

  it('reads both dumps without warnings and round-trips', () => {
    assert.deepEqual(nft.warnings, []);
    assert.deepEqual(legacy.warnings, []);
    assertRoundTrip(nft.text, nft.rs);
    assertRoundTrip(legacy.text, legacy.rs);
  });

  it('unquotes comments exactly as iptables-restore would', () => {
    assert.deepEqual(comments(nft.rs), [
      'a "quoted" word',
      "back\\slash and it's",
      '',
      '-starts-with-dash',
      'ünïcödé ☃ comment',
      'tab\tinside',
      '!',
      'default/my svc:http cluster IP',
      'plain_word-1',
    ]);
  });

  it('reads the same rules from both backends', () => {
    const strip = (rs: IptRuleset) =>
      [...rs.tables.values()]
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((t) => [
          t.name,
          [...t.chains.values()].map((c) => [c.name, c.policy, c.rules.map((r) => [r.matches, r.target, r.goto])]),
        ]);
    assert.deepEqual(strip(nft.rs), strip(legacy.rs));
  });

  it('reads LOG/NFLOG prefixes with spaces and escaped quotes', () => {
    assert.deepEqual(ruleWith(nft.rs, '-j LOG').target?.options, [
      { name: 'log-prefix', negated: false, args: ['INPUT drop: '] },
    ]);
    assert.deepEqual(ruleWith(nft.rs, '-j NFLOG').target?.options, [
      { name: 'nflog-prefix', negated: false, args: ['nflog "x"'] },
      { name: 'nflog-group', negated: false, args: ['5'] },
    ]);
  });

  it('reads core negations, the fragment flag and interface wildcards', () => {
    assert.deepEqual(moduleMatch(ruleWith(nft.rs, '! -p tcp -f'), null).options, [
      { name: 'p', negated: true, args: ['tcp'] },
      { name: 'f', negated: false, args: [] },
    ]);
    assert.deepEqual(moduleMatch(ruleWith(nft.rs, '-o cni+'), null).options, [
      { name: 's', negated: false, args: ['10.0.0.0/8'] },
      { name: 'd', negated: true, args: ['10.0.0.0/16'] },
      { name: 'i', negated: true, args: ['docker0'] },
      { name: 'o', negated: false, args: ['cni+'] },
      { name: 'p', negated: true, args: ['udp'] },
    ]);
  });

  it('reads multi-argument and flag options, negated in every position', () => {
    const flags = ruleWith(nft.rs, '-A INPUT -p tcp -m tcp --dport 22');
    assert.deepEqual(moduleMatch(flags, 'tcp').options, [
      { name: 'dport', negated: false, args: ['22'] },
      { name: 'tcp-flags', negated: false, args: ['FIN,SYN,RST,ACK', 'SYN'] },
    ]);
    const neg = ruleWith(nft.rs, '! --sport 1024:65535');
    assert.deepEqual(moduleMatch(neg, 'tcp').options, [
      { name: 'sport', negated: true, args: ['1024:65535'] },
      { name: 'dport', negated: true, args: ['80'] },
      { name: 'tcp-flags', negated: true, args: ['FIN,SYN,RST,ACK', 'SYN'] },
    ]);
    const physdev = ruleWith(nft.rs, '! --physdev-is-in ! --physdev-is-out');
    assert.deepEqual(moduleMatch(physdev, 'physdev').options, [
      { name: 'physdev-is-in', negated: true, args: [] },
      { name: 'physdev-is-out', negated: true, args: [] },
    ]);
    const mixed = ruleWith(nft.rs, '--physdev-in veth0');
    assert.deepEqual(moduleMatch(mixed, 'physdev').options, [
      { name: 'physdev-in', negated: false, args: ['veth0'] },
      { name: 'physdev-out', negated: true, args: ['veth1'] },
      { name: 'physdev-is-bridged', negated: false, args: [] },
    ]);
    const ct = ruleWith(nft.rs, '--ctstatus');
    assert.deepEqual(moduleMatch(ct, 'conntrack').options, [
      { name: 'ctstate', negated: true, args: ['INVALID,NEW'] },
      { name: 'ctstatus', negated: true, args: ['ASSURED'] },
    ]);
    assert.deepEqual(moduleMatch(ct, 'connmark').options, [{ name: 'mark', negated: true, args: ['0x2'] }]);
    assert.deepEqual(moduleMatch(ct, 'addrtype').options, [{ name: 'dst-type', negated: true, args: ['LOCAL'] }]);
  });

  it('reads an empty rule (no matches, no target)', () => {
    const last = nft.rs.tables.get('filter')?.chains.get('QUOTING')?.rules.at(-1);
    assert.ok(last);
    assert.deepEqual(last.matches, []);
    assert.equal(last.target, null);
  });
});

describe('parseIptablesSave: what the tools print when something is off', () => {
  it('reports the "legacy tables present" warning line', () => {
    const { rs, warnings } = parse('legacy-flannel-docker.iptables-nft-save-stderr.txt');
    assert.equal(rs.tables.size, 0);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /line 1: .*legacy tables/);
  });

  it('keeps a table that iptables-nft-save left without COMMIT (native rule it cannot show)', () => {
    const { rs, warnings } = parse('native-rule.iptables-nft-save.txt');
    assert.equal(rs.tables.get('filter')?.chains.get('INPUT')?.rules.length, 2);
    assert.deepEqual(warnings, ['line 2: table filter has no COMMIT (end of input); kept as read']);
  });

  it('reports the "incompatible base-chains" comment', () => {
    const { rs, warnings } = parse('incompatible-base-chain.iptables-nft-save.txt');
    assert.equal(rs.tables.get('filter')?.chains.get('INPUT')?.rules.length, 1);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /^line 1: Table `filter' contains incompatible base-chains.*not in this dump$/);
  });
});

describe('parseIptablesSave: damaged dumps (real dumps, edited)', () => {
  const text = capturedOutput('kube-proxy.iptables-nft-save.txt');
  const lines = text.split('\n');

  it('a rule for a chain without a header: warning, and the rule is kept', () => {
    const edited = lines.filter((l) => l !== ':KUBE-MARK-MASQ - [0:0]').join('\n');
    const { value, warnings } = parseIptablesSave(edited, 'nft');
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /chain "KUBE-MARK-MASQ" which has no ":KUBE-MARK-MASQ" header in table nat/);
    const chain = value.tables.get('nat')?.chains.get('KUBE-MARK-MASQ');
    assert.equal(chain?.raw, '');
    assert.equal(chain?.rules[0]?.target?.name, 'MARK');
  });

  it('a duplicate table replaces the earlier one, with a warning', () => {
    const natStart = lines.indexOf('*nat');
    const natEnd = lines.indexOf('COMMIT', natStart);
    const natBlock = lines.slice(natStart, natEnd + 1);
    const edited = [
      ...lines,
      ...natBlock.map((l) => (l.startsWith(':KUBE-MARK-MASQ') ? ':KUBE-ONLY-IN-SECOND - [0:0]' : l)),
    ].join('\n');
    const { value, warnings } = parseIptablesSave(edited, 'nft');
    assert.equal(warnings.length, 2);
    assert.match(warnings[0] ?? '', /table nat appears twice/);
    // The second copy lost the KUBE-MARK-MASQ header: its rule is kept under an implicit chain.
    assert.match(warnings[1] ?? '', /KUBE-MARK-MASQ" which has no ":KUBE-MARK-MASQ" header/);
    const nat = value.tables.get('nat');
    assert.ok(nat?.chains.has('KUBE-ONLY-IN-SECOND'));
    assert.equal(nat?.chains.get('KUBE-MARK-MASQ')?.raw, '');
  });

  it('an unterminated table and garbage lines: warnings, everything else kept', () => {
    const edited = lines
      .filter((l) => l !== 'COMMIT')
      .flatMap((l, i) => (i === 10 ? [l, 'this is not iptables', '-X KUBE-SERVICES'] : [l]))
      .join('\n');
    const { value, warnings } = parseIptablesSave(edited, 'nft');
    const full = parseIptablesSave(text, 'nft').value;
    const count = (rs: IptRuleset) =>
      [...rs.tables.values()].reduce((n, t) => n + [...t.chains.values()].reduce((m, c) => m + c.rules.length, 0), 0);
    assert.equal(count(value), count(full));
    assert.ok(warnings.some((w) => /not an iptables-save line: "this is not iptables"/.test(w)));
    assert.ok(warnings.some((w) => /not a rule: expected "-A CHAIN", found "-X"/.test(w)));
    assert.equal(warnings.filter((w) => /has no COMMIT/.test(w)).length, 3);
  });

  it('rules and headers outside a table are warnings', () => {
    const ruleLine = lines.find((l) => l.includes('-A KUBE-MARK-MASQ'));
    assert.ok(ruleLine);
    const { value, warnings } = parseIptablesSave(`${ruleLine}\n:FOO - [0:0]\nCOMMIT\n`, 'nft');
    assert.equal(value.tables.size, 0);
    assert.deepEqual(
      warnings.map((w) => w.replace(/:.*/, '')),
      ['line 1', 'line 2', 'line 3'],
    );
  });

  it('a chain header is its first two words, whatever spaces and tabs are around them', () => {
    const { value, warnings } = parseIptablesSave(
      '*filter\n:  INPUT\tDROP  [3:4]\n:\tKUBE-X \t- [0:0]\n:ONLY-A-NAME\n:\nCOMMIT\n',
      'nft',
    );
    const chains = value.tables.get('filter')?.chains;
    assert.deepEqual(
      [...(chains?.values() ?? [])].map((c) => [c.name, c.policy]),
      [
        ['INPUT', 'DROP'],
        ['KUBE-X', null],
      ],
    );
    assert.deepEqual(
      warnings.map((w) => w.replace(/ ".*/, '')),
      ['line 4: bad chain header', 'line 5: bad chain header'],
    );
  });

  it('CRLF line ends are tolerated', () => {
    const { value, warnings } = parseIptablesSave(text.replace(/\n/g, '\r\n'), 'nft');
    assert.deepEqual(warnings, []);
    assert.equal(
      value.tables.get('nat')?.chains.get('KUBE-MARK-MASQ')?.rules[0]?.raw,
      '[0:0] -A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000',
    );
  });
});

describe("parseIptablesSave: restore input in kube-proxy's own word order", () => {
  // kube-proxy writes "-m tcp -p tcp -d IP --dport 80" to iptables-restore; iptables resolves
  // --dport by name (it belongs to the tcp match), and so must we.
  const { value, warnings } = parseIptablesSave(loadedInput('kube-proxy.iptables'), 'nft');

  it('reads the file iptables-restore accepted, without warnings', () => {
    assert.deepEqual(warnings, []);
  });

  it('gives options after a core option to the -m match they belong to', () => {
    const r = ruleWith(value, '-d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O');
    assert.deepEqual(moduleMatch(r, 'tcp').options, [{ name: 'dport', negated: false, args: ['80'] }]);
    assert.deepEqual(moduleMatch(r, null).options, [
      { name: 'p', negated: false, args: ['tcp'] },
      { name: 'd', negated: false, args: ['172.30.0.41'] },
    ]);
    const masq = ruleWith(value, '-d 172.30.0.44 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ');
    assert.equal(masq.chain, 'KUBE-SVC-4SW47YFZTEDKD3PK');
    assert.deepEqual(moduleMatch(masq, null).options.at(-1), { name: 's', negated: true, args: ['10.0.0.0/8'] });
    assert.deepEqual(ruleAt(value, 'nat', 'KUBE-MARK-MASQ', 1).target?.options, [
      { name: 'or-mark', negated: false, args: ['0x4000'] },
    ]);
  });

  it('loads -p PROTO --dport without -m as the implicit protocol match', () => {
    const { value: rs, warnings: w } = parseIptablesSave(
      loadedInput('kube-proxy.iptables').replace('-m tcp -p tcp --dport 30000', '-p tcp --dport 30000'),
      'nft',
    );
    assert.deepEqual(w, []);
    const r = ruleWith(rs, '-p tcp --dport 30000');
    assert.deepEqual(moduleMatch(r, 'tcp').options, [{ name: 'dport', negated: false, args: ['30000'] }]);
  });
});

describe('parseIptablesSave: what the parsed rules are made of', () => {
  const { rs } = parse('kube-proxy.iptables-nft-save.txt');

  it('reads matches on first access, keeps them, and shares option-less pieces read-only', () => {
    const a = ruleAt(rs, 'nat', 'KUBE-SEP-TT4D5P4LY4YRBPNS', 2);
    const b = ruleAt(rs, 'nat', 'KUBE-SEP-O5LSP4IVD436RT3J', 2);
    assert.equal(a.matches, a.matches);
    // "-m udp" (no options) on both endpoint rules: one shared, frozen copy.
    assert.equal(moduleMatch(a, 'udp'), moduleMatch(b, 'udp'));
    assert.ok(Object.isFrozen(moduleMatch(a, 'udp')));
    assert.throws(() => moduleMatch(a, 'udp').options.push({ name: 'x', negated: false, args: [] }), TypeError);
    // "-j KUBE-MARK-MASQ" likewise.
    const markA = ruleAt(rs, 'nat', 'KUBE-SEP-TT4D5P4LY4YRBPNS', 1).target;
    assert.equal(markA, ruleAt(rs, 'nat', 'KUBE-SEP-O5LSP4IVD436RT3J', 1).target);
    assert.ok(markA && Object.isFrozen(markA));
  });

  it('serialises to JSON with its matches', () => {
    const r = ruleAt(rs, 'nat', 'KUBE-MARK-MASQ', 1);
    const json = JSON.parse(JSON.stringify(r)) as Record<string, unknown>;
    assert.deepEqual(Object.keys(json).sort(), [
      'chain',
      'counters',
      'goto',
      'line',
      'matches',
      'position',
      'raw',
      'table',
      'target',
    ]);
    assert.deepEqual(json['matches'], []);
    assert.deepEqual(json['target'], {
      name: 'MARK',
      options: [{ name: 'set-xmark', negated: false, args: ['0x4000/0x4000'] }],
    });
  });

  it('reports a bad rule at parse time, before its matches are read', () => {
    const text = capturedOutput('kube-proxy.iptables-nft-save.txt').replace(
      '-m tcp --dport 3001 -j KUBE-EXT',
      '-m tcp --dport 3001 -x 9 -j KUBE-EXT',
    );
    const { value, warnings } = parseIptablesSave(text, 'nft');
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /unknown option "-x" \(table nat\)/);
    const r = ruleWith(value, '-x 9');
    assert.deepEqual(moduleMatch(r, 'tcp').options, [
      { name: 'dport', negated: false, args: ['3001'] },
      { name: 'x', negated: false, args: ['9'] },
    ]);
  });
});
