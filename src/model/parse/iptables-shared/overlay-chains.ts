// A host's chains of one table as a view over the chains every host shares: the shared map, less
// the chains this host does not have as shared, plus the host's own (model/parse/iptables-shared.ts).
// A 1,000-node cluster's nat table has ~50k chains on each node; a map of its own per node would
// be most of the memory, and nearly all entries would point at the same chains.
import type { IptChain } from '../../types.ts';

export class OverlayChains extends Map<string, IptChain> {
  constructor(
    /** The chains shared by the hosts (never changed once built). */
    readonly base: ReadonlyMap<string, IptChain>,
    /** This host's own version of a chain (undefined: the host has no such chain). */
    readonly own: ReadonlyMap<string, IptChain | undefined>,
  ) {
    super();
  }

  override get(name: string): IptChain | undefined {
    return this.own.has(name) ? this.own.get(name) : this.base.get(name);
  }

  override has(name: string): boolean {
    return this.own.has(name) ? this.own.get(name) !== undefined : this.base.has(name);
  }

  override get size(): number {
    let n = this.base.size;
    for (const [name, c] of this.own) n += (c !== undefined ? 1 : 0) - (this.base.has(name) ? 1 : 0);
    return n;
  }

  override *entries(): MapIterator<[string, IptChain]> {
    for (const [name, c] of this.base) {
      const o = this.own.has(name) ? this.own.get(name) : c;
      if (o !== undefined) yield [name, o];
    }
    for (const [name, c] of this.own) if (c !== undefined && !this.base.has(name)) yield [name, c];
  }

  override [Symbol.iterator](): MapIterator<[string, IptChain]> {
    return this.entries();
  }

  override *keys(): MapIterator<string> {
    for (const [name] of this.entries()) yield name;
  }

  override *values(): MapIterator<IptChain> {
    for (const [, c] of this.entries()) yield c;
  }

  override forEach(visit: (value: IptChain, key: string, map: Map<string, IptChain>) => void, self?: unknown): void {
    for (const [k, v] of this.entries()) visit.call(self, v, k, this);
  }

  override set(): this {
    throw new Error('OverlayChains: a shared table is read-only');
  }

  override delete(): boolean {
    throw new Error('OverlayChains: a shared table is read-only');
  }

  override clear(): void {
    throw new Error('OverlayChains: a shared table is read-only');
  }
}
