import { applyDecorators } from '@nestjs/common';
import { ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { object, text } from './openapi-responses';

/**
 * Documents a public operations route (health, metrics): no token needed, so the document
 * overrides the bearer requirement every other route carries.
 */
export function PublicRouteDocs(description: string, kind: 'health' | 'metrics') {
  return applyDecorators(
    ApiOperation({ summary: description, security: [] }),
    kind === 'health'
      ? ApiOkResponse({
          description,
          schema: object({
            status: text('ok, or unhealthy (503) with a reason'),
            reason: text('why it is unhealthy'),
            projection: object({}, 'read-model position and lag, where the API has them'),
          }),
        })
      : ApiOkResponse({
          description,
          content: { 'text/plain': { schema: text('Prometheus text exposition format') } },
        }),
  );
}
