// Hosts of one model share what they print the same (model/parse-share.ts): a route, neighbour or
// fdb element read once, a section parsed once. What an element or a section gives must not
// depend on which host read it first: a host whose element warns reads it itself and gets its own
// warning at its own place, and each host keeps its own entries and order.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildModel } from '../../../src/model/model.ts';
import { snapshotOf as snapshot } from '../../helpers/models.ts';

const route = (dst: string, gw: string): string =>
  `{"type":"unicast","dst":"${dst}","gateway":"${gw}","dev":"eth0","protocol":"bird","scope":"global","flags":["onlink"]}`;
const neigh = (dst: string): string =>
  `{"dst":"${dst}","dev":"eth0","lladdr":"02:00:00:00:00:01","state":["REACHABLE"]}`;

describe('a model shares what hosts print the same', () => {
  const a = route('10.65.0.0/26', '172.16.0.10');
  const b = route('10.65.0.64/26', '172.16.0.11');
  const c = route('10.65.0.128/26', '172.16.0.12');
  const tosRoute = `{"type":"unicast","dst":"10.66.0.0/16","tos":"lowdelay","dev":"eth0","scope":"global"}`;
  const model = buildModel(
    snapshot({
      'node-a': {
        'ip-route': `[${b},${c}]`,
        'ip-neigh': `[${neigh('172.16.0.11')}]`,
        sysctl: 'net.ipv4.ip_forward = 1\n',
      },
      'node-b': {
        'ip-route': `[${a},${c}]`,
        'ip-neigh': `[${neigh('172.16.0.11')}]`,
        sysctl: 'net.ipv4.ip_forward = 1\n',
      },
      // The same element as node-a's second, after one that warns (a "dst" that is no prefix).
      'node-c': { 'ip-route': `[${route('nowhere', '172.16.0.9')},${c}]`, sysctl: 'net.ipv4.ip_forward = 0\n' },
      // A route kept with a warning (a TOS by name): read, and warned of, on each host.
      'node-d': { 'ip-route': `[${tosRoute}]` },
      'node-e': { 'ip-route': `[${c},${tosRoute}]` },
    }),
  );
  const host = (n: string) => model.hosts.get(n)!;

  it('an element printed the same on two hosts is one object; each host keeps its own list', () => {
    assert.deepEqual(
      host('node-a').routes.map((r) => r.dst),
      ['10.65.0.64/26', '10.65.0.128/26'],
    );
    assert.deepEqual(
      host('node-b').routes.map((r) => r.dst),
      ['10.65.0.0/26', '10.65.0.128/26'],
    );
    assert.equal(host('node-a').routes[1], host('node-b').routes[1]);
    assert.equal(host('node-a').neighbors[0], host('node-b').neighbors[0]);
    assert.equal(host('node-c').routes[0], host('node-a').routes[1]);
  });

  it('a warning is the host’s own, at its own place', () => {
    assert.deepEqual(host('node-a').warnings, []);
    assert.deepEqual(host('node-b').warnings, []);
    assert.equal(host('node-c').warnings.length, 1);
    assert.match(host('node-c').warnings[0]!, /ip-route\[0\].*"nowhere"/);
    assert.equal(host('node-d').routes.length, 1);
    assert.deepEqual(host('node-d').warnings, ['ip-route: ip-route[0]: TOS "lowdelay" is not a number']);
    assert.deepEqual(host('node-e').warnings, ['ip-route: ip-route[1]: TOS "lowdelay" is not a number']);
  });

  it('a section printed the same is parsed once; a different one is its own', () => {
    assert.equal(host('node-a').sysctls, host('node-b').sysctls);
    assert.equal(host('node-a').sysctls.get('net.ipv4.ip_forward'), '1');
    assert.equal(host('node-c').sysctls.get('net.ipv4.ip_forward'), '0');
  });
});
