// What the engine says about a step: words, and the parsed items that decided it kept as the items
// themselves, not as text. Checks can look at the items; the report renders them the way `ip` and
// `bridge` print them (model/render/said.ts), so the engine never formats a route or a neighbour
// and the wording can change in one place. Build one with the `said` tag.
import type { FdbEntry, Link, Neighbor, PolicyRule, Route } from './types.ts';

/** A parsed item, by reference. */
export type Item =
  | { readonly route: Route }
  | { readonly rule: PolicyRule }
  | { readonly link: Link }
  | { readonly neighbor: Neighbor }
  | { readonly fdb: FdbEntry };

/** Plain words, or words and items in order. */
export type Said = string | { readonly parts: readonly (string | Item)[] };

type Value = string | number | Item | Said | undefined;

function isSaid(v: object): v is { readonly parts: readonly (string | Item)[] } {
  return 'parts' in v;
}

/**
 * said`reverse route is "${{ route: r }}"`: interpolated items (and other Saids) are kept as they
 * are, anything else becomes words. Without an item the result is a plain string.
 */
export function said(strings: TemplateStringsArray, ...values: Value[]): Said {
  const parts: (string | Item)[] = [];
  const text = (s: string) => {
    if (s === '') return;
    const last = parts[parts.length - 1];
    if (typeof last === 'string') parts[parts.length - 1] = last + s;
    else parts.push(s);
  };
  strings.forEach((s, i) => {
    text(s);
    if (i >= values.length) return;
    const v = values[i];
    if (typeof v === 'object') {
      if (isSaid(v)) for (const p of v.parts) typeof p === 'string' ? text(p) : parts.push(p);
      else parts.push(v);
    } else text(String(v));
  });
  return parts.every((p) => typeof p === 'string') ? parts.join('') : { parts };
}

/** One item alone, as a Said. */
export function itemSaid(i: Item): Said {
  return { parts: [i] };
}
