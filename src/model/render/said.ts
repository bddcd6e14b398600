// A Said (model/said.ts) as text: its words, and each item as `ip` / `bridge` print it.
import type { Item, Said } from '../said.ts';
import { renderFdb, renderLink, renderNeighbor, renderRoute, renderRule } from './iproute2.ts';

function itemText(i: Item): string {
  if ('route' in i) return renderRoute(i.route);
  if ('rule' in i) return renderRule(i.rule);
  if ('link' in i) return renderLink(i.link);
  if ('neighbor' in i) return renderNeighbor(i.neighbor);
  return renderFdb(i.fdb);
}

export function text(s: Said): string {
  return typeof s === 'string' ? s : s.parts.map((p) => (typeof p === 'string' ? p : itemText(p))).join('');
}

/** Each line of evidence as text. */
export function texts(ss: readonly Said[]): string[] {
  return ss.map(text);
}
