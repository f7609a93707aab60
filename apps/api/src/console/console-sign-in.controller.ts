import { Body, Controller, Get, Header, HttpCode, HttpStatus, Inject, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { SignJWT } from 'jose';
import type { ApiConfig } from '@access-audit/config';
import { Public } from '../auth/principal';
import { API_CONFIG } from '../config/api-config.module';
import { problem, ProblemException, problemTypes } from '../http/problem';
import { problemContent } from '../http/problem.dto';
import { ConsoleConfigDto, RedeemSignInLinkDto, SignedInDto } from './console-sign-in.dto';
import { SignInLinks } from './sign-in-links';

/** The local secret that signs the tokens a sign-in link gives; null when an identity provider issues them. */
export const SIGN_IN_SECRET = Symbol('SIGN_IN_SECRET');

const signedInTtlSeconds = 3600;

const refusedLink = {
  unknown:
    'this sign-in link is not known: links live in the server’s memory only (a restart forgets them); print a new one with npm start -- --sign-in <userId>',
  used: 'this sign-in link was already used: each link signs in once; print a new one with npm start -- --sign-in <userId>',
  expired:
    'this sign-in link has expired (links last 10 minutes); print a new one with npm start -- --sign-in <userId>',
} as const;

/** What the reviewer console needs to sign someone in: its public configuration and the one-time links. */
@ApiTags('console')
@Public()
@Controller('v1/console')
export class ConsoleSignInController {
  readonly #config: ConsoleConfigDto;
  readonly #claims: { issuer: string | undefined; audience: string | undefined };

  constructor(
    @Inject(API_CONFIG) config: ApiConfig,
    private readonly links: SignInLinks,
    @Inject(SIGN_IN_SECRET) private readonly secret: Uint8Array | null,
  ) {
    const oidc = config.auth.oidc;
    this.#config = {
      ...(oidc
        ? {
            identityProvider: {
              issuer: oidc.issuer,
              clientId: oidc.clientId,
              scope: oidc.scope,
              ...(oidc.resource !== undefined ? { resource: oidc.resource } : {}),
            },
          }
        : {}),
      signInLinks: secret !== null,
    };
    this.#claims = { issuer: config.auth.issuer, audience: config.auth.audience };
  }

  @Get('config')
  @Header('Cache-Control', 'no-cache')
  @ApiOperation({ summary: 'The console’s public configuration: how one signs in here; no token needed' })
  @ApiOkResponse({ type: ConsoleConfigDto })
  configuration(): ConsoleConfigDto {
    return this.#config;
  }

  @Post('sign-in-link')
  @HttpCode(HttpStatus.OK)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Redeem a one-time sign-in link printed by `npm start -- --sign-in <userId>`: once, within 10 minutes',
    description: 'The embedded default only (the local HS256 secret); with an identity provider configured: 404.',
  })
  @ApiOkResponse({ type: SignedInDto })
  @ApiBadRequestResponse({ description: 'The code is not one of a sign-in link (`errors[]`)', content: problemContent })
  @ApiUnauthorizedResponse({ description: 'The link is unknown, already used or expired', content: problemContent })
  @ApiNotFoundResponse({
    description: 'Sign-in links are off: an identity provider is configured',
    content: problemContent,
  })
  async redeem(@Body() { code }: RedeemSignInLinkDto): Promise<SignedInDto> {
    if (this.secret === null)
      throw new ProblemException(
        problem(404, problemTypes.notFound, 'sign-in links are off here: sign in through the identity provider'),
      );
    const redemption = this.links.redeem(code);
    if (!redemption.ok)
      throw new ProblemException(problem(401, problemTypes.unauthenticated, refusedLink[redemption.why]));
    const jwt = new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(redemption.userId)
      .setIssuedAt()
      .setExpirationTime(`${signedInTtlSeconds}s`);
    if (this.#claims.issuer !== undefined) jwt.setIssuer(this.#claims.issuer);
    if (this.#claims.audience !== undefined) jwt.setAudience(this.#claims.audience);
    return { accessToken: await jwt.sign(this.secret), tokenType: 'Bearer', expiresIn: signedInTtlSeconds };
  }
}
