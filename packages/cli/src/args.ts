/**
 * Command-line parsing shared by every command: node:util's parseArgs, strict, with positionals and
 * `--no-<flag>`; `--help`/`-h` always; a mistake is a UsageError (exit code 2) saying what is wrong.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './inputs.js';

type OptionSpec = NonNullable<ParseArgsConfig['options']>;
const HELP = { help: { type: 'boolean', short: 'h' } } as const;
type Config<T extends OptionSpec> = {
  args: string[];
  options: typeof HELP & T;
  allowPositionals: true;
  allowNegative: true;
  strict: true;
};

/** Options most commands take: keys for keyed chains, and where the reader log goes. */
export const KEY_AND_READER_OPTIONS = {
  key: { type: 'string', multiple: true },
  'key-file': { type: 'string', multiple: true },
  'reader-log': { type: 'string' },
} as const;

export function parseCommand<T extends OptionSpec>(args: string[], options: T): ReturnType<typeof parseArgs<Config<T>>> {
  try {
    return parseArgs<Config<T>>({ args, options: { ...HELP, ...options }, allowPositionals: true, allowNegative: true, strict: true });
  } catch (err) {
    throw new UsageError(`${(err as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, '')}`);
  }
}
