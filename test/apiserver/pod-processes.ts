// The pods' processes as a hostPID probe pod sees them, for the double's exec. A real node's
// /proc holds every pod's processes (the sandbox's pause process first, in the pod's network
// namespace); the double runs each exec in a PID namespace of its own (exec-runtime.ts), where
// no lab pod's process would be visible. So the exec's PID 1 first starts one stand-in "pause"
// per pod of the node, each entered into the pod's lab namespace (nsenter --net), waits until
// each has entered, then execs the command: the command finds the pods through /proc exactly as
// on a node (/proc/<pid>/ns/net, /proc/<pid>/net/fib_trie), and they end with its PID namespace.

const PAUSES = [
  'n=$1; shift; pids=""',
  'while [ "$n" -gt 0 ]; do nsenter --net="/run/netns/$1" sleep 86400 & pids="$pids $!"; shift; n=$((n - 1)); done',
  'self=$(readlink /proc/self/ns/net)',
  'for p in $pids; do while [ "$(readlink /proc/$p/ns/net 2>/dev/null)" = "$self" ]; do :; done; done',
  'exec "$@"',
].join('\n');

/** argv that runs `command` with a pause process in each of `podNetns` beside it. */
export function withPodProcesses(podNetns: readonly string[], command: readonly string[]): string[] {
  if (podNetns.length === 0) return [...command];
  return ['sh', '-c', PAUSES, 'pod-processes', String(podNetns.length), ...podNetns, ...command];
}
