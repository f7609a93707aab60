import { ConfigError, loadApiConfig } from '@access-audit/config';
import { openSubjectKeys } from '@access-audit/privacy';
import { UsageError, type CliCommand } from '../cli-command';

export const command: CliCommand = {
  summary:
    'Re-wraps every subject key still wrapped by PRIVACY_MASTER_KEY_PREVIOUS under PRIVACY_MASTER_KEY; safe while the API runs (it unwraps with either).',
  usage: 'PRIVACY_MASTER_KEY=<new> PRIVACY_MASTER_KEY_PREVIOUS=<old> npm run -s privacy:rotate',
  async run(args) {
    if (args.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(args[0])}`);
    let config;
    try {
      config = loadApiConfig();
    } catch (error) {
      if (error instanceof ConfigError) throw new UsageError(`configuration: ${error.message}`);
      throw error;
    }
    if (!process.env.PRIVACY_MASTER_KEY?.trim())
      throw new UsageError('PRIVACY_MASTER_KEY (the new master key) is not set');
    const keys = await openSubjectKeys({
      eventStore: config.eventStore,
      dataDir: config.dataDir,
      masterKey: process.env.PRIVACY_MASTER_KEY,
      previousMasterKey: process.env.PRIVACY_MASTER_KEY_PREVIOUS,
    });
    try {
      const rewrapped = await keys.rotate();
      process.stdout.write(`re-wrapped ${rewrapped} subject key(s) under the current master key\n`);
      return 0;
    } finally {
      await keys.close();
    }
  },
};
