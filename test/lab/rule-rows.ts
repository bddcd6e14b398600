// A packet-table row (test/unit/netfilter/packet-table.ts) sent through a real kernel: what the
// kernel did with the row's first packet, against what the row says. Shared by the rule-table lab
// tests (kube-proxy-rules.test.ts, nft-rules.test.ts).
import type { FlowRow } from '../unit/netfilter/packet-table.ts';
import type { RunningLab } from './harness/index.ts';

/** `hostOf`: the lab host that owns an address the rows use. */
export async function kernelAgrees(
  lab: RunningLab,
  row: FlowRow,
  hostOf: (addr: string) => string | undefined,
): Promise<string[]> {
  const from = hostOf(row.packet.src);
  if (from === undefined) return [`no lab host sends from ${row.packet.src}`];
  const dport = row.packet.dport ?? 80;
  const proto = row.packet.proto === 'udp' ? 'udp' : 'tcp';
  const s = await lab.send({
    from,
    dst: row.packet.dst,
    proto,
    dport,
    srcAddr: row.packet.src,
    listen: [80, dport],
  });
  const got = `delivered=${s.forwardDelivered} to ${s.receivedBy ?? '-'} seen from ${s.seenSrc ?? '-'}${s.error !== undefined ? ` (${s.error})` : ''}`;
  // DROP: silence; REJECT: an error at the sender (RST or ICMP). UDP cannot tell them apart.
  if (row.want === 'DROP' || row.want === 'REJECT') {
    const silent = s.error === undefined;
    if (s.forwardDelivered || (proto === 'tcp' && silent !== (row.want === 'DROP')))
      return [`kernel: ${got}; the table says ${row.want}`];
    return [];
  }
  if (row.want === '') {
    const owner = hostOf(row.packet.dst);
    // Forwarded untranslated to an address no lab host owns: no lab host may receive it (a DNAT
    // would have handed it to an endpoint).
    if (owner === undefined) return s.forwardDelivered ? [`kernel: ${got}; the table says untranslated`] : [];
    return s.forwardDelivered && s.receivedBy === owner
      ? []
      : [`kernel: ${got}; the table says untranslated to ${owner}`];
  }
  const receivers = row.want.split(',').map((e) => hostOf(e.trim().split(':')[0]!));
  const out: string[] = [];
  if (!s.forwardDelivered || !receivers.includes(s.receivedBy)) out.push(`kernel: ${got}; the table says ${row.want}`);
  if (row.masq !== undefined && s.forwardDelivered && (s.seenSrc !== row.packet.src) !== row.masq)
    out.push(`kernel: ${got}; the table says masquerade=${row.masq}`);
  return out;
}
