// Generates `nft -j list ruleset` of a node running kube-proxy in nftables mode, for the trace
// benchmark: the table's base chains, helper chains, sets and maps are those of the real dump in
// test/fixtures/netfilter/output/kube-proxy-nftables.nft.json (kubernetes pkg/proxy/nftables,
// TestOverallNFTablesRules), with its per-Service chains and elements replaced by `services`
// ClusterIP Services of `endpointsPerService` endpoints each, in the same JSON shapes:
//  - service-<hash>-<ns>/<name>/tcp/<port>: masquerade non-pod sources, then
//    `numgen random mod N vmap { i : goto endpoint-... }`;
//  - endpoint-<hash>-...__<ip>/<port>: hairpin masquerade, `meta l4proto tcp dnat to ip:port`;
//  - elements of cluster-ips, service-ips (and service-nodeports for every 10th Service);
//    every 50th Service has no endpoints: an element of no-endpoint-services going to reject-chain.
// Chain names hash as kube-proxy's servicePortChainNameBase does (base32 sha256, 8 characters).
import { readFileSync } from 'node:fs';
import { hash16 } from './kube-proxy-ruleset.ts';

type Json = Record<string, unknown>;

const FIXTURE = new URL('../../test/fixtures/netfilter/output/kube-proxy-nftables.nft.json', import.meta.url);
const SERVICE_BASE = (10 << 24) | (96 << 16); // 10.96.0.0/12
const POD_BASE = (10 << 24) | (244 << 16); // 10.244.0.0/16
/** Per-Service chains of the fixture (kube-proxy names them <kind>-<8-character hash>-...). */
const PER_SERVICE = /^(?:service|external|endpoint|firewall)-[A-Z2-7]{8}-/;
const NODE_IP = '192.168.0.10';

function ip(base: number, n: number): string {
  const v = (base + n) >>> 0;
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

const payload = (protocol: string, field: string): Json => ({ payload: { protocol, field } });
const match = (op: string, left: unknown, right: unknown): Json => ({ match: { op, left, right } });

export interface NftBench {
  json: string;
  /** The last Service with endpoints, and the last NodePort. */
  clusterIp: { dst: string; dport: number };
  nodePort: { dst: string; dport: number };
}

export function generateKubeProxyNftRuleset(services: number, endpointsPerService: number): NftBench {
  const fixture = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { nftables: Json[] };
  const out: Json[] = [];
  const elements = new Map<string, unknown[]>([
    ['cluster-ips', []],
    ['nodeport-ips', [NODE_IP]],
    ['service-ips', []],
    ['service-nodeports', []],
    ['no-endpoint-services', []],
    ['no-endpoint-nodeports', []],
    ['firewall-ips', []],
  ]);
  let handle = 1000;
  const chain = (name: string): void => {
    out.push({ chain: { family: 'ip', table: 'kube-proxy', name, handle: handle++ } });
  };
  const rule = (name: string, expr: unknown[]): void => {
    out.push({ rule: { family: 'ip', table: 'kube-proxy', chain: name, handle: handle++, expr } });
  };
  for (const item of fixture.nftables) {
    const body = Object.values(item)[0] as Json;
    if ('set' in item || 'map' in item) {
      const name = body['name'] as string;
      if (name.startsWith('affinity-')) continue;
      out.push({ [Object.keys(item)[0] as string]: { ...body, elem: undefined } });
      continue;
    }
    const owner = (body['chain'] ?? body['name']) as string | undefined;
    if ('chain' in item || 'rule' in item) {
      if (owner !== undefined && !PER_SERVICE.test(owner)) out.push(item);
      continue;
    }
    out.push(item);
  }
  let clusterIp = { dst: '', dport: 0 };
  let nodePort = { dst: NODE_IP, dport: 0 };
  let ep = 256;
  for (let i = 0; i < services; i++) {
    const svcIp = ip(SERVICE_BASE, i + 1);
    const name = `ns${i % 100}/svc-${i}/tcp/p80`;
    const hash = hash16(`${name}tcp`).slice(0, 8);
    const key = { concat: [svcIp, 'tcp', 80] };
    elements.get('cluster-ips')!.push(svcIp);
    if (i % 50 === 49) {
      elements
        .get('no-endpoint-services')!
        .push([{ elem: { val: key, comment: name } }, { goto: { target: 'reject-chain' } }]);
      continue;
    }
    const svc = `service-${hash}-${name}`;
    chain(svc);
    rule(svc, [
      match('==', payload('ip', 'daddr'), svcIp),
      match('!=', payload('ip', 'saddr'), { prefix: { addr: '10.244.0.0', len: 16 } }),
      { jump: { target: 'mark-for-masquerade' } },
    ]);
    const targets: unknown[] = [];
    for (let e = 0; e < endpointsPerService; e++) {
      const epIp = ip(POD_BASE, ep++);
      const epChain = `endpoint-${hash16(`${name}tcp${epIp}:80`).slice(0, 8)}-${name}__${epIp}/80`;
      chain(epChain);
      rule(epChain, [match('==', payload('ip', 'saddr'), epIp), { jump: { target: 'mark-for-masquerade' } }]);
      rule(epChain, [match('==', { meta: { key: 'l4proto' } }, 'tcp'), { dnat: { addr: epIp, port: 80 } }]);
      targets.push([e, { goto: { target: epChain } }]);
    }
    rule(svc, [
      { vmap: { key: { numgen: { mode: 'random', mod: endpointsPerService, offset: 0 } }, data: { set: targets } } },
    ]);
    elements.get('service-ips')!.push([key, { goto: { target: svc } }]);
    clusterIp = { dst: svcIp, dport: 80 };
    if (i % 10 === 0) {
      const port = 30000 + i / 10;
      const ext = `external-${hash}-${name}`;
      chain(ext);
      rule(ext, [{ jump: { target: 'mark-for-masquerade' } }]);
      rule(ext, [{ goto: { target: svc } }]);
      elements.get('service-nodeports')!.push([{ concat: ['tcp', port] }, { goto: { target: ext } }]);
      nodePort = { dst: NODE_IP, dport: port };
    }
  }
  for (const item of out) {
    const body = (item['set'] ?? item['map']) as Json | undefined;
    if (body === undefined) continue;
    const elem = elements.get(body['name'] as string);
    if (elem !== undefined && elem.length > 0) body['elem'] = elem;
    else delete body['elem'];
  }
  return { json: JSON.stringify({ nftables: out }), clusterIp, nodePort };
}
