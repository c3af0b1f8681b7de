import { DynamicModule, Module } from '@nestjs/common';
import type { Database } from '@linkage/database';
import {
  AuditController,
  ReleaseController,
  releaseReviewProviders,
} from '../../governance-api/src';
import { WEB_ASSETS, WebAssetsController } from './assets/web-assets.controller';
import { defaultWebAssetsDir, listWebAssets } from './assets/web-assets';
import { SessionController } from './session/session.controller';

export interface WebModuleOptions {
  /** The built page (default `dist/apps/web/public`, made by `npm run build`). */
  assetsDir?: string;
  /**
   * The database, to mount the release review's routes (`/v1/releases`) on this origin too:
   * the governance view lists the requests awaiting review. Without it, the view says so.
   */
  db?: Database;
}

/**
 * The web page, mounted in the analytics app so that the page, the analytics API and the audit
 * routes share one origin, one token and one audit trail: `/` and `/web/*` (static, built by
 * `npm run build`), `/v1/session` (sign-in through the access gate) and the governance API's
 * own `AuditController` (`/v1/audit/*`, officers only) and `ReleaseController` (`/v1/releases`). Needs GovernanceModule (global).
 */
@Module({})
export class WebModule {
  static forRoot(options: WebModuleOptions = {}): DynamicModule {
    return {
      module: WebModule,
      controllers: [
        WebAssetsController,
        SessionController,
        AuditController,
        ...(options.db ? [ReleaseController] : []),
      ],
      providers: [
        ...(options.db ? releaseReviewProviders(options.db.sql) : []),
        {
          provide: WEB_ASSETS,
          useFactory: () => listWebAssets(options.assetsDir ?? defaultWebAssetsDir()),
        },
      ],
    };
  }
}
