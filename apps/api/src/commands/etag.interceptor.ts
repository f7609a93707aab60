import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { tap, type Observable } from 'rxjs';
import { etagOf } from './command-context';

/** Answers that report a `streamRevision` carry it as `ETag`, ready for the next request's `If-Match`. */
@Injectable()
export class ETagInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    return next.handle().pipe(
      tap((body) => {
        const revision = (body as { streamRevision?: unknown } | null)?.streamRevision;
        if (typeof revision === 'number') void reply.header('ETag', etagOf(revision));
      }),
    );
  }
}
