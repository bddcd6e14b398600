// The inputs of the honesty property test: each example snapshot with one piece of data taken
// away — a host section deleted, recorded as failed, or replaced with garbage; a host entry
// emptied or copied under a name no node has; an object kind deleted, failed or garbage — and the
// commands each example's README runs on it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OBJECT_KINDS } from '../../src/snapshot/types.ts';

export type RawSnapshot = {
  objects?: Record<string, unknown[]>;
  hosts: Record<string, { sections: Record<string, string>; errors: Record<string, string> }>;
  warnings?: string[];
} & Record<string, unknown>;

export interface Mutation {
  /** e.g. "node-c sysctl: failed" */
  name: string;
  /** The host, section or object kind taken away. */
  what: { host?: string; section?: string; kind?: string };
  apply(s: RawSnapshot): void;
}

const GARBAGE = 'netcheck property test: this is not the output of the tool {[\n';

export function loadExample(name: string): RawSnapshot {
  return JSON.parse(readFileSync(join('examples', `${name}.json`), 'utf8')) as RawSnapshot;
}

/** Every mutation of one snapshot: each host × each section it mentions × 3, hosts, each object kind × 3. */
export function mutationsOf(snap: RawSnapshot): Mutation[] {
  const out: Mutation[] = [];
  for (const [host, entry] of Object.entries(snap.hosts)) {
    const sections = [...new Set([...Object.keys(entry.sections), ...Object.keys(entry.errors)])].sort();
    for (const section of sections) {
      const what = { host, section };
      out.push(
        {
          name: `${host} ${section}: deleted`,
          what,
          apply: (s) => {
            delete s.hosts[host]!.sections[section];
            delete s.hosts[host]!.errors[section];
          },
        },
        {
          name: `${host} ${section}: failed`,
          what,
          apply: (s) => {
            delete s.hosts[host]!.sections[section];
            s.hosts[host]!.errors[section] = `${section}: permission denied (property test)`;
          },
        },
        {
          name: `${host} ${section}: garbage`,
          what,
          apply: (s) => {
            s.hosts[host]!.sections[section] = GARBAGE;
            delete s.hosts[host]!.errors[section];
          },
        },
      );
    }
    out.push(
      {
        name: `${host}: entry {}`,
        what: { host },
        apply: (s) => {
          s.hosts[host] = { sections: {}, errors: {} };
        },
      },
      {
        name: `${host}: copied as host-x`,
        what: { host: 'host-x' },
        apply: (s) => {
          s.hosts['host-x'] = structuredClone(s.hosts[host]!);
        },
      },
    );
  }
  for (const kind of OBJECT_KINDS) {
    const what = { kind };
    out.push(
      {
        name: `objects.${kind}: deleted`,
        what,
        apply: (s) => {
          delete s.objects?.[kind];
        },
      },
      {
        name: `objects.${kind}: failed`,
        what,
        apply: (s) => {
          if (s.objects !== undefined) s.objects[kind] = [];
          s.warnings = [...(s.warnings ?? []), `${kind}: not collected: forbidden (property test)`];
        },
      },
      {
        name: `objects.${kind}: garbage`,
        what,
        apply: (s) => {
          if (s.objects !== undefined) s.objects[kind] = (s.objects[kind] ?? [{}]).map(() => ({ garbage: true }));
        },
      },
    );
  }
  out.push({
    name: 'objects: deleted',
    what: { kind: '*' },
    apply: (s) => {
      delete s.objects;
    },
  });
  return out;
}
