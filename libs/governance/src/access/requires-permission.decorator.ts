import { SetMetadata, applyDecorators } from '@nestjs/common';
import type { Permission } from './roles';

export const PERMISSION_KEY = 'linkage:permission';
export const AUDIT_ACTION_KEY = 'linkage:audit-action';
export const PUBLIC_KEY = 'linkage:public';

/**
 * The permission a route (or every route of a controller) needs. Routes without it are refused:
 * access is deny-by-default. `action` names the call in the audit trail (default `METHOD /path`).
 */
export function RequiresPermission(permission: Permission, options: { action?: string } = {}) {
  return applyDecorators(
    SetMetadata(PERMISSION_KEY, permission),
    ...(options.action ? [SetMetadata(AUDIT_ACTION_KEY, options.action)] : []),
  );
}

/** A route anyone may call, neither checked nor audited: health and metrics only, never data. */
export function Public() {
  return SetMetadata(PUBLIC_KEY, true);
}
