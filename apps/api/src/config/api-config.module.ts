import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { ApiConfig } from '@access-audit/config';

/** Injection token of the `ApiConfig` (`@Inject(API_CONFIG) config: ApiConfig`). */
export const API_CONFIG = Symbol('API_CONFIG');

@Global()
@Module({})
export class ApiConfigModule {
  static forRoot(config: ApiConfig): DynamicModule {
    return { module: ApiConfigModule, providers: [{ provide: API_CONFIG, useValue: config }], exports: [API_CONFIG] };
  }
}
