import { UsageError, type CliCommand } from './cli-command';

/** Subcommands, one line each, loaded only when called. */
const commands: Record<string, () => Promise<{ command: CliCommand }>> = {
  token: () => import('./commands/token'),
  'audit:verify': () => import('./commands/audit-verify'),
  'audit:export': () => import('./commands/audit-export'),
  'drain:verify': () => import('./commands/drain-verify'),
  replay: () => import('./commands/replay'),
  'privacy:rotate': () => import('./commands/privacy-rotate'),
};

function help(): string {
  return [
    'usage: <command> [args]',
    '',
    'commands:',
    ...Object.keys(commands)
      .sort()
      .map((name) => `  ${name}`),
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    process.stdout.write(`${help()}\n`);
    return name === undefined ? 2 : 0;
  }
  const load = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!load) {
    process.stderr.write(`unknown command ${JSON.stringify(name)}\n${help()}\n`);
    return 2;
  }
  const { command } = await load();
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${command.summary}\nusage: ${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(args);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\nusage: ${command.usage}\n`);
      return 2;
    }
    throw error;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
