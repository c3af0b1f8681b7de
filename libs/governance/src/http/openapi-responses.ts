import { applyDecorators } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiResponse } from '@nestjs/swagger';
import type {
  ReferenceObject,
  SchemaObject,
} from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';

/**
 * What a CSV cell holds when the publishing gate withheld it. In CSV rows `null` means exactly
 * that; a value that does not apply to a row is an empty string, so the two never look alike.
 */
export const SUPPRESSED_CSV_MARK = 'suppressed';

type Schema = SchemaObject | ReferenceObject;

/** A published number: null when the publishing gate withheld it (listed in `suppressed`). */
export const gated = (description?: string): SchemaObject => ({
  type: 'number',
  nullable: true,
  ...(description ? { description } : {}),
});
export const text = (description?: string): SchemaObject => ({
  type: 'string',
  ...(description ? { description } : {}),
});
export const list = (items: Schema, description?: string): SchemaObject => ({
  type: 'array',
  items,
  ...(description ? { description } : {}),
});
export const object = (properties: Record<string, Schema>, description?: string): SchemaObject => ({
  type: 'object',
  properties,
  ...(description ? { description } : {}),
});
/** A 95% interval: [low, high], both null when withheld. */
export const interval = (): SchemaObject =>
  list(gated(), 'the 95% interval [low, high]; both null when withheld');

/** What the gate withheld: the cell and the rule, never the value. */
export const SUPPRESSED_CELLS = list(
  object({
    cell: text('the withheld cell'),
    kind: text('the kind of statistic'),
    rule: text('the rule that withheld it'),
  }),
  'every withheld cell and the rule that withheld it (never its value)',
);

/** Where every answer came from: the store position, settings and the publishing policy. */
const PROVENANCE = object(
  {
    eventStorePosition: text(),
    publishingPolicy: {
      oneOf: [object({ version: text() }), text('the policy version')],
    },
  },
  'the event-store position, settings and publishing policy behind the numbers',
);

/** The envelope of every published answer, around its own fields. */
export function publishedBody(properties: Record<string, Schema>): SchemaObject {
  return object({
    ...properties,
    cellsSuppressed: { type: 'integer' },
    suppressed: SUPPRESSED_CELLS,
    provenance: PROVENANCE,
  });
}

const CSV_BODY: SchemaObject = {
  type: 'string',
  description: `With \`Accept: text/csv\`: a header line of snake_case columns, then one line per row; a withheld cell reads \`${SUPPRESSED_CSV_MARK}\`, a cell that does not apply to its row is empty. The suppressed list travels in the \`x-linkage-suppressed\` header.`,
};

const ERROR_BODY: SchemaObject = object({
  error: text('a stable error code, e.g. validation_failed'),
  reason: text('a stable reason, e.g. unknown_measure'),
  field: text('the parameter at fault, as a JSON Pointer'),
  allowed: list(text(), 'the allowed values, when there is a list'),
  message: text('the same in a sentence'),
});

/** Errors every governed route can answer: a bad parameter, no or a bad token, no permission. */
export function GovernedErrors(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiBadRequestResponse({
      description: 'a parameter is missing or invalid',
      schema: ERROR_BODY,
    }),
    ApiResponse({ status: 401, description: 'no token, or a token refused', schema: ERROR_BODY }),
    ApiResponse({
      status: 403,
      description: 'the role, purpose or DSA does not allow this',
      schema: ERROR_BODY,
    }),
  );
}

/** A published answer: JSON (the schema given), or CSV with `Accept: text/csv`. */
export function PublishedResponse(description: string, body: SchemaObject): MethodDecorator {
  return applyDecorators(
    ApiOkResponse({
      description,
      content: {
        'application/json': { schema: body },
        'text/csv': { schema: CSV_BODY },
      },
    }),
    GovernedErrors(),
  );
}

/** A JSON-only answer. */
export function JsonResponse(description: string, body: SchemaObject): MethodDecorator {
  return applyDecorators(ApiOkResponse({ description, schema: body }), GovernedErrors());
}
