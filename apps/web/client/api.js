// Talking to the service: one origin, the token from this tab's session only, plain errors.
// The page never sends anything about a person: only measures, dimensions and audit filters.

const TOKEN_KEY = 'linkage.token';

export function storedToken() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function keepToken(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function forgetToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** What a refusal or error means, in words (reason codes come from the access gate). */
const REASONS = {
  token_missing: 'No token was given. Paste the token you were issued.',
  token_expired:
    'This token has expired. Ask your administrator for a new one (`linkage token ...`).',
  token_invalid:
    'This token was not signed by this service: it may be mistyped, cut short, or from another installation.',
  token_claims_invalid: 'This token does not say who you are, your role, purpose and DSA.',
  dsa_not_registered: 'The data sharing agreement (DSA) named in your token is not registered.',
  dsa_revoked: 'The data sharing agreement (DSA) named in your token has been revoked.',
  dsa_expired: 'The data sharing agreement (DSA) named in your token has passed its last day.',
  dsa_role_not_allowed: 'Your data sharing agreement (DSA) does not allow your role.',
  dsa_purpose_not_allowed: 'Your data sharing agreement (DSA) does not allow your purpose.',
  role_lacks_permission:
    'Your role may not open this. The refusal has been recorded in the audit trail.',
  role_unknown: 'Your token names a role this service does not know.',
  permission_undeclared: 'This route is closed to everyone.',
};

export function explain(reason) {
  return REASONS[reason] ?? `The service refused the request (${reason ?? 'no reason given'}).`;
}

/** A refused or failed call: `status`, the gate's `reason` code and a plain sentence. */
export class ApiError extends Error {
  constructor(status, body) {
    const reason = body && typeof body === 'object' ? body.reason : undefined;
    super(status === 404 ? 'not available yet' : explain(reason));
    this.status = status;
    this.reason = reason;
  }
}

async function call(path, accept) {
  const headers = { accept };
  const token = storedToken();
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(path, { headers, credentials: 'omit', cache: 'no-store' });
  if (!res.ok) {
    let body;
    try {
      body = await res.json();
    } catch {
      body = undefined;
    }
    throw new ApiError(res.status, body);
  }
  return res;
}

/** GET a JSON route with the tab's token. */
export async function getJson(path) {
  return (await call(path, 'application/json')).json();
}

/** Checks a token with the service's access gate (audited as `session.sign-in`). */
export async function signIn(token) {
  const res = await fetch('/v1/session', {
    headers: { accept: 'application/json', authorization: `Bearer ${token}` },
    credentials: 'omit',
    cache: 'no-store',
  });
  const body = await res.json().catch(() => undefined);
  if (!res.ok) throw new ApiError(res.status, body);
  return body;
}

/**
 * Downloads a route as CSV from the API itself (`Accept: text/csv`), so the file holds the
 * numbers the gate let through, no more.
 */
export async function downloadCsv(path, filename) {
  const res = await call(path, 'text/csv');
  saveBlob(await res.blob(), filename);
}

function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/**
 * A GET whose 404 means "not there yet" (e.g. no matching run): `{ body }`, `{ missing, reason }`
 * or `{ error }`; a refused token still throws, so the page can ask to sign in again.
 */
export async function optional(path) {
  try {
    return { body: await getJson(path) };
  } catch (error) {
    if (error instanceof ApiError && error.status === 404)
      return { missing: true, reason: error.reason };
    if (error.status === 401) throw error;
    return { error };
  }
}
