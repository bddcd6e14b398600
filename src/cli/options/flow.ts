// --port and --protocol of the flow commands (pod-to-pod, lan).
import type { Argv } from 'yargs';
import { DEFAULT_PACKET_SIZE, flowProtocol } from '../../checks/flow/packet-spec.ts';
import type { FlowProtocol } from '../../checks/flow/packet-spec.ts';
import { InputError } from '../../lib/errors.ts';
import type { Args } from '../command.ts';
import { oneOf, port, wholeNumber } from './values.ts';

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
    })
    .option('size', {
      type: 'string',
      requiresArg: true,
      describe: `Bytes of the IP packet, headers included, ${MIN_SIZE}-${MAX_SIZE} (default ${DEFAULT_PACKET_SIZE}; ping -s N sends N + 28): names the hop whose MTU it does not fit`,
    })
    .option('df', {
      type: 'boolean',
      describe: "Don't Fragment set (default; --no-df lets routers fragment it)",
    });
}

export interface FlowFlags {
  protocol: FlowProtocol;
  port?: number;
  size?: number;
  df?: boolean;
}

/** An IPv4 header and an 8-byte ICMP or UDP header; the largest IPv4 packet. */
const MIN_SIZE = 28;
const MAX_SIZE = 65535;

export function flowFlags(argv: Args): FlowFlags {
  const p = port('--port', argv['port']);
  const protocol = flowProtocol(oneOf('--protocol', argv['protocol'], PROTOCOLS), p);
  // An ICMP echo has no port: a port next to it is a question that cannot be asked.
  if (protocol === 'icmp' && p !== undefined) throw new InputError('--port does not apply to --protocol icmp');
  const size = wholeNumber('--size', argv['size'], MIN_SIZE, MAX_SIZE, 'a packet size in bytes');
  const df = argv['df'];
  if (df !== undefined && typeof df !== 'boolean') throw new InputError('--df takes no value (--no-df to clear it)');
  return {
    protocol,
    ...(p !== undefined ? { port: p } : {}),
    ...(size !== undefined ? { size } : {}),
    ...(df !== undefined ? { df } : {}),
  };
}
