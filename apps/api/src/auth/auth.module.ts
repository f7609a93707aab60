import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { type ApiConfig, loadOrCreateJwtSecret } from '@access-audit/config';
import { API_CONFIG } from '../config/api-config.module';
import { AuthGuard } from './auth.guard';
import { JwtVerifier } from './jwt-verifier';

@Global()
@Module({
  providers: [
    {
      provide: JwtVerifier,
      inject: [API_CONFIG],
      useFactory: (config: ApiConfig): JwtVerifier =>
        config.auth.kind === 'jwks'
          ? new JwtVerifier(config.auth)
          : new JwtVerifier(config.auth, config.auth.secret ?? loadOrCreateJwtSecret(config.dataDir)),
    },
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
  exports: [JwtVerifier],
})
export class AuthModule {}
