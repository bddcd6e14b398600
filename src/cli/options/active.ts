// --active (send probe packets and watch them; opt-in) and --dry-run (list them, send nothing).
import type { Argv } from 'yargs';
import { InputError } from '../../lib/errors.ts';
import type { Args } from '../command.ts';
import type { Source } from './source.ts';

export type ActiveMode = 'off' | 'dry-run' | 'send';

export function withActiveOptions(y: Argv): Argv {
  return y
    .option('active', {
      type: 'boolean',
      describe:
        'Also send probe packets between the nodes the question involves (VXLAN/IPIP/pod-addressed, small and MTU-sized) and capture them on the predicted path: finds what the network between the nodes drops',
    })
    .option('dry-run', {
      type: 'boolean',
      describe: 'With --active: print every probe that would be sent, send nothing',
    });
}

export function activeMode(argv: Args, source: Source): ActiveMode {
  const active = argv['active'] === true;
  const dry = argv['dry-run'] === true;
  if (dry && !active) throw new InputError('--dry-run applies to --active: it lists the probes --active would send');
  if (!active) return 'off';
  if (dry) return 'dry-run';
  if (source.kind === 'snapshot')
    throw new InputError(
      '--active sends packets on the live cluster, not to a snapshot (--active --dry-run lists the probes the snapshot implies)',
    );
  return 'send';
}
