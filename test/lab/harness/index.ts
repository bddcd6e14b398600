// The lab harness: real hosts as network namespaces, built from a declarative topology, with
// ground truth from real packets. docs/lab.md explains how to use it.
export type { BridgeSpec, DeviceSpec, HostSpec, Lab, LinkEnd, LinkSpec, VxlanSpec } from './topology.ts';
export {
  bridge,
  bridgePod,
  calicoPod,
  flannelVxlan,
  host,
  lanHost,
  lanSegment,
  link,
  mergeLabs,
  node,
  router,
  vethName,
  type BridgePodOptions,
  type CalicoPodOptions,
  type FlannelVxlanNode,
  type HostOptions,
  type SegmentPort,
} from './builders.ts';
export { startLab, type RunningLab, type StartOptions } from './lab.ts';
export { DEFAULT_PORT, DEFAULT_TIMEOUT_MS, type SendOptions, type SendResult } from './send.ts';
export { LabCommandError, LabMissingCommandError, LabTopologyError, type FailedCommand } from './errors.ts';
export { missingCommands, setupCommands } from './preflight.ts';
export { listNetns, removeStale } from './cleanup.ts';
export { NETNS_PREFIX } from './naming.ts';
export { BASELINE_SYSCTLS, planLab } from './plan.ts';
export { validateLab } from './validate.ts';
export { labUnsupportedReason } from './support.ts';
export type { Proto } from './agent-client.ts';
export { hairpinPorts, sharedLab, withLab } from './with-lab.ts';
