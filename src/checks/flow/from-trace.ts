// Findings from a traced flow: the hop that decided a failed trace becomes a finding with its
// node, its evidence lines and a fix written for that very device, rule or route.
import { text, texts } from '../../model/render/said.ts';
import { confKey } from '../../engine/kernel/sysctl.ts';
import type { Hop, NetfilterPlace, Trace } from '../../engine/trace.ts';
import { FINDINGS } from '../catalog.ts';
import type { FindingId } from '../catalog.ts';
import type { Finding } from '../finding.ts';
import { describeStatus, howToCollect } from '../../model/provenance.ts';
import { classifyTrace, decidingHop } from './classify.ts';

/** `[12:3456] -A CHAIN spec` or `-A CHAIN spec` → `CHAIN spec` */
function ruleSpec(line: string): { chain: string; spec: string } | undefined {
  const m = /^(?:\[\d+:\d+\]\s+)?-A\s+(\S+)\s*(.*)$/.exec(line.trim());
  return m === null ? undefined : { chain: m[1]!, spec: m[2]! };
}

/**
 * firewalld's chains are named <table>_<FWD|IN>_<zone>[_<part>] (firewalld core/nftables.py):
 * the fix is a firewalld command, in the permanent form, or firewalld writes the rule back.
 */
function firewalldFix(chain: string, verb: string): string | undefined {
  const m = /^filter_(FWD|IN)_(.+?)(?:_(?:pre|log|deny|allow|post))?$/.exec(chain);
  if (m === null) return undefined;
  const zone = m[2]!;
  if (m[1] === 'IN')
    return `firewalld's zone ${zone} ${verb} it on input: allow it (firewall-cmd --permanent --zone=${zone} --add-port=<port>/<tcp|udp>, --add-service=<service>, or --add-protocol=<protocol> for a tunnel such as ipencap; then firewall-cmd --reload), or put the source into a zone that allows it (firewall-cmd --permanent --zone=trusted --add-source=<CIDR>).`;
  return `firewalld ${verb} forwarded traffic that enters from zone ${zone}: let it forward to the pod network with a policy (firewall-cmd --permanent --new-policy=${zone}-to-pods; firewall-cmd --permanent --policy=${zone}-to-pods --add-ingress-zone=${zone} --add-egress-zone=trusted --set-target=ACCEPT; firewall-cmd --permanent --zone=trusted --add-source=<pod CIDR>; firewall-cmd --reload), or allow forwarding within the zone (firewall-cmd --permanent --zone=${zone} --add-forward).`;
}

/** A native nftables rule or base chain policy: its handle, or its policy. */
function nftablesFix(at: NetfilterPlace, verb: string): string {
  const fw = at.table === 'firewalld' ? firewalldFix(at.chain, verb) : undefined;
  if (fw !== undefined) return fw;
  const where = `${at.family ?? 'ip'} ${at.table} ${at.chain}`;
  if (at.handle === undefined)
    return `The policy of base chain ${where} ${verb} it (${at.line.trim()}): accept this traffic explicitly (nft insert rule ${where} <match this flow> accept), or nft chain ${where} '{ policy accept; }' if nothing else relies on the policy.`;
  return `Remove or narrow the rule that ${verb} it: nft delete rule ${where} handle ${at.handle} (nft -a list chain ${where} shows it) — if a controller (kube-proxy, firewalld, the CNI agent) wrote it, change that controller's configuration instead, or it returns.`;
}

function netfilterFix(hop: Hop, verb: string): string {
  const at =
    hop.reason?.kind === 'netfilter-drop' || hop.reason?.kind === 'netfilter-reject' ? hop.reason.at : undefined;
  if (at?.backend === 'nftables') return nftablesFix(at, verb);
  const last = at?.line ?? '';
  const cmd = at?.backend === 'legacy' ? 'iptables-legacy' : 'iptables';
  const table = at?.table ?? 'filter';
  const policy = /^:(\S+)\s+(DROP|ACCEPT)\b/.exec(last.trim());
  if (policy !== null) {
    return `The ${table} ${policy[1]} chain's policy ${verb} it: accept this traffic explicitly (${cmd} -t ${table} -I ${policy[1]} <match this flow> -j ACCEPT), or ${cmd} -t ${table} -P ${policy[1]} ACCEPT if nothing else relies on the policy.`;
  }
  const r = ruleSpec(last);
  if (r === undefined) return FINDINGS['netfilter-drop'].fix;
  return `Remove or narrow the rule that ${verb} it: ${cmd} -t ${table} -D ${r.chain} ${r.spec} — if a controller (kube-proxy, the CNI agent, a NetworkPolicy) wrote it, change that controller's configuration instead, or it returns.`;
}

function fixFor(id: FindingId, hop: Hop): string {
  const dev = hop.device;
  switch (id) {
    case 'rp-filter-drop':
      return dev !== undefined
        ? `sysctl -w ${confKey(dev, 'rp_filter')}=2 on ${hop.node} (loose: accept when any route leads back; also check net.ipv4.conf.all.rp_filter, the kernel uses the larger of the two), persisted in /etc/sysctl.d/ or the CNI's setting; or make the path symmetric.`
        : FINDINGS[id].fix;
    case 'forwarding-disabled':
      return `sysctl -w net.ipv4.ip_forward=1 on ${hop.node} (${confKey(dev ?? '<dev>', 'forwarding')} follows it), persisted in /etc/sysctl.d/.`;
    case 'netfilter-drop':
      return netfilterFix(hop, 'drops');
    case 'netfilter-reject':
      return netfilterFix(hop, 'rejects');
    case 'link-down':
      return dev !== undefined
        ? `ip link set ${dev} up on ${hop.node}, and find out why it went down.`
        : FINDINGS[id].fix;
    case 'path-unknown':
      return unknownFix(hop) ?? FINDINGS[id].fix;
    default:
      return FINDINGS[id].fix;
  }
}

/** What to collect or probe so that an unknown hop can be decided. */
function unknownFix(hop: Hop): string | undefined {
  const r = hop.reason;
  switch (r?.kind) {
    case 'data-missing':
      return `Collect ${howToCollect(r.section)} (${r.node}: ${describeStatus(r.section, r.status)}), e.g. kubectl netcheck collect -o snapshot.json --nodes ${r.node} and run the command again with --snapshot snapshot.json.`;
    case 'not-probed':
      return `Probe ${r.node} (kubectl netcheck collect -o snapshot.json --nodes ${r.node}) if it is a node, or check that hop by hand.`;
    case 'datapath-not-modelled':
      return `netcheck does not walk this datapath (${r.because.join('; ')}): use the CNI's own tracing (cilium-dbg monitor, hubble observe) for ${r.node}.`;
    default:
      return undefined;
  }
}

/** The finding for a trace that did not deliver; undefined for a delivered one. */
export function findingFromTrace(t: Trace, label: string): Finding | undefined {
  const id = classifyTrace(t);
  if (id === undefined) return undefined;
  const hop = decidingHop(t);
  const doc = FINDINGS[id];
  const where = hop === undefined ? '' : `on ${hop.node}${hop.device !== undefined ? ` (${hop.device})` : ''}: `;
  const f: Finding = {
    id,
    severity: doc.severity,
    summary: `${label}${t.direction === 'reply' ? ' (reply)' : ''} ${where}${hop !== undefined ? text(hop.detail) : 'no hop'}`,
    evidence: texts(hop?.evidence ?? []),
    why: doc.meaning,
    fix: hop !== undefined ? fixFor(id, hop) : doc.fix,
  };
  if (hop !== undefined) f.node = hop.node;
  return f;
}
