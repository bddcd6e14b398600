// Which release of a CNI runs: the tag of its agent's image, or — when no agent pod was listed —
// a lower bound from configuration keys that only newer releases write.

/** major.minor; `exact` false when only a lower bound is known. */
export interface Release {
  major: number;
  minor: number;
  exact: boolean;
  because: string;
}

/** `quay.io/cilium/cilium:v1.11.1@sha256:…` → 1.11. Digests and registries with ports are skipped. */
export function imageRelease(image: string): { major: number; minor: number } | undefined {
  const noDigest = image.split('@')[0]!;
  const colon = noDigest.lastIndexOf(':');
  if (colon < 0 || noDigest.slice(colon).includes('/')) return undefined;
  const m = /^v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+].*)?$/.exec(noDigest.slice(colon + 1));
  return m === null ? undefined : { major: Number(m[1]), minor: Number(m[2]) };
}

/** a ≥ b.major.b.minor */
export function atLeast(a: { major: number; minor: number }, major: number, minor: number): boolean {
  return a.major > major || (a.major === major && a.minor >= minor);
}

export function formatRelease(r: Release): string {
  return `${r.exact ? '' : '≥ '}${r.major}.${r.minor}`;
}
