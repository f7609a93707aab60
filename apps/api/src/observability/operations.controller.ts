import { Controller, Get, Header, HttpStatus, Res } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiPropertyOptional,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/principal';
import { MetricsService } from './metrics.service';
import { ReadinessRegistry, type ReadinessReport } from './readiness';

class HealthDto {
  @ApiProperty({ enum: ['ok'] }) status!: 'ok';
}

class ReadinessCheckDto {
  @ApiProperty({ example: 'event-store' }) name!: string;
  @ApiProperty() ready!: boolean;
  @ApiPropertyOptional({ description: 'Why the check is not ready (never an internal error message)' }) detail?: string;
}

class ReadinessDto {
  @ApiProperty({ enum: ['ready', 'not_ready'] }) status!: string;
  @ApiProperty({ type: [ReadinessCheckDto] }) checks!: ReadinessCheckDto[];
}

@ApiTags('operations')
@Public()
@Controller()
export class OperationsController {
  constructor(
    private readonly readiness: ReadinessRegistry,
    private readonly metrics: MetricsService,
  ) {}

  @Get('healthz')
  @ApiOperation({ summary: 'The process is up' })
  @ApiOkResponse({ type: HealthDto })
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('readyz')
  @ApiOperation({ summary: 'The event store is reachable (and every other registered readiness check passes)' })
  @ApiOkResponse({ type: ReadinessDto })
  @ApiServiceUnavailableResponse({ type: ReadinessDto, description: 'Not ready; `checks` says which check failed' })
  async readyz(
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ status: string; checks: ReadinessReport['checks'] }> {
    const report = await this.readiness.report();
    if (!report.ready) void reply.status(HttpStatus.SERVICE_UNAVAILABLE).header('Retry-After', '1');
    return { status: report.ready ? 'ready' : 'not_ready', checks: report.checks };
  }

  @Get('metrics')
  @ApiOperation({ summary: 'Prometheus metrics' })
  @ApiOkResponse({
    description: 'Prometheus text exposition format 0.0.4',
    content: { 'text/plain': { schema: { type: 'string' } } },
  })
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  async prometheus(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
