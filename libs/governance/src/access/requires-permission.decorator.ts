import { SetMetadata, applyDecorators } from '@nestjs/common';
import type { DeclaredParameters } from '../audit/audit-parameters';
import type { Permission } from './roles';

export const PERMISSION_KEY = 'linkage:permission';
export const AUDIT_ACTION_KEY = 'linkage:audit-action';
export const PUBLIC_KEY = 'linkage:public';
export const AUDIT_PARAMETERS_KEY = 'linkage:audit-parameters';

/**
 * The permission a route (or every route of a controller) needs. Routes without it are refused:
 * access is deny-by-default. `action` names the call in the audit trail (default `METHOD /path`);
 * `parameters` are the query and route parameters its audit entries may record, with the shape
 * of their values (default `DEFAULT_AUDIT_PARAMETERS`); no other parameter is ever recorded.
 */
export function RequiresPermission(
  permission: Permission,
  options: { action?: string; parameters?: DeclaredParameters } = {},
) {
  return applyDecorators(
    SetMetadata(PERMISSION_KEY, permission),
    ...(options.action ? [SetMetadata(AUDIT_ACTION_KEY, options.action)] : []),
    ...(options.parameters ? [SetMetadata(AUDIT_PARAMETERS_KEY, options.parameters)] : []),
  );
}

/** A route anyone may call, neither checked nor audited: health and metrics only, never data. */
export function Public() {
  return SetMetadata(PUBLIC_KEY, true);
}
