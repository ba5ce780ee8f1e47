import { FERRY_ENV, readEnv } from '../../core/env.js';
import { probeHost } from '../../host/probe.js';
import { profileName, type TargetProfile } from '../../host/profile.js';
import { writeFileAtomic } from '../../store/index.js';
import { type Command, list, str } from '../command.js';

export const probeCommand: Command = {
  name: 'probe',
  options: {
    output: { type: 'string', short: 'o' },
    python: { type: 'string', multiple: true },
    root: { type: 'string' },
    'no-commands': { type: 'boolean' },
  },
  help: `Usage: ferry probe [-o FILE] [--python PY ...] [--json]

Run on the target host (python3 install.py --probe does the same with Python alone). The
profile says which Python interpreters the host has and the wheel tags pip accepts for each,
the libc, CPU flags (AVX), the NVIDIA driver and GPUs, and the CUDA libraries found. Carry it
to the jump host and build for it: ferry bundle --target FILE ...

Options:
  -o, --output FILE    write the profile to FILE (default: print it on stdout)
      --python PY      the interpreter to describe first (repeatable: more to describe;
                       default: $FERRY_PYTHON or python3, plus the others found on PATH)
      --root DIR       read /proc, /etc, /lib and /usr under DIR (a fake host; $FERRY_PROBE_ROOT)
      --no-commands    do not run nvidia-smi or ldconfig ($FERRY_PROBE_NO_COMMANDS=1)
      --json           print the profile on stdout as one line of JSON (also with -o)`,
  async run(args, out) {
    const [python, ...extra] = list(args.values.python);
    const root = str(args.values.root) ?? readEnv(FERRY_ENV.probeRoot);
    const noCommands =
      args.values['no-commands'] === true || readEnv(FERRY_ENV.probeNoCommands) === '1';
    const profile = await probeHost({
      ...(python === undefined ? {} : { python }),
      ...(extra.length > 0 ? { extraPythons: extra } : {}),
      ...(root === undefined ? {} : { root }),
      runCommands: !noCommands,
    });
    const text = `${JSON.stringify(profile, null, 2)}\n`;
    const output = str(args.values.output);
    if (output !== undefined) {
      await writeFileAtomic(output, text);
    }
    if (out.json || output === undefined) {
      // --json: one line, like every other --json output (a JSON-lines reader takes it whole).
      process.stdout.write(out.json ? `${JSON.stringify(profile)}\n` : text);
      return 0;
    }
    out.result(
      {},
      `profile of ${profileName(profile)} written to ${output}\n${summarizeProfile(profile)}`,
    );
    return 0;
  },
};

/** A few lines a person can check at a glance. */
export function summarizeProfile(p: TargetProfile): string {
  const lines = [
    `  os:      ${p.os?.prettyName ?? p.os?.id ?? 'unknown'} (${p.arch}, ${p.libc === null ? 'libc unknown' : `${p.libc.kind} ${p.libc.version ?? '?'}`})`,
    `  cpu:     ${p.cpu.model ?? 'unknown'}${p.cpu.flags === null ? '' : `, AVX ${p.cpu.flags.avx ? 'yes' : 'no'}`}`,
    `  nvidia:  ${p.nvidia.driverVersion === null ? 'no driver' : `driver ${p.nvidia.driverVersion}, ${p.nvidia.gpuCount ?? '?'} GPU(s)`}`,
    ...p.interpreters.map(
      (i) =>
        `  python:  ${i.version} ${i.executable}${i.running ? ' (running)' : ''}, ${i.tags.length} tags`,
    ),
  ];
  for (const w of p.warnings) lines.push(`  warning: ${w}`);
  return lines.join('\n');
}
