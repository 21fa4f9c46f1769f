// The REST client. Every failure becomes an Error whose message is what the server said
// ({"error": "..."}), because those messages name the field or path that is wrong, which is
// exactly what a user at the beamline needs to read.

export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

async function failure(response) {
  let message = `${response.status} ${response.statusText}`;
  try {
    const body = await response.json();
    if (body && body.error) message = body.error;
  } catch {
    // Not JSON (a proxy's page, an empty body): the status line is all there is.
  }
  return new ApiError(message, response.status);
}

export async function request(method, path, body, { signal, raw = false } = {}) {
  let response;
  try {
    response = await fetch(path, {
      method,
      signal,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new ApiError(`the service does not answer (${method} ${path}): ${error.message}`, 0);
  }
  if (!response.ok) throw await failure(response);
  if (raw) return response;
  if (response.status === 204) return null;
  return response.json();
}

export const get = (path, options) => request('GET', path, undefined, options);
export const post = (path, body, options) => request('POST', path, body ?? {}, options);
export const patch = (path, body) => request('PATCH', path, body);
export const del = (path) => request('DELETE', path);

const q = encodeURIComponent;

// --- the routes the pages use ---------------------------------------------------------------
export const api = {
  health: () => get('/api/health'),
  files: (path) => get(path ? `/api/files?path=${q(path)}` : '/api/files'),
  summary: (path) => get(`/api/scans/summary?path=${q(path)}`),
  presets: () => get('/api/presets'),
  jobs: () => get('/api/jobs?view=summary'),
  job: (id) => get(`/api/jobs/${id}`),
  jobLive: (id) => get(`/api/jobs/${id}/live`),
  submit: (submission) => post('/api/jobs', submission),
  edit: (id, changes) => patch(`/api/jobs/${id}`, changes),
  remove: (id) => del(`/api/jobs/${id}`),
  run: (id) => post(`/api/jobs/${id}/run`),
  cancel: (id) => post(`/api/jobs/${id}/cancel`),
  duplicate: (id) => post(`/api/jobs/${id}/duplicate`),
  workers: () => get('/api/workers'),
  preview: (body, options) => post('/api/preview', body, options),
  // The slice's values, for contrast changes and line profiles done in the browser.
  previewFloat: async (body, options) => {
    const response = await request('POST', '/api/preview?format=float32', body, { ...options, raw: true });
    const width = Number(response.headers.get('X-Tomo-Width'));
    const height = Number(response.headers.get('X-Tomo-Height'));
    const data = new Float32Array(await response.arrayBuffer());
    if (data.length !== width * height) throw new ApiError(`the float32 preview holds ${data.length} values, not ${width} x ${height}`, 0);
    return { width, height, data };
  },
  sweep: (body) => post('/api/preview/sweep', body),
  centre: (body) => post('/api/preview/centre', body),
};
