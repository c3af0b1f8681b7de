import { BadRequestException, ValidationPipe, type ValidationError } from '@nestjs/common';

/**
 * What a DTO constraint says when it fails: a stable reason code, and the allowed values or
 * other detail a caller needs to fix the request. Given as the constraint's `context`.
 */
export interface ConstraintContext {
  reason: string;
  allowed?: readonly string[];
  [detail: string]: unknown;
}

/** The first failing constraint reported: presence before type before range before the rest. */
const PRIORITY = ['isDefined', 'isString', 'isInt', 'min', 'max', 'isIn', 'matches'];

function firstProblem(
  error: ValidationError,
  path = '',
): { field: string; constraint: string; message: string; context?: ConstraintContext } | undefined {
  const field = `${path}/${error.property}`;
  const constraints = error.constraints ?? {};
  const names = Object.keys(constraints).sort((a, b) => rank(a) - rank(b));
  if (names.length > 0) {
    const constraint = names[0];
    return {
      field,
      constraint,
      message: constraints[constraint],
      context: error.contexts?.[constraint] as ConstraintContext | undefined,
    };
  }
  for (const child of error.children ?? []) {
    const found = firstProblem(child, field);
    if (found) return found;
  }
  return undefined;
}

function rank(constraint: string): number {
  const i = PRIORITY.indexOf(constraint);
  return i === -1 ? PRIORITY.length : i;
}

/**
 * The validation every HTTP input passes (query parameters, path parameters and bodies declared
 * as class-validator DTOs): one 400 answer naming the parameter (a JSON Pointer), a stable
 * reason, and the allowed values where there is a list. Unknown body properties are dropped.
 */
export function linkageValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    transform: true,
    whitelist: true,
    exceptionFactory: (errors) => {
      const problem = errors.map((e) => firstProblem(e)).find(Boolean);
      const { reason, allowed, ...detail } = problem?.context ?? {
        reason: problem ? `invalid_${problem.constraint}` : 'invalid_request',
      };
      return new BadRequestException({
        error: 'validation_failed',
        reason,
        field: problem?.field ?? '',
        ...(allowed ? { allowed } : {}),
        ...detail,
        message: problem ? problem.message : 'the request is not valid',
      });
    },
  });
}
