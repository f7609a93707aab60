import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/** The scope that makes a token a machine reader: queries and the change feed only, no command, no audit log. */
export { readerScope } from '@access-audit/application';

/**
 * The permission name a 403 reports when a machine reader (`access:read`) calls a command route.
 * It is not a policy permission: it names the thing reader tokens never get, issuing commands.
 */
export const commandIssuePermission = 'command.issue';

/** Who is calling, from a verified bearer JWT. */
export interface Principal {
  /** The token's `sub`: the actor of every event the request causes. */
  userId: string;
  /** The token's `scope` (space-separated) or `scp` claim. */
  scopes: readonly string[];
  /** The token carries `access:read`: a machine consumer that may read and never command. */
  isReader: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the global AuthGuard on every non-public route. */
    principal?: Principal;
  }
}

/** Route parameter decorator: the authenticated caller (`@Principal() principal: Principal`). */
export const Principal = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  const principal = context.switchToHttp().getRequest<FastifyRequest>().principal;
  // The guard runs before parameter resolution; a missing principal means the route was marked @Public().
  if (!principal) throw new Error('@Principal() used on a @Public() route');
  return principal;
});

export const PUBLIC_ROUTE = 'access-audit:public-route';

/** Marks a controller or handler as callable without a bearer token (health, metrics, the audit public key). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_ROUTE, true);
