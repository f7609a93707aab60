import { parseArgs, type ParseArgsConfig } from 'node:util';

/** One subcommand of the CLI: `node dist/apps/cli/src/main.js <name> [args]`. */
export interface CliCommand {
  /** One line for `--help`. */
  summary: string;
  usage: string;
  /** Runs with the arguments after the command name; resolves to the process exit code. */
  run(args: string[]): Promise<number>;
}

/** A usage error: printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** Node's `util.parseArgs` in strict mode, its refusals turned into usage errors. */
export function parseCliArgs<Options extends OptionsConfig>(
  args: string[],
  options: Options,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals });
  } catch (error) {
    if (error instanceof Error && (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS_')) {
      throw new UsageError(error.message);
    }
    throw error;
  }
}
