// Checks that a parsed JSON document is a snapshot this version reads, and says exactly where it
// is not. Contents of sections are not checked here: parsers do that, section by section.
import { InputError } from '../lib/errors.ts';
import { ABSENT_KIND, OBJECT_KINDS, SNAPSHOT_API_VERSION, SNAPSHOT_KIND, emptyObjects } from './types.ts';
import type { HostEntry, KubeObject, Snapshot } from './types.ts';
import { definePieced, piecedSection } from './pieced.ts';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringMap(v: unknown, where: string, source: string): Record<string, string> {
  if (v === undefined) return {};
  if (!isRecord(v)) throw new InputError(`${source}: ${where} must be an object of strings`);
  const out: Record<string, string> = {};
  for (const k of Object.keys(v)) {
    // A section held in pieces (a v2 snapshot's iptables text) stays so: reading it would join it.
    const p = piecedSection(v as Record<string, string>, k);
    if (p !== undefined) {
      definePieced(out, k, p);
      continue;
    }
    const val = v[k];
    if (typeof val !== 'string')
      throw new InputError(`${source}: ${where}.${k} must be a string, not ${typeName(val)}`);
    out[k] = val;
  }
  return out;
}

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v;
}

export function validateSnapshot(doc: unknown, source: string): Snapshot {
  if (!isRecord(doc))
    throw new InputError(`${source}: not a netcheck snapshot: the document is ${typeName(doc)}, not an object`);
  if (doc['kind'] !== SNAPSHOT_KIND || typeof doc['apiVersion'] !== 'string') {
    throw new InputError(
      `${source}: not a netcheck snapshot (kind must be "${SNAPSHOT_KIND}" and apiVersion "${SNAPSHOT_API_VERSION}")`,
    );
  }
  if (doc['apiVersion'] !== SNAPSHOT_API_VERSION) {
    throw new InputError(
      `${source}: snapshot apiVersion ${JSON.stringify(doc['apiVersion'])} is not supported (this netcheck reads ${SNAPSHOT_API_VERSION})`,
    );
  }
  const objects = emptyObjects();
  const rawObjects = doc['objects'] ?? {};
  if (!isRecord(rawObjects)) throw new InputError(`${source}: objects must be an object`);
  // A kind the file does not hold is not "none": say so, as collection says what it could not list.
  const absent: string[] = [];
  for (const kind of OBJECT_KINDS) {
    const list = rawObjects[kind];
    if (list === undefined) {
      absent.push(`${kind}: ${ABSENT_KIND}`);
      continue;
    }
    if (!Array.isArray(list))
      throw new InputError(`${source}: objects.${kind} must be an array, not ${typeName(list)}`);
    list.forEach((o, i) => {
      if (!isRecord(o)) throw new InputError(`${source}: objects.${kind}[${i}] must be an object, not ${typeName(o)}`);
    });
    objects[kind] = list as KubeObject[];
  }
  const rawHosts = doc['hosts'] ?? {};
  if (!isRecord(rawHosts)) throw new InputError(`${source}: hosts must be an object keyed by node name`);
  const hosts: Record<string, HostEntry> = {};
  for (const [name, h] of Object.entries(rawHosts)) {
    if (!isRecord(h)) throw new InputError(`${source}: hosts.${name} must be an object`);
    hosts[name] = {
      sections: stringMap(h['sections'], `hosts.${name}.sections`, source),
      errors: stringMap(h['errors'], `hosts.${name}.errors`, source),
    };
  }
  const capturedAt = typeof doc['capturedAt'] === 'string' ? doc['capturedAt'] : '';
  const snap: Snapshot = { apiVersion: SNAPSHOT_API_VERSION, kind: SNAPSHOT_KIND, capturedAt, objects, hosts };
  if (typeof doc['context'] === 'string') snap.context = doc['context'];
  const warnings = doc['warnings'];
  const given = Array.isArray(warnings) ? warnings.filter((w): w is string => typeof w === 'string') : [];
  if (Array.isArray(warnings) || absent.length > 0) snap.warnings = [...given, ...absent];
  return snap;
}
