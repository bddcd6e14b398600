// What one model's parse shares between the hosts of a cluster. Nodes print much the same: the
// same sysctls, ipsets and CNI files, and a route, a neighbour and an fdb entry for each other
// node (N² entries in all, N distinct). Parsers are pure functions of their text, so the same
// text parsed once gives every host the same (read-only) value, and a 1,000-node model holds
// ~1,000 route objects for those routes instead of ~1,000,000. Lives only while the model is built.
import { createHash } from 'node:crypto';
import type { Parsed } from './types.ts';

export class ParseShare {
  private readonly sections = new Map<string, Map<string, Parsed<unknown>>>();
  private readonly elements = new Map<string, Map<string, unknown>>();

  /** `parse(text)` of section `name`, or what it gave for the same text on another host. */
  section<T>(name: string, text: string, parse: (text: string) => Parsed<T>): Parsed<T> {
    let byText = this.sections.get(name);
    if (byText === undefined) this.sections.set(name, (byText = new Map()));
    // By digest: V8 hashes a string longer than 16,383 characters by its length alone
    // (String::kMaxHashCalcLength), so a Map of 1,000 long texts compares them with each other.
    const key = createHash('sha256').update(text).digest('base64');
    let r = byText.get(key) as Parsed<T> | undefined;
    if (r === undefined) byText.set(key, (r = parse(text)));
    return r;
  }

  /** Items read from the elements of section `name`'s JSON array, by element text (mapJsonObjects' `known`). */
  elementsOf<T>(name: string): Map<string, T> {
    let m = this.elements.get(name);
    if (m === undefined) this.elements.set(name, (m = new Map()));
    return m as Map<string, T>;
  }
}
