// The public API, called with the signed-in credential. The secret lives in this tab only: in memory and
// in sessionStorage (gone when the tab closes), sent in the Authorization header (or, on a WebSocket, the
// browser's subprotocol), never in a URL, a cookie or a log line.

const STORE = 'opengram.console.credential';

// A temporary token from /v1/auth/grant is a JWT; anything else is an API key.
const JWT = /^eyJ[\w-]*\.[\w-]+\.[\w-]+$/;

export function credentialFor(secret) {
  const trimmed = secret.trim();
  return { scheme: JWT.test(trimmed) ? 'bearer' : 'token', secret: trimmed };
}

export function loadCredential() {
  try {
    const found = JSON.parse(sessionStorage.getItem(STORE) || 'null');
    return found && typeof found.secret === 'string' ? found : null;
  } catch {
    return null;
  }
}

export function saveCredential(credential) {
  sessionStorage.setItem(STORE, JSON.stringify(credential));
}

export function clearCredential() {
  sessionStorage.removeItem(STORE);
}

export function authorization(credential) {
  return `${credential.scheme === 'bearer' ? 'Bearer' : 'Token'} ${credential.secret}`;
}

// When a temporary token expires (its `exp` claim), in ms since the epoch; null for keys.
export function tokenExpiry(credential) {
  if (credential.scheme !== 'bearer') return null;
  try {
    const payload = JSON.parse(atob(credential.secret.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    return typeof payload.exp === 'number' ? payload.exp * 1000 : null;
  } catch {
    return null;
  }
}

export class ApiError extends Error {
  constructor(status, message, { code = '', requestId = '', details = '' } = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.requestId = requestId;
    this.details = details;
  }
}

// Deepgram answers errors in two shapes: {err_code, err_msg} and {category, message, details}.
async function errorOf(response) {
  const text = await response.text();
  let body = null;
  try {
    body = JSON.parse(text);
  } catch {
    // plain text
  }
  const message =
    (body && (body.err_msg || body.message || body.reason || (typeof body.detail === 'string' && body.detail))) ||
    text ||
    response.statusText;
  return new ApiError(response.status, message, {
    code: (body && (body.err_code || body.category)) || '',
    requestId: (body && body.request_id) || response.headers.get('dg-request-id') || '',
    details: (body && body.details) || '',
  });
}

export function url(path, query = {}) {
  const target = new URL(path, location.origin);
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '' || value === false) continue;
    for (const one of Array.isArray(value) ? value : [value]) target.searchParams.append(name, String(one));
  }
  return target;
}

// One API call. `json` sends a JSON body; `body` sends anything else with `contentType`. Returns the parsed
// JSON, or the Response itself with `raw`.
export async function call(credential, method, path, { query, json, body, contentType, raw = false, signal } = {}) {
  const headers = { Authorization: authorization(credential) };
  let payload = body;
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(json);
  } else if (body !== undefined) {
    headers['Content-Type'] = contentType || 'application/octet-stream';
  }
  let response;
  try {
    response = await fetch(url(path, query), {
      method,
      headers,
      body: payload,
      cache: 'no-store',
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
      signal,
    });
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new ApiError(0, `The server could not be reached (${error.message}).`);
  }
  if (!response.ok) throw await errorOf(response);
  if (raw) return response;
  return response.status === 204 ? null : response.json();
}

export const api = {
  get: (c, path, query) => call(c, 'GET', path, { query }),
  post: (c, path, json, query) => call(c, 'POST', path, { json, query }),
  put: (c, path, json) => call(c, 'PUT', path, { json }),
  patch: (c, path, json) => call(c, 'PATCH', path, { json }),
  del: (c, path) => call(c, 'DELETE', path),
};

export const project = (id, rest = '') => `/v1/projects/${encodeURIComponent(id)}${rest}`;

// A WebSocket to this server, authenticated the browsers' way: the subprotocol `token, <key>` (or
// `bearer, <jwt>`), since a browser cannot set headers on a WebSocket.
export function socket(credential, path, query) {
  const target = url(path, query);
  target.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return new WebSocket(target, [credential.scheme, credential.secret]);
}
