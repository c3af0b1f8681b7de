// Segments (System P style): shown once the segmentation routes exist; until then it says so.
import { ApiError, getJson } from './api.js';
import { csvButton, h, notYet, panel, provenance, table } from './ui.js';

const SEGMENTS_PATH = '/v1/segments';

export async function segmentsView() {
  let body;
  try {
    body = await getJson(SEGMENTS_PATH);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      return h(
        'div',
        { class: 'view segments' },
        panel(
          'Segments',
          [],
          notYet('Segments (sizes, change since the last run, by area, the Life Rooms lens)'),
        ),
      );
    }
    throw error;
  }
  const rows = Array.isArray(body) ? body : (body.segments ?? body.rows ?? []);
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))].filter(
    (k) => typeof rows[0]?.[k] !== 'object',
  );
  return h(
    'div',
    { class: 'view segments' },
    panel(
      'Segments',
      [csvButton(SEGMENTS_PATH, 'segments.csv')],
      h(
        'div',
        { class: 'table-wrap' },
        table(
          'Segments',
          keys.map((k, i) =>
            i === 0 ? { key: k, label: k, render: (r) => String(r[k]) } : { key: k, label: k },
          ),
          rows,
        ),
      ),
    ),
    provenance(body.provenance),
  );
}
