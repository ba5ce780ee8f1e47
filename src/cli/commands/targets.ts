import { loadTargetPresets } from '../../host/target-spec.js';
import type { Command } from '../command.js';

export const targetsCommand: Command = {
  name: 'targets',
  options: {},
  help: `Usage: ferry targets [--json]

Lists the presets accepted by --target NAME. Each row gives the libc and the default Python
the distribution ships, and the source of that fact. A real host may differ: capture it with
\`ferry probe -o host.json\` there and pass --target host.json instead.`,
  async run(_args, out) {
    const presets = loadTargetPresets();
    const width = Math.max(...presets.map((p) => p.name.length));
    out.result(
      { targets: presets },
      presets
        .map(
          (p) =>
            `${p.name.padEnd(width)}  ${p.arch.padEnd(7)}  ${(p.libc ?? '').padEnd(10)}  python ${p.python.padEnd(7)}  ${p.title}\n${' '.repeat(width + 2)}source: ${p.source}`,
        )
        .join('\n'),
    );
    return 0;
  },
};
