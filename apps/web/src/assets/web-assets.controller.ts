import { Controller, Get, Inject, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '@linkage/governance';
import { CONTENT_SECURITY_POLICY, type WebAsset } from './web-assets';

export const WEB_ASSETS = Symbol('WEB_ASSETS');

/**
 * The page's static files (HTML, script, styles, ECharts, the public LSOA boundaries). Public:
 * they hold no data about people; every number the page shows comes from the governed API.
 */
@ApiExcludeController()
@Controller()
export class WebAssetsController {
  constructor(@Inject(WEB_ASSETS) private readonly assets: Map<string, WebAsset>) {}

  @Get()
  @Public()
  index(@Res() res: Response): void {
    this.send('index.html', res);
  }

  @Get('web/:name')
  @Public()
  asset(@Param('name') name: string, @Res() res: Response): void {
    this.send(name, res);
  }

  private send(name: string, res: Response): void {
    const asset = this.assets.get(name);
    if (!asset) {
      if (this.assets.size === 0) {
        res
          .status(503)
          .type('text/plain')
          .send('The web page has not been built: run `npm run build`.\n');
        return;
      }
      throw new NotFoundException({ error: 'not_found', reason: 'asset_unknown' });
    }
    res.setHeader('content-type', asset.contentType);
    res.setHeader('content-security-policy', CONTENT_SECURITY_POLICY);
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'no-referrer');
    res.setHeader('cache-control', 'no-cache');
    res.sendFile(asset.file);
  }
}
