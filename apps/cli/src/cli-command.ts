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
