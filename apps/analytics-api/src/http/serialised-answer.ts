import type { Response } from 'express';
import { isSharedAnswer } from '../analytics/answer-memo';

/** One representation of an answer as written to the socket: its text and entity tag. */
export interface KeptRepresentation {
  text: string;
  /** The tag Express would compute for `text` (made by the app's own `etag fn`). */
  etag?: string;
  /** The entity-tag function `etag` was made with (an app with other settings makes its own). */
  etagFn?: unknown;
}

/** What the HTTP edge writes for one shared answer, made on first use and kept with it. */
export interface KeptAnswer {
  provenance?: string;
  policyVersion?: string;
  json?: KeptRepresentation;
  csv?: KeptRepresentation & { suppressed: string };
}

const kept = new WeakMap<object, KeptAnswer>();

/**
 * The serialised form kept for an answer shared by every asker of one gate decision
 * (analytics/answer-memo.ts), or undefined for an answer made for one request only, which is
 * serialised the usual way. The bytes go with the answer object: when the read models move, a
 * new answer is made and this one is no longer handed out, so its bytes are never written again.
 */
export function keptAnswerOf(answer: object): KeptAnswer | undefined {
  if (!isSharedAnswer(answer)) return undefined;
  let bytes = kept.get(answer);
  if (!bytes) {
    bytes = {};
    kept.set(answer, bytes);
  }
  return bytes;
}

/**
 * `text` with the entity tag Express would give it, computed once: Express hashes every body it
 * sends (sha1) unless an `ETag` header is set, so a kept body keeps its tag too.
 */
export function representation(
  res: Response,
  known: KeptRepresentation | undefined,
  text: () => string,
): KeptRepresentation {
  const etagFn: unknown = res.app?.get('etag fn');
  if (known && known.etagFn === etagFn) return known;
  const body = known?.text ?? text();
  return {
    text: body,
    etagFn,
    etag:
      typeof etagFn === 'function'
        ? (etagFn as (body: string, encoding: string) => string)(body, 'utf8')
        : undefined,
  };
}
