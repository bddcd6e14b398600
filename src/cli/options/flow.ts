// --port and --protocol of the flow commands (pod-to-pod, lan).
import type { Argv } from 'yargs';
import { flowProtocol } from '../../checks/flow/packet-spec.ts';
import type { FlowProtocol } from '../../checks/flow/packet-spec.ts';
import { InputError } from '../../lib/errors.ts';
import type { Args } from '../command.ts';
import { oneOf, port } from './values.ts';

const PROTOCOLS = ['tcp', 'udp', 'icmp'] as const;

export function withFlowOptions(y: Argv): Argv {
  return y
    .option('port', {
      type: 'string',
      requiresArg: true,
      describe: 'Destination port, 1-65535 (the protocol becomes tcp)',
    })
    .option('protocol', {
      type: 'string',
      requiresArg: true,
      choices: PROTOCOLS,
      describe: 'Protocol: tcp, udp or icmp (default: tcp with --port, else icmp echo)',
    });
}

export interface FlowFlags {
  protocol: FlowProtocol;
  port?: number;
}

export function flowFlags(argv: Args): FlowFlags {
  const p = port('--port', argv['port']);
  const protocol = flowProtocol(oneOf('--protocol', argv['protocol'], PROTOCOLS), p);
  // An ICMP echo has no port: a port next to it is a question that cannot be asked.
  if (protocol === 'icmp' && p !== undefined) throw new InputError('--port does not apply to --protocol icmp');
  return p === undefined ? { protocol } : { protocol, port: p };
}
