// Findings from a traced flow: the hop that decided a failed trace becomes a finding with its
// node, its evidence lines and a fix written for that very device, rule or route.
import { confKey } from '../../engine/kernel/sysctl.ts';
import type { Hop, Trace } from '../../engine/trace.ts';
import { FINDINGS } from '../catalog.ts';
import type { FindingId } from '../catalog.ts';
import type { Finding } from '../finding.ts';
import { classifyTrace, decidingHop } from './classify.ts';

/** `[12:3456] -A CHAIN spec` or `-A CHAIN spec` → `CHAIN spec` */
function ruleSpec(line: string): { chain: string; spec: string } | undefined {
  const m = /^(?:\[\d+:\d+\]\s+)?-A\s+(\S+)\s*(.*)$/.exec(line.trim());
  return m === null ? undefined : { chain: m[1]!, spec: m[2]! };
}

function netfilterFix(hop: Hop, verb: string): string {
  const last = hop.evidence[hop.evidence.length - 1] ?? '';
  const at =
    hop.reason?.kind === 'netfilter-drop' || hop.reason?.kind === 'netfilter-reject' ? hop.reason.at : undefined;
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
    default:
      return FINDINGS[id].fix;
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
    summary: `${label}${t.direction === 'reply' ? ' (reply)' : ''} ${where}${hop?.detail ?? 'no hop'}`,
    evidence: hop?.evidence ?? [],
    why: doc.meaning,
    fix: hop !== undefined ? fixFor(id, hop) : doc.fix,
  };
  if (hop !== undefined) f.node = hop.node;
  return f;
}
