import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';
import { nameMaxLength } from '../../http/ids';
import { CommandAcceptedDto } from './command-accepted.dto';
import { ReasonDto } from './common.dto';

export class ConnectDirectoryDto extends ReasonDto {
  @ApiProperty({ example: 'Okta', minLength: 1, maxLength: nameMaxLength, description: 'What the directory is called' })
  @IsString()
  @MinLength(1)
  @MaxLength(nameMaxLength)
  name!: string;
}

/** API.md "Directory sync": the connection, and its bearer token shown this once (stored only as a hash). */
export class DirectoryConnectedDto extends CommandAcceptedDto {
  @ApiProperty({ example: 'dir_8f3a…', description: 'Stays the same when the token is rotated' })
  directoryId!: string;

  @ApiProperty({ example: '/scim/v2/dir_8f3a…' })
  scimBaseUrl!: string;

  @ApiProperty({ description: "The directory's SCIM bearer token; shown once, stored only as its SHA-256 hash" })
  token!: string;
}
