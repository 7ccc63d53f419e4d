// `portunus` command dispatcher. Each command lives in its own module and is loaded on demand,
// so `portunus translate` never loads the data plane and vice versa.

export interface Command {
  summary: string;
  run(args: string[]): Promise<number>;
}

type Loader = () => Promise<Command>;

/** The explicit command index (no registration by import side effects). */
const commands: Record<string, Loader> = {
  translate: async () => (await import('./translate.ts')).translateCommand,
  echo: async () => (await import('./echo.ts')).echoCommand,
  serve: async () => (await import('./serve.ts')).serveCommand,
  status: async () => (await import('./status.ts')).statusCommand,
};

function usage(): string {
  const names = Object.keys(commands).sort();
  return [
    'Usage: portunus <command> [options]',
    '',
    'Commands:',
    ...names.map((n) => `  ${n}`),
    '',
    "Run 'portunus <command> --help' for a command's options.",
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${usage()}\n`);
    return name ? 0 : 2;
  }
  if (name === '--version' || name === 'version') {
    const { readFileSync } = await import('node:fs');
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    process.stdout.write(`portunus ${pkg.version}\n`);
    return 0;
  }
  const load = commands[name];
  if (!load) {
    process.stderr.write(`portunus: unknown command '${name}'\n${usage()}\n`);
    return 2;
  }
  const command = await load();
  return command.run(rest);
}
