// Parses one CNI network configuration file (section "file:/etc/cni/net.d/<name>"): a .conflist
// ({"name", "cniVersion", "plugins": [...]}) or a single-plugin .conf/.json ({"type", ...}),
// which libcni turns into a one-plugin list the same way (libcni ConfListFromConf).
// IPAM subnets are flattened from every place the common plugins keep them:
//   host-local   ipam.subnet (the deprecated single range), ipam.ranges[][].subnet
//   calico-ipam  ipam.ipv4_pools / ipam.ipv6_pools (CIDRs or IPPool names)
//   flannel      delegate.ipam (flannel fills ranges from subnet.env at ADD time, so the file
//                usually has none — compare with /run/flannel/subnet.env instead)
// Values are kept verbatim: Canal writes "subnet": "usePodCidr", which means node.spec.podCIDR.
import type { CniConfig, CniPlugin, Parsed } from '../types.ts';
import { Fields, isObject, type JsonObject } from './fields.ts';
import { jsonTooDeep } from './json-array.ts';
import { Warnings, quote } from './warnings.ts';

function ipamSubnets(ipam: Fields | undefined, out: string[]): void {
  if (ipam === undefined) return;
  const subnet = ipam.str('subnet');
  if (subnet !== undefined) out.push(subnet);
  const ranges = ipam.arr('ranges') ?? [];
  ranges.forEach((set, i) => {
    if (!Array.isArray(set)) {
      ipam.warn(`ranges[${i}] should be an array of ranges`);
      return;
    }
    set.forEach((r, j) => {
      if (!isObject(r)) ipam.warn(`ranges[${i}][${j}] should be an object`);
      else {
        const s = new Fields(r, `${ipam.where}.ranges[${i}][${j}]`, ipam.warnings).str('subnet');
        if (s !== undefined) out.push(s);
      }
    });
  });
  for (const key of ['ipv4_pools', 'ipv6_pools']) out.push(...(ipam.strings(key) ?? []));
}

/** Subnets of a plugin and of the plugin it delegates to (flannel's "delegate"). */
function collectSubnets(p: Fields, out: string[]): void {
  ipamSubnets(p.sub('ipam'), out);
  const delegate = p.sub('delegate');
  if (delegate !== undefined) ipamSubnets(delegate.sub('ipam'), out);
}

function parsePlugin(obj: JsonObject, where: string, w: Warnings): CniPlugin {
  const f = new Fields(obj, where, w);
  const type = f.str('type');
  if (type === undefined) w.add(`${where}: plugin without "type"`);
  const ipamSubnetsOut: string[] = [];
  collectSubnets(f, ipamSubnetsOut);
  const plugin: CniPlugin = { type: type ?? '', ipamSubnets: ipamSubnetsOut, config: obj };
  const ipamType = f.sub('ipam')?.str('type') ?? f.sub('delegate')?.sub('ipam')?.str('type');
  if (ipamType !== undefined) plugin.ipamType = ipamType;
  return plugin;
}

export function parseCniConfig(path: string, text: string): Parsed<CniConfig> {
  const w = new Warnings();
  const config: CniConfig = { path, plugins: [], raw: text };
  if (jsonTooDeep(text)) {
    w.add(`${path}: nests deeper than any CNI configuration; not read`);
    return { value: config, warnings: w.done() };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    w.add(`${path}: not valid JSON (${(e as Error).message.slice(0, 120)}); the runtime skips such a file`);
    return { value: config, warnings: w.done() };
  }
  if (!isObject(doc)) {
    w.add(`${path}: expected a JSON object, found ${quote(text.trim().slice(0, 40))}`);
    return { value: config, warnings: w.done() };
  }
  const f = new Fields(doc, path, w);
  const name = f.str('name');
  const cniVersion = f.str('cniVersion');
  if (name !== undefined) config.name = name;
  if (cniVersion !== undefined) config.cniVersion = cniVersion;
  const isList = f.has('plugins');
  if (isList) {
    (f.arr('plugins') ?? []).forEach((p, i) => {
      if (isObject(p)) config.plugins.push(parsePlugin(p, `${path}: plugins[${i}]`, w));
      else w.add(`${path}: plugins[${i}] is not an object`);
    });
  } else if (f.has('type')) {
    config.plugins.push(parsePlugin(doc, path, w));
  } else {
    w.add(`${path}: neither "plugins" nor "type": not a CNI network configuration`);
  }
  if (path.endsWith('.conflist') && !isList) w.add(`${path}: a .conflist without "plugins"`);
  return { value: config, warnings: w.done() };
}
