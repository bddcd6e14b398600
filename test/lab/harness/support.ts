// Whether this machine can run lab tests, with the reason when not, for `test(..., { skip })`.
import { execCapture } from './exec.ts';
import { NETNS_PREFIX } from './naming.ts';

let cached: Promise<string | undefined> | undefined;

/** undefined when labs can run here; otherwise why not (not root, no iproute2, no netns support). */
export function labUnsupportedReason(): Promise<string | undefined> {
  cached ??= (async () => {
    if (process.platform !== 'linux')
      return `lab tests need Linux network namespaces (platform is ${process.platform})`;
    if (process.getuid?.() !== 0) return 'lab tests need root (creating network namespaces needs CAP_SYS_ADMIN)';
    // Creating one namespace is the only proof that `ip netns` works here (a container without
    // CAP_SYS_ADMIN lists fine and fails on add).
    const name = `${NETNS_PREFIX}${process.pid}-0-support`;
    const add = await execCapture(['ip', 'netns', 'add', name]);
    if (add.startError !== undefined) return `lab tests need iproute2: ${add.startError}`;
    if (add.code !== 0) return `\`ip netns add\` failed: ${add.stderr.trim()}`;
    await execCapture(['ip', 'netns', 'del', name]);
    return undefined;
  })();
  return cached;
}
