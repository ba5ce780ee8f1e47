import { useNetSettings } from '../../net/settings.js';
import { fetchAdvisories, OSV_PYPI_ZIP_URL } from '../../ops/advisories.js';
import { type Command, str, usageError } from '../command.js';
import { EXIT } from '../exit-codes.js';
import { settleNetwork, settlePipConfiguration } from '../settings.js';

export const advisoriesCommand: Command = {
  name: 'advisories',
  options: {
    output: { type: 'string', short: 'o' },
    url: { type: 'string' },
  },
  help: `Usage: ferry advisories fetch -o FILE [--url URL]

On the online side: downloads the OSV advisory snapshot for PyPI (one zip, one JSON file per
advisory) to FILE, checks that it reads as a snapshot, and only then writes FILE. Carry it
across with the bundle; \`ferry audit BUNDLE --advisories FILE\` reads it offline.
The network is reached as pip would reach it (proxy variables, pip's cert and proxy settings).

Options:
  -o, --output FILE   where to write the zip (required)
      --url URL       where to download it from (default ${OSV_PYPI_ZIP_URL}),
                      e.g. an internal mirror of the snapshot`,
  async run(args, out) {
    const [action, ...rest] = args.positionals;
    if (action !== 'fetch' || rest.length > 0)
      throw usageError('advisories', 'the only action is "fetch": ferry advisories fetch -o FILE.');
    const output = str(args.values.output);
    if (output === undefined)
      throw usageError('advisories', 'missing -o FILE (where to write the snapshot).');
    const pip = await settlePipConfiguration(args);
    const settings = settleNetwork(args, pip);
    useNetSettings(settings);
    const url = str(args.values.url);
    const result = await fetchAdvisories({
      output,
      ...(url === undefined ? {} : { url }),
      settings,
      events: out.events,
    });
    out.result(
      result,
      `wrote ${result.path}: ${result.advisories} PyPI advisories, ${(result.bytes / 1_048_576).toFixed(1)} MB, sha256 ${result.sha256}${result.newest === undefined ? '' : `, newest modified ${result.newest}`}`,
    );
    return EXIT.ok;
  },
};
