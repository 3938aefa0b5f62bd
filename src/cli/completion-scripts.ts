/**
 * The scripts `mission-control completion bash|zsh|fish` prints. Subcommands and their flags are written into the
 * script from the command table, so they complete without starting node; kinds, workers and job refs come from the
 * config and the fleet, so for those the script calls back `mission-control __complete WORDS…`.
 */
import { COMMANDS, COMMON_FLAGS, type CommandEntry } from './commands.js';

/** The flags of a subcommand as completion offers them, the common ones last. */
function flagsOf(entry: CommandEntry): string {
  return [...entry.flags, ...COMMON_FLAGS].map((flag) => flag.name).join(' ');
}

const SUBCOMMANDS = () => COMMANDS.map((entry) => entry.name).join(' ');
/** Flags that may come before the subcommand. */
const TOP_FLAGS = '--config --help --version --readonly';

/** One `case` arm per subcommand (`pattern) body`), in the syntax of bash and zsh. */
function shCases(body: (flags: string) => string): string {
  return COMMANDS.map((entry) => `    ${entry.name}) ${body(flagsOf(entry))} ;;`).join('\n');
}

/** The bash script: a completion function registered with `complete -F`. */
export function bashScript(): string {
  return `# mission-control completion for bash: source <(mission-control completion bash)
_mission_control() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]} cmd= i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case \${COMP_WORDS[i]} in
      --config) ((i++)) ;;
      -*) ;;
      *) cmd=\${COMP_WORDS[i]}; break ;;
    esac
  done
  COMPREPLY=()
  if [[ $prev == --config ]]; then
    COMPREPLY=($(compgen -f -- "$cur"))
  elif [[ $cur == -* && -z $cmd ]]; then
    COMPREPLY=($(compgen -W "${TOP_FLAGS}" -- "$cur"))
  elif [[ $cur == -* ]]; then
    case $cmd in
${shCases((flags) => `COMPREPLY=($(compgen -W "${flags}" -- "$cur"))`)}
    esac
  elif [[ -z $cmd ]]; then
    COMPREPLY=($(compgen -W "${SUBCOMMANDS()}" -- "$cur"))
  else
    # Quoted as the shell reads them back: a job ref like local/$3 must not expand.
    local IFS=$'\\n' word
    for word in $(command mission-control __complete "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null); do
      COMPREPLY+=("$(printf '%q' "$word")")
    done
  fi
}
complete -F _mission_control mission-control
`;
}

/** The zsh script: a completion function, registered with `compdef` when compinit has run. */
export function zshScript(): string {
  return `#compdef mission-control
# mission-control completion for zsh: source <(mission-control completion zsh), after compinit
_mission_control() {
  local cur=\${words[CURRENT]} prev=\${words[CURRENT-1]} cmd= i
  local -a candidates
  for ((i = 2; i < CURRENT; i++)); do
    case \${words[i]} in
      --config) ((i++)) ;;
      -*) ;;
      *) cmd=\${words[i]}; break ;;
    esac
  done
  if [[ $prev == --config ]]; then
    _files
    return
  elif [[ $cur == -* && -z $cmd ]]; then
    candidates=(${TOP_FLAGS})
  elif [[ $cur == -* ]]; then
    case $cmd in
${shCases((flags) => `candidates=(${flags})`)}
    esac
  elif [[ -z $cmd ]]; then
    candidates=(${SUBCOMMANDS()})
  else
    candidates=(\${(f)"$(command mission-control __complete "\${(@)words[2,CURRENT]}" 2>/dev/null)"})
  fi
  compadd -- "\${candidates[@]}"
}
if (( $+functions[compdef] )); then
  compdef _mission_control mission-control
fi
`;
}

/** The fish script: one function that prints the candidates, used by `complete -a`. */
export function fishScript(): string {
  const cases = COMMANDS.map((entry) => `            case ${entry.name}\n                printf '%s\\n' ${flagsOf(entry)}`).join('\n');
  return `# mission-control completion for fish: mission-control completion fish | source
function __mission_control_complete
    set -l tokens (commandline -opc)
    set -l cur (commandline -ct)
    set -l cmd
    set -l skip 0
    for token in $tokens[2..-1]
        if test $skip = 1
            set skip 0
            continue
        end
        switch $token
            case --config
                set skip 1
            case '-*'
            case '*'
                set cmd $token
                break
        end
    end
    if test "$tokens[-1]" = --config
        __fish_complete_path $cur
    else if string match -q -- '-*' $cur; and test -z "$cmd"
        printf '%s\\n' ${TOP_FLAGS}
    else if string match -q -- '-*' $cur
        switch $cmd
${cases}
        end
    else if test -z "$cmd"
        printf '%s\\n' ${SUBCOMMANDS()}
    else
        command mission-control __complete $tokens[2..-1] $cur 2>/dev/null
    end
end
complete -c mission-control -f -a '(__mission_control_complete)'
`;
}

/** The completion script for `shell`, or undefined for a shell without one. */
export function completionScript(shell: string): string | undefined {
  if (shell === 'bash') return bashScript();
  if (shell === 'zsh') return zshScript();
  if (shell === 'fish') return fishScript();
  return undefined;
}
