import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

/** The name of the bearer scheme every governed route requires. */
export const BEARER_SCHEME = 'bearer';

/**
 * Serves an API's OpenAPI document at `/docs` (JSON at `/docs-json`) with the bearer token
 * scheme required by every route, so "Try it out" sends the token. Public routes (health,
 * metrics) still answer without one: the requirement documents the governed routes.
 */
export function serveOpenApi(
  app: INestApplication,
  info: { title: string; description: string },
): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle(info.title)
      .setDescription(info.description)
      .setVersion('1')
      .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, BEARER_SCHEME)
      .addSecurityRequirements(BEARER_SCHEME)
      .build(),
  );
  SwaggerModule.setup('docs', app, document);
}
