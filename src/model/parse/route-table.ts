// Routing table ids as `ip route` and `ip rule` print them: a number, a reserved name, or a name
// from the node's /etc/iproute2/rt_tables (lib/rt_names.c rtnl_rttable_n2a prints the name when
// the file has one). The snapshot does not carry rt_tables, so a custom name gets a stand-in id
// above 2^32 - 1 — the kernel's table ids are u32, so the stand-in can never collide with a
// real table — derived from the name alone. `ip route` and `ip rule` on one host print the same
// name for the same table, so rules and routes still meet in the same table.

/** Names iproute2 always knows (lib/rt_names.c, rtnl_rttable_hash defaults). */
const RESERVED_TABLES: ReadonlyMap<string, number> = new Map([
  ['unspec', 0],
  ['default', 253],
  ['main', 254],
  ['local', 255],
]);

export const TABLE_MAIN = 254;

/** First stand-in id: one past the largest u32. */
export const STAND_IN_TABLE_BASE = 2 ** 32;

export interface TableRef {
  table: number;
  /** The name as printed, when it was a name rather than a number. */
  name?: string;
}

/** FNV-1a, 32 bits: stable across runs and processes, which is all a stand-in id needs. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Reads a table as printed; undefined only for text that is neither a number nor a name. */
export function tableRef(text: string): TableRef | undefined {
  if (/^\d{1,10}$/.test(text)) {
    const n = Number(text);
    return n <= 0xffffffff ? { table: n } : undefined;
  }
  const reserved = RESERVED_TABLES.get(text);
  if (reserved !== undefined) return { table: reserved, name: text };
  // rt_tables names are single words; anything else is not something ip printed.
  if (!/^[A-Za-z_][\w.-]{0,63}$/.test(text)) return undefined;
  return { table: STAND_IN_TABLE_BASE + fnv1a(text), name: text };
}

/** True for an id that `tableRef` made up for a custom table name. */
export function isStandInTable(table: number): boolean {
  return table >= STAND_IN_TABLE_BASE;
}
