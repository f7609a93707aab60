import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Observable } from 'rxjs';
import { validationProblem } from '../http/problem';

/**
 * A command route takes no query parameter: one it ignored would change nothing visible yet still write (`?dryRun=true`
 * of API.md's impact preview, before it exists, would really apply the command).
 */
@Injectable()
export class NoQueryParametersInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const query = context.switchToHttp().getRequest<FastifyRequest>().query as Record<string, unknown> | undefined;
    const names = Object.keys(query ?? {});
    if (names.length > 0) {
      throw validationProblem(
        names.map((name) => ({
          field: name,
          rule: 'whitelistValidation',
          message:
            name === 'dryRun'
              ? 'dryRun (the impact preview) is not available yet; nothing was decided or appended'
              : `command routes take no query parameter; ${name} is not one`,
        })),
      );
    }
    return next.handle();
  }
}
