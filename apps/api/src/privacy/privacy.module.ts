import { Global, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { openSubjectKeys, type OpenSubjectKeysOptions, type SubjectKeys } from '@access-audit/privacy';
import type { ApiConfig } from '@access-audit/config';
import { API_CONFIG } from '../config/api-config.module';

/**
 * Injection token of the process's subject keys: the one `PersonalData` reader every answer opens personal fields
 * with, the sealer of the application layer, and the erasure of a subject's keys.
 */
export const PERSONAL_DATA = Symbol('PERSONAL_DATA');

@Injectable()
class SubjectKeysCloser implements OnApplicationShutdown {
  constructor(@Inject(PERSONAL_DATA) private readonly keys: SubjectKeys) {}

  async onApplicationShutdown(): Promise<void> {
    await this.keys.close();
  }
}

/** Where the API's subject keys are and which master keys open them (PRIVACY_MASTER_KEY and _PREVIOUS). */
export const subjectKeysOptionsOf = (config: ApiConfig): OpenSubjectKeysOptions => ({
  eventStore: config.eventStore,
  dataDir: config.dataDir,
  masterKey: process.env.PRIVACY_MASTER_KEY,
  previousMasterKey: process.env.PRIVACY_MASTER_KEY_PREVIOUS,
});

@Global()
@Module({
  providers: [
    {
      provide: PERSONAL_DATA,
      inject: [API_CONFIG],
      useFactory: (config: ApiConfig): Promise<SubjectKeys> => openSubjectKeys(subjectKeysOptionsOf(config)),
    },
    SubjectKeysCloser,
  ],
  exports: [PERSONAL_DATA],
})
export class PrivacyModule {}
