import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import { signInCodePattern } from './sign-in-links';

/** The identity provider the console signs in with (AUTH_OIDC_*): public values, as configured. */
export class IdentityProviderDto {
  @ApiProperty({
    example: 'https://idp.example',
    description: 'AUTH_OIDC_ISSUER; its discovery document gives the endpoints',
  })
  issuer!: string;
  @ApiProperty({
    example: 'access-audit-console',
    description: 'AUTH_OIDC_CLIENT_ID: a public client (PKCE, no secret)',
  })
  clientId!: string;
  @ApiProperty({ example: 'openid', description: 'AUTH_OIDC_SCOPE' })
  scope!: string;
  @ApiPropertyOptional({ example: 'https://access-audit.example/', description: 'AUTH_OIDC_RESOURCE (RFC 8707)' })
  resource?: string;
}

/** What the console needs before anyone signs in; no secret. */
export class ConsoleConfigDto {
  @ApiPropertyOptional({
    type: IdentityProviderDto,
    description:
      'Present when AUTH_OIDC_ISSUER and AUTH_OIDC_CLIENT_ID are set: sign in with authorization code + PKCE',
  })
  identityProvider?: IdentityProviderDto;
  @ApiProperty({
    description: 'One-time sign-in links (`npm start -- --sign-in <userId>`) are redeemable: the embedded default only',
  })
  signInLinks!: boolean;
}

export class RedeemSignInLinkDto {
  @ApiProperty({
    description: 'The code of the link printed by `npm start -- --sign-in <userId>` (the `#code=` fragment)',
    pattern: signInCodePattern.source,
  })
  @IsString()
  @Matches(signInCodePattern, { message: 'code must be the 43-character code of a sign-in link' })
  code!: string;
}

export class SignedInDto {
  @ApiProperty({ description: 'A bearer JWT for the link’s user, as `npm run token` mints' })
  accessToken!: string;
  @ApiProperty({ enum: ['Bearer'] })
  tokenType!: 'Bearer';
  @ApiProperty({ example: 3600, description: 'Seconds until the token expires' })
  expiresIn!: number;
}
