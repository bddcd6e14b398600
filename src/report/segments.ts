// A trace as the nodes it crosses: consecutive hops on one node become one segment with the device
// the packet came in on, the device it left by, the tunnel it took, the address rewrites on the
// way and the decision that ended it. The compact view, the HTML drawing and -o wide all read it.
import type { HopDoc, TraceDoc } from './document.ts';

export interface Segment {
  node: string;
  /** 1-based position of the segment's first hop in the trace (as -o wide numbers them). */
  firstHop: number;
  hops: HopDoc[];
  /** The device the (inner) packet arrived on; after decapsulation, the tunnel device. */
  inDevice?: string;
  /** The device it left by: the tunnel device when encapsulated, else the output device. */
  outDevice?: string;
  /** Outer device and encapsulation when the packet left in a tunnel ("VXLAN vni 4096 to VTEP …"). */
  tunnelOut?: { device?: string; text: string };
  /** The outer device it arrived on before decapsulation. */
  tunnelIn?: { device?: string; text: string };
  /** Address rewrites (NAT, a conntrack reply restored, an IPVS choice), as the engine words them. */
  rewrites: string[];
  /** Where it goes from here: a route decision, a delivery. */
  onward?: string;
  /** The hop that ended a trace that was not delivered. */
  decisive?: HopDoc;
  /** How that trace ended: a fault, or `unknown` (the walk stopped: not a fault, never drawn as one). */
  ending?: Exclude<TraceDoc['verdict'], 'delivered'>;
}

/**
 * Drops a parenthesis that repeats what precedes it ("to LAN host X (LAN host X (X) is on …)" →
 * "to LAN host X") and flattens a nested one ("(chosen at random (--random-fully))" →
 * "(chosen at random, --random-fully)"): both come from composing engine phrases.
 */
export function unnest(text: string): string {
  let out = text;
  for (let open = out.indexOf('('); open >= 0; open = out.indexOf('(', open + 1)) {
    const close = matchingParen(out, open);
    if (close < 0) break;
    const inner = out.slice(open + 1, close);
    const before = out.slice(0, open).trimEnd();
    const words = before.split(' ');
    // The parenthesis repeats the last one to four words before it (at least 6 characters).
    const repeats = [1, 2, 3, 4].some((k) => {
      const lead = words.slice(-k).join(' ');
      return lead.length >= 6 && inner.startsWith(`${lead} `);
    });
    if (repeats) {
      out = `${before}${out.slice(close + 1)}`;
      open = before.length - 1;
      continue;
    }
    const flat = inner.replace(/ \(([^()]*)\)/g, ', $1').replace(/\(([^()]*)\)/g, '$1');
    out = `${out.slice(0, open + 1)}${flat}${out.slice(close)}`;
  }
  return out;
}

function matchingParen(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    if (s[i] === '(') depth++;
    else if (s[i] === ')' && --depth === 0) return i;
  }
  return -1;
}

function describe(s: Segment, h: HopDoc): void {
  const e = h.effect;
  switch (h.step) {
    case 'enter':
      s.inDevice ??= h.device;
      break;
    case 'decapsulate': {
      const arrived = s.hops.find((x) => x.step === 'enter')?.effect;
      s.tunnelIn = {
        ...(s.inDevice !== undefined ? { device: s.inDevice } : {}),
        text: (arrived?.kind === 'arrived-encapsulated' ? arrived.outer : undefined) ?? unnest(h.detail),
      };
      s.inDevice = h.device;
      break;
    }
    case 'encapsulate':
      s.outDevice = h.device;
      s.tunnelOut = { text: unnest(h.detail) };
      break;
    case 'route':
      if (e?.kind === 'routed' && s.tunnelOut !== undefined) {
        s.tunnelOut.device = e.dev;
        s.tunnelOut.text = e.outer ?? s.tunnelOut.text;
      } else if (e?.kind === 'routed' && e.rerouted !== true) {
        s.outDevice = e.dev;
        s.onward = e.via !== undefined ? `via ${e.via}` : undefined;
      } else if (e?.kind === 'local') s.onward = 'local';
      break;
    case 'transmit':
      if (s.tunnelOut !== undefined) s.tunnelOut.device ??= h.device;
      else s.outDevice ??= h.device;
      break;
    default:
      if (e?.kind === 'delivered') {
        s.outDevice = h.device ?? s.outDevice;
        s.onward = unnest(e.what);
      } else if (e?.kind === 'rewritten') s.rewrites.push(unnest(e.what));
  }
}

/** The hop that ended a trace without delivery: the one the engine gave a reason, else the last. */
export function decisiveHop(t: TraceDoc): HopDoc | undefined {
  if (t.verdict === 'delivered') return undefined;
  return t.hops.find((h) => h.reason !== undefined) ?? t.hops.at(-1);
}

/** How the decisive hop is named: its typed reason ("martian-source"), else its step. */
export function decisiveLabel(h: HopDoc): string {
  return h.reason?.kind ?? h.step;
}

export function segments(t: TraceDoc): Segment[] {
  const out: Segment[] = [];
  const decisive = decisiveHop(t);
  t.hops.forEach((h, i) => {
    let s = out.at(-1);
    // A new segment where the node changes, or where a node receives the packet it sent (a LAN host
    // routed back through the same node shows as two visits).
    if (s === undefined || s.node !== h.node || (h.step === 'enter' && s.hops.some((x) => x.step === 'transmit'))) {
      s = { node: h.node, firstHop: i + 1, hops: [], rewrites: [] };
      out.push(s);
    }
    s.hops.push(h);
    describe(s, h);
    if (h === decisive && t.verdict !== 'delivered') {
      s.decisive = h;
      s.ending = t.verdict;
    }
  });
  return out;
}
