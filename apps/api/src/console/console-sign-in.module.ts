import { Module } from '@nestjs/common';
import { type ApiConfig, loadOrCreateJwtSecret } from '@access-audit/config';
import { API_CONFIG } from '../config/api-config.module';
import { ConsoleSignInController, SIGN_IN_SECRET } from './console-sign-in.controller';
import { SignInLinks } from './sign-in-links';

@Module({
  controllers: [ConsoleSignInController],
  providers: [
    { provide: SignInLinks, useValue: new SignInLinks() },
    {
      provide: SIGN_IN_SECRET,
      inject: [API_CONFIG],
      // The same secret the AuthModule verifies with; none when an identity provider issues the tokens.
      useFactory: (config: ApiConfig): Uint8Array | null =>
        config.auth.kind === 'hs256'
          ? new TextEncoder().encode(config.auth.secret ?? loadOrCreateJwtSecret(config.dataDir))
          : null,
    },
  ],
  exports: [SignInLinks],
})
export class ConsoleSignInModule {}
