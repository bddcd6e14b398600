// The evidence renderer against iproute2 itself: test/fixtures/capture-ip.sh captured the same
// namespace state as `ip -j` (what the probe collects) and as the plain text `ip` prints for people
// (test/fixtures/ip/render/). Rendering the parsed JSON must give the text, line for line.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseBridgeFdb } from '../../../src/model/parse/bridge-fdb.ts';
import { parseIpAddr } from '../../../src/model/parse/ip-addr.ts';
import { parseIpNeigh } from '../../../src/model/parse/ip-neigh.ts';
import { parseIpRoute } from '../../../src/model/parse/ip-route.ts';
import { parseIpRule } from '../../../src/model/parse/ip-rule.ts';
import {
  renderAddress,
  renderFdb,
  renderNeighbor,
  renderRoute,
  renderRule,
} from '../../../src/model/render/iproute2.ts';
import type { Route } from '../../../src/model/types.ts';
import { fixture } from '../../helpers/fixtures.ts';

/** ip pads some lines with a trailing space; a person does not see it. */
function lines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l !== '');
}

/** A multipath route's "\tnexthop …" lines belong to the route line above them. */
function routeEntries(text: string): string[] {
  const out: string[] = [];
  for (const l of lines(text)) {
    if (l.startsWith('\t') && out.length > 0) out[out.length - 1] += `\n${l}`;
    else out.push(l);
  }
  return out;
}

describe('renderRoute: ip route show table all', () => {
  const parsed = parseIpRoute(fixture('ip/render/route.json'));
  const expected = routeEntries(fixture('ip/render/route.txt'));

  it('renders every route exactly as ip prints it, in the same order', () => {
    assert.deepEqual(parsed.warnings, []);
    const got = parsed.value.map((r) =>
      renderRoute(r)
        .split('\n')
        .map((l) => l.trimEnd())
        .join('\n'),
    );
    assert.equal(got.length, expected.length);
    for (let i = 0; i < got.length; i++) assert.equal(got[i], expected[i], `route ${i}: ${parsed.value[i]!.raw}`);
  });

  it('covers the shapes that matter for evidence', () => {
    const got = parsed.value.map(renderRoute);
    for (const want of [
      '10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink',
      'blackhole 10.244.1.192/26 proto bird',
      '10.253.0.0/16 proto static\n\tnexthop via 192.168.50.20 dev eth0 weight 1\n\tnexthop via 192.168.50.21 dev eth0 weight 3 onlink',
      'local 10.244.1.1 dev cni0 table local proto kernel scope host src 10.244.1.1',
      '10.203.0.0/16 via inet6 fd00:50::1 dev eth0',
    ]) {
      assert.ok(got.includes(want), want);
    }
  });

  it('prints a route that is not JSON as it is', () => {
    const r: Route = {
      family: 'inet',
      table: 254,
      type: 'unicast',
      dst: '10.0.0.0/8',
      tos: 0,
      onlink: false,
      metric: 0,
      protocol: 'boot',
      scope: 'global',
      nexthops: [],
      raw: '10.0.0.0/8 dev eth0',
    };
    assert.equal(renderRoute(r), '10.0.0.0/8 dev eth0');
  });
});

describe('renderRule: ip rule show', () => {
  it('renders every rule exactly as ip prints it', () => {
    const parsed = parseIpRule(fixture('ip/render/rule.json'));
    assert.deepEqual(parsed.warnings, []);
    assert.deepEqual(parsed.value.map(renderRule), lines(fixture('ip/render/rule.txt')));
  });
});

describe('renderAddress: ip addr show', () => {
  it('renders every address line exactly as ip prints it', () => {
    const parsed = parseIpAddr(fixture('ip/render/addr.json'));
    assert.deepEqual(parsed.warnings, []);
    const expected = lines(fixture('ip/render/addr.txt'))
      .map((l) => l.trim())
      .filter((l) => l.startsWith('inet ') || l.startsWith('inet6 '));
    assert.deepEqual(parsed.value.addresses.map(renderAddress), expected);
  });
});

describe('renderNeighbor: ip neigh show', () => {
  it('renders every neighbour exactly as ip prints it', () => {
    const parsed = parseIpNeigh(fixture('ip/render/neigh.json'));
    assert.deepEqual(parsed.warnings, []);
    // The kernel dumps its neighbour hash in no fixed order between two calls: compare as sets.
    assert.deepEqual(parsed.value.map(renderNeighbor).sort(), lines(fixture('ip/render/neigh.txt')).sort());
  });
});

describe('renderFdb: bridge fdb show', () => {
  it('renders every entry exactly as bridge prints it', () => {
    const parsed = parseBridgeFdb(fixture('ip/render/fdb.json'));
    assert.deepEqual(parsed.warnings, []);
    assert.deepEqual(parsed.value.map(renderFdb), lines(fixture('ip/render/fdb.txt')));
  });
});
