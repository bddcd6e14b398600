// Shell completion, the way kubectl plugins do it.
//
// `kubectl netcheck __complete WORD... CURRENT` prints candidates in Cobra's protocol, which
// kubectl (1.26+) speaks to plugins: one candidate a line, optionally "\tdescription", then a last
// line ":N" with N a ShellCompDirective bit set (spf13/cobra completions.go: 1 error, 2 no space,
// 4 no file completion). kubectl runs an executable named `kubectl_complete-netcheck` found on
// PATH with the words after `kubectl netcheck` (kubernetes/kubernetes#105867,
// staging/src/k8s.io/kubectl/pkg/cmd/plugin_completion.go); `completion kubectl` prints that
// executable. `completion bash|zsh` prints scripts for the `kubectl-netcheck` command itself, which
// ask the same `__complete`.
//
// Candidates come from the yargs definitions of the commands (their builders run on a fresh
// parser, which only declares options), so a new command or option completes with no change here.
import yargs from 'yargs';
import type { NetcheckCommand } from './command.ts';
import { commands } from './commands/index.ts';
import { oneOf } from './options/values.ts';

const DIRECTIVE_NO_SPACE = 2;
const DIRECTIVE_NO_FILE = 4;
const DIRECTIVE_DEFAULT = 0;

/** What yargs' getOptions() holds (absent from its typings). */
interface YargsOptions {
  key: Record<string, unknown>;
  alias: Record<string, string[]>;
  choices: Record<string, readonly unknown[]>;
  boolean: string[];
  hiddenOptions: string[];
}

interface CommandInfo {
  name: string;
  positionals: readonly string[];
  describe: string;
  options: YargsOptions;
  descriptions: Record<string, string>;
}

function describeOf(y: unknown): Record<string, string> {
  // yargs keeps option descriptions in its usage instance; exposed only through internals.
  const usage = (
    y as {
      getInternalMethods?: () => { getUsageInstance(): { getDescriptions(): Record<string, string | undefined> } };
    }
  )
    .getInternalMethods?.()
    .getUsageInstance();
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(usage?.getDescriptions() ?? {}))
    if (typeof v === 'string') out[k] = v.replace(/^__yargsString__:/, '');
  return out;
}

function commandInfo(mod: NetcheckCommand | undefined): CommandInfo {
  const y = yargs([]);
  mod?.builder(y);
  const options = (y as unknown as { getOptions(): YargsOptions }).getOptions();
  return {
    name: mod?.command.split(' ')[0] ?? '',
    positionals: mod?.positionalCandidates ?? [],
    describe: mod?.describe ?? '',
    options,
    descriptions: describeOf(y),
  };
}

/** Every command that completes, with the completion command itself. */
export function completableCommands(): NetcheckCommand[] {
  return [...commands, completionCommand];
}

/** Cobra-protocol candidates for `words` (the words after the plugin name; the last is the one being typed). */
export function complete(words: readonly string[], all: readonly NetcheckCommand[] = completableCommands()): string {
  const current = words[words.length - 1] ?? '';
  const before = words.slice(0, -1);
  const infos = all.map((m) => ({ mod: m, info: commandInfo(m) }));
  const global = commandInfo(undefined);
  // The command is the first word that is neither a flag nor a flag's value.
  let info: CommandInfo | undefined;
  for (let i = 0; i < before.length; i++) {
    const w = before[i]!;
    if (w.startsWith('-')) {
      const name = w.replace(/^-+/, '').split('=')[0]!;
      if (!w.includes('=') && takesValue(global.options, name)) i++;
      continue;
    }
    info = infos.find((x) => x.info.name === w)?.info;
    break;
  }
  const scope = info ?? global;
  const prev = before[before.length - 1];
  if (prev?.startsWith('-') && !prev.includes('=')) {
    const name = canonical(scope.options, prev.replace(/^-+/, ''));
    if (takesValue(scope.options, name)) {
      const choices = scope.options.choices[name];
      if (choices !== undefined)
        return lines(
          choices.map(String).filter((c) => c.startsWith(current)),
          DIRECTIVE_NO_FILE,
        );
      // A path or a free value: let the shell complete file names.
      return lines([], DIRECTIVE_DEFAULT);
    }
  }
  if (current.startsWith('-')) {
    const flags: string[] = [];
    for (const key of Object.keys(scope.options.key)) {
      if (scope.options.hiddenOptions.includes(key)) continue;
      const flag = key.length === 1 ? `-${key}` : `--${key}`;
      if (flag.startsWith(current)) flags.push(withDescription(flag, scope.descriptions[key]));
      if (
        scope.options.boolean.includes(key) &&
        key.length > 1 &&
        `--no-${key}`.startsWith(current) &&
        current.startsWith('--no')
      )
        flags.push(`--no-${key}`);
    }
    return lines(flags.sort(), DIRECTIVE_NO_FILE);
  }
  if (info === undefined) {
    return lines(
      infos
        .filter((x) => x.info.name.startsWith(current) && x.info.name !== '')
        .map((x) => withDescription(x.info.name, x.info.describe)),
      DIRECTIVE_NO_FILE,
    );
  }
  // A positional argument of a command: the completion command's shells.
  if (info.name === 'completion')
    return lines(
      SHELLS.filter((s) => s.startsWith(current)),
      DIRECTIVE_NO_FILE,
    );
  // Endpoint kinds (trace): a prefix, completed without a space so the name follows it.
  return lines(
    info.positionals.filter((c) => c.startsWith(current)),
    info.positionals.length > 0 ? DIRECTIVE_NO_FILE | DIRECTIVE_NO_SPACE : DIRECTIVE_NO_FILE,
  );
}

function canonical(o: YargsOptions, name: string): string {
  // An alias (-o) is a key too, but its choices and type are kept under the option's own name.
  for (const [k, aliases] of Object.entries(o.alias)) if (aliases.includes(name)) return k;
  return name;
}

function takesValue(o: YargsOptions, name: string): boolean {
  const k = canonical(o, name);
  return Object.hasOwn(o.key, k) && !o.boolean.includes(k) && !k.startsWith('no-');
}

function withDescription(value: string, description: string | undefined): string {
  // Cobra: candidate, TAB, description; only the first line of the description.
  return description === undefined || description === '' ? value : `${value}\t${description.split('\n')[0]}`;
}

function lines(candidates: readonly string[], directive: number): string {
  return `${[...candidates, `:${directive}`].join('\n')}\n`;
}

const SHELLS = ['bash', 'zsh', 'kubectl'] as const;

/** For kubectl ≥ 1.26: save as an executable `kubectl_complete-netcheck` on PATH. */
export const KUBECTL_COMPLETE_SCRIPT = `#!/bin/sh
# kubectl (1.26+) runs this to complete \`kubectl netcheck ...\`; it asks netcheck itself.
exec kubectl-netcheck __complete "$@"
`;

export const BASH_SCRIPT = `# bash completion for kubectl-netcheck. Load it with:  source <(kubectl netcheck completion bash)
# (\`kubectl netcheck <TAB>\` itself completes through kubectl: see \`kubectl netcheck completion --help\`)
_kubectl_netcheck() {
  local cur out directive
  cur="\${COMP_WORDS[COMP_CWORD]}"
  out=$(kubectl-netcheck __complete "\${COMP_WORDS[@]:1:COMP_CWORD-1}" "$cur" 2>/dev/null) || return
  directive=\${out##*:}
  out=$(printf '%s\\n' "$out" | sed '$d' | cut -f1)
  COMPREPLY=()
  local IFS=$'\\n'
  [ -n "$out" ] && COMPREPLY=($(compgen -W "$out" -- "$cur"))
  if [ \${#COMPREPLY[@]} -eq 0 ] && [ $((directive & 4)) -eq 0 ]; then
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -o bashdefault -F _kubectl_netcheck kubectl-netcheck
`;

export const ZSH_SCRIPT = `#compdef kubectl-netcheck
# zsh completion for kubectl-netcheck. Load it with:  source <(kubectl netcheck completion zsh)
_kubectl_netcheck() {
  local out directive
  local -a lines cands
  out=$(kubectl-netcheck __complete "\${(@)words[2,CURRENT-1]}" "\${words[CURRENT]}" 2>/dev/null) || return 1
  lines=("\${(@f)out}")
  directive=\${lines[-1]#:}
  lines=("\${(@)lines[1,-2]}")
  local l
  for l in $lines; do
    l=\${l//:/\\\\:}
    cands+=("\${l/$'\\t'/:}")
  done
  if (( \${#cands} )); then
    _describe 'kubectl-netcheck' cands
  elif (( (directive & 4) == 0 )); then
    _files
  fi
}
if [ "$funcstack[1]" = "_kubectl_netcheck" ]; then
  _kubectl_netcheck "$@"
else
  compdef _kubectl_netcheck kubectl-netcheck
fi
`;

export const completionCommand: NetcheckCommand = {
  command: 'completion <shell>',
  describe: 'Print a shell completion script (bash, zsh, or kubectl for `kubectl netcheck <TAB>`)',
  builder: (y) =>
    y
      .positional('shell', {
        type: 'string',
        choices: SHELLS,
        describe:
          'bash or zsh: completes kubectl-netcheck; kubectl: the kubectl_complete-netcheck helper kubectl 1.26+ runs',
      })
      .example(
        'kubectl netcheck completion kubectl > ~/.krew/bin/kubectl_complete-netcheck && chmod +x ~/.krew/bin/kubectl_complete-netcheck',
        'kubectl 1.26+: complete `kubectl netcheck <TAB>`',
      )
      .example('source <(kubectl netcheck completion bash)', 'bash: complete the kubectl-netcheck command')
      .example('source <(kubectl netcheck completion zsh)', 'zsh: the same'),
  plan: (argv) => {
    const shell = oneOf('SHELL', argv['shell'], SHELLS)!;
    const script = shell === 'bash' ? BASH_SCRIPT : shell === 'zsh' ? ZSH_SCRIPT : KUBECTL_COMPLETE_SCRIPT;
    return async () => void process.stdout.write(script);
  },
};
