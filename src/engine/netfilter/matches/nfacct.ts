// -m nfacct --nfacct-name NAME (net/netfilter/xt_nfacct.c nfacct_mt): counts the packet in the
// accounting object NAME, then matches unless the object has a quota it is still under
// (nfnl_acct_overquota: NFACCT_NO_QUOTA for an object without one). Objects are not in a
// snapshot, so only the objects whose creator is known to give them no quota are decided:
// kube-proxy's (pkg/proxy/metrics: nfacct counters created by name only, no quota), written
// into KUBE-FORWARD and KUBE-NODEPORTS by recent versions (proxier_test.go TestOverallIPTablesRules).
import type { IptMatch } from '../../../model/types.ts';
import type { CompiledMatch } from '../compiled.ts';
import { arg, badOption } from '../options.ts';

/** kube-proxy's accounting objects (pkg/proxy/metrics/metrics.go), created without a quota. */
const WITHOUT_QUOTA: ReadonlySet<string> = new Set(['ct_state_invalid_dropped_pkts', 'localhost_nps_accepted_pkts']);

export function compileNfacct(m: IptMatch): CompiledMatch[] {
  return m.options.map((o): CompiledMatch => {
    const name = arg(o);
    if (o.name !== 'nfacct-name' || o.negated || name === undefined) return badOption('nfacct', o);
    if (WITHOUT_QUOTA.has(name)) return { kind: 'always' };
    return {
      kind: 'unknown',
      reason: `-m nfacct --nfacct-name ${name}: matches unless that accounting object has a quota it is under; nfacct objects are not collected`,
    };
  });
}
