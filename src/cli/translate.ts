// `portunus translate`: offline translation of Gateway API resources to status and IR.
// No network, no data plane: provider (files/stdin) → snapshot → translator → printed.

import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { loadSnapshot } from '../provider/file/load.ts';
import { formatDiagnostic } from '../provider/snapshot.ts';
import { DEFAULT_CONTROLLER_NAME } from '../translate/context.ts';
import { translate } from '../translate/index.ts';
import { renderStatusDocuments } from '../translate/status.ts';
import type { Command } from './main.ts';

const HELP = `Usage: portunus translate -f PATH... [--to status|ir|all] [-o yaml|json]

Translates Gateway API resources offline and prints the result.

Options:
  -f, --file PATH         file or directory (recursive) of YAML/JSON manifests; '-' reads stdin; repeatable
      --to status|ir|all  status (default): every input Gateway API resource with its computed .status;
                          ir: the intermediate representation served by the data plane; all: both
  -o, --output yaml|json  output format (default yaml)
      --controller-name N GatewayClass controllerName to manage (default ${DEFAULT_CONTROLLER_NAME})
      --now TIMESTAMP     lastTransitionTime for changed conditions (default: the current time)
  -h, --help              this help

Exit status: 0 when translation ran (invalid resources are reported in status and on stderr),
1 when input could not be read or parsed, 2 on bad usage.`;

/** Current time, RFC 3339 with second precision, as Kubernetes writes it. */
function nowRFC3339(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export const translateCommand: Command = {
  summary: 'translate Gateway API resources to status and IR, offline',
  async run(args: string[]): Promise<number> {
    let values: ReturnType<typeof parse>['values'];
    try {
      values = parse(args).values;
    } catch (err) {
      process.stderr.write(`portunus translate: ${(err as Error).message}\n${HELP}\n`);
      return 2;
    }
    if (values.help) {
      process.stdout.write(`${HELP}\n`);
      return 0;
    }
    const files = values.file ?? [];
    const to = values.to ?? 'status';
    const output = values.output ?? 'yaml';
    if (files.length === 0 || !['status', 'ir', 'all'].includes(to) || !['yaml', 'json'].includes(output)) {
      process.stderr.write(
        `portunus translate: ${files.length === 0 ? 'at least one -f PATH is required' : 'invalid --to or --output'}\n${HELP}\n`,
      );
      return 2;
    }

    // `-` reads standard input (the loader does it, in argument order).
    const loaded = await loadSnapshot(files);
    for (const d of loaded.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
    if (loaded.fatal) {
      process.stderr.write('portunus translate: input could not be read or parsed\n');
      return 1;
    }

    const result = translate(loaded.snapshot, {
      controllerName: values['controller-name'] ?? DEFAULT_CONTROLLER_NAME,
      now: values.now ?? nowRFC3339(),
    });
    for (const d of result.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);

    const resources = to === 'ir' ? [] : renderStatusDocuments(loaded.snapshot, result);
    const docs: unknown[] = to === 'status' ? resources : to === 'ir' ? [result.ir] : [...resources, result.ir];
    if (output === 'json') {
      const body = to === 'status' ? resources : to === 'ir' ? result.ir : { resources, ir: result.ir };
      process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
    } else {
      process.stdout.write(docs.map((d) => stringify(d, { lineWidth: 0, aliasDuplicateObjects: false })).join('---\n'));
    }
    return 0;
  },
};

function parse(args: string[]) {
  return parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      file: { type: 'string', short: 'f', multiple: true },
      to: { type: 'string' },
      output: { type: 'string', short: 'o' },
      'controller-name': { type: 'string' },
      now: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
