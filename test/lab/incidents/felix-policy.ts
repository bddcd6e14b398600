// Kubernetes NetworkPolicies as the lab declares them, and as Calico's felix renders them into
// iptables for the workloads they select (felix/rules/dispatch.go, endpoints.go, policy.go; the
// shapes of felix v3.26–v3.29, whose policy chains carry the comment "Policy <ns>/knp.default.<name>
// ingress" on their first rule — v3.30 writes "KubernetesNetworkPolicy <ns>/<name> ingress"):
//
//   FORWARD → cali-FORWARD → cali-to-wl-dispatch -o <iface> -g cali-tw-<iface>
//   cali-tw-<iface>: established ACCEPT, "Start of tier default", jump to each policy chain
//     cali-pi-<hash> (which sets the accept mark 0x10000 when a rule matches), "Return if policy
//     accepted", then "End of tier default. Drop if no policies passed packet"
//   cali-FORWARD: "Policy explicitly accepted packet." ACCEPT on the accept mark
//
// Only ingress policies, selecting and admitting pods by their app label: what the examples need.
import { createHash } from 'node:crypto';
import type { KubeObject } from '../../../src/snapshot/types.ts';

export interface NetworkPolicyDecl {
  namespace: string;
  name: string;
  /** The app label of the pods it selects for Ingress. */
  app: string;
  /** App labels of the pods it admits (same namespace); empty: it admits nothing. */
  from: string[];
  protocol: 'TCP' | 'UDP';
  port: number;
}

/** What felix needs of a pod: where it is, its host-side interface, its labels. */
export interface WorkloadView {
  namespace: string;
  name: string;
  node: string;
  ip: string;
  app: string;
  iface: string;
}

export function networkPolicyObject(p: NetworkPolicyDecl): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { namespace: p.namespace, name: p.name, uid: hash(`uid ${p.namespace}/${p.name}`, 12) },
    spec: {
      podSelector: { matchLabels: { app: p.app } },
      policyTypes: ['Ingress'],
      ingress:
        p.from.length === 0
          ? []
          : [
              {
                from: p.from.map((app) => ({ podSelector: { matchLabels: { app } } })),
                ports: [{ protocol: p.protocol, port: p.port }],
              },
            ],
    },
  };
}

function hash(s: string, n: number): string {
  return createHash('sha256').update(s).digest('base64url').slice(0, n);
}

/** hashutils.GetLengthLimitedID: a name over the 28-character chain limit becomes prefix + "_" + hash. */
export function policyChain(p: NetworkPolicyDecl): string {
  return `cali-pi-_${hash(`default/${p.namespace}/knp.default.${p.name}`, 19)}`;
}

const ruleId = (s: string) => `-m comment --comment "cali:${hash(s, 16)}"`;

export interface FelixPolicyParts {
  chains: string[];
  rules: string[];
  ipsets: string[];
}

/** felix's filter rules and ipsets for the workloads of `node` that policies select. */
export function felixPolicy(
  node: string,
  policies: readonly NetworkPolicyDecl[],
  workloads: readonly WorkloadView[],
): FelixPolicyParts {
  const out: FelixPolicyParts = { chains: [], rules: [], ipsets: [] };
  const local = workloads.filter(
    (w) => w.node === node && policies.some((p) => p.namespace === w.namespace && p.app === w.app),
  );
  if (local.length === 0) return out;
  out.chains.push(':cali-FORWARD - [0:0]', ':cali-to-wl-dispatch - [0:0]');
  out.rules.push(
    `-A FORWARD ${ruleId('fwd')} -j cali-FORWARD`,
    `-A cali-FORWARD ${ruleId('clear')} -j MARK --set-xmark 0x0/0xe0000`,
    `-A cali-FORWARD -o cali+ ${ruleId('to-wl')} -j cali-to-wl-dispatch`,
    `-A cali-FORWARD ${ruleId('accepted')} -m comment --comment "Policy explicitly accepted packet." -m mark --mark 0x10000/0x10000 -j ACCEPT`,
  );
  const rendered = new Set<string>();
  for (const w of local) {
    const tw = `cali-tw-${w.iface}`;
    const mine = policies.filter((p) => p.namespace === w.namespace && p.app === w.app);
    out.chains.push(`:${tw} - [0:0]`);
    out.rules.push(
      `-A cali-to-wl-dispatch -o ${w.iface} ${ruleId(`d ${w.iface}`)} -g ${tw}`,
      `-A ${tw} ${ruleId(`${tw} est`)} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
      `-A ${tw} ${ruleId(`${tw} inv`)} -m conntrack --ctstate INVALID -j DROP`,
      `-A ${tw} ${ruleId(`${tw} clr`)} -j MARK --set-xmark 0x0/0x30000`,
      `-A ${tw} ${ruleId(`${tw} tier`)} -m comment --comment "Start of tier default" -j MARK --set-xmark 0x0/0x20000`,
    );
    for (const p of mine) {
      out.rules.push(
        `-A ${tw} ${ruleId(`${tw} ${p.name}`)} -m mark --mark 0x0/0x20000 -j ${policyChain(p)}`,
        `-A ${tw} ${ruleId(`${tw} ${p.name} ret`)} -m comment --comment "Return if policy accepted" -m mark --mark 0x10000/0x10000 -j RETURN`,
      );
    }
    out.rules.push(
      `-A ${tw} ${ruleId(`${tw} end`)} -m comment --comment "End of tier default. Drop if no policies passed packet" -m mark --mark 0x0/0x20000 -j DROP`,
    );
    for (const p of mine) {
      const chain = policyChain(p);
      if (rendered.has(chain)) continue;
      rendered.add(chain);
      out.chains.push(`:${chain} - [0:0]`);
      const comment = `-m comment --comment "Policy ${p.namespace}/knp.default.${p.name} ingress"`;
      if (p.from.length === 0) {
        // No rules: felix still writes one empty rule carrying the policy's comment (policy.go).
        out.rules.push(`-A ${chain} ${ruleId(`${chain} 0`)} ${comment}`);
        continue;
      }
      const set = `cali40s:${hash(`selector ${p.namespace} ${p.from.join(',')}`, 23)}`;
      const members = workloads.filter((x) => x.namespace === p.namespace && p.from.includes(x.app));
      out.ipsets.push(
        `create ${set} hash:net family inet hashsize 1024 maxelem 1048576`,
        ...members.map((m) => `add ${set} ${m.ip}`),
      );
      const proto = p.protocol.toLowerCase();
      out.rules.push(
        `-A ${chain} -p ${proto} ${ruleId(`${chain} 0`)} ${comment} -m set --match-set ${set} src -m multiport --dports ${p.port} -j MARK --set-xmark 0x10000/0x10000`,
        `-A ${chain} ${ruleId(`${chain} 1`)} -m mark --mark 0x10000/0x10000 -j RETURN`,
      );
    }
  }
  return out;
}
