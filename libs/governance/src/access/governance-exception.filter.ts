import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import { LinkageError } from '@linkage/common';
import { httpOutcomeOf } from './request-context';

interface JsonResponse {
  status(code: number): JsonResponse;
  json(body: unknown): unknown;
}

/**
 * Answers the linkage error family as `{ error: code, reason }` with the status the audit entry
 * recorded (400, 401, 403, 404, 409, 500). Messages are not sent: the reason code says why.
 */
@Catch(LinkageError)
export class GovernanceExceptionFilter implements ExceptionFilter {
  catch(exception: LinkageError, host: ArgumentsHost): void {
    const { status, error, reason } = httpOutcomeOf(exception);
    const body: Record<string, unknown> = { error, reason };
    if (exception.detail.field) body.field = exception.detail.field;
    host.switchToHttp().getResponse<JsonResponse>().status(status).json(body);
  }
}
