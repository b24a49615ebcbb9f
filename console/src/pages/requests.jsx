// The request log: seed 000's filters, pages, and one request's stored record.
import { useEffect, useRef, useState } from 'preact/hooks';

import { api, project } from '../api.js';
import { Field, Json, Loading, Select, fmt, localToIso, useLoad } from '../ui.jsx';

const EMPTY = {
  start: '',
  end: '',
  accessor: '',
  request_id: '',
  deployment: '',
  endpoint: '',
  method: '',
  status: '',
  limit: '25',
};

export function RequestsPage({ credential, projectId }) {
  const [form, setForm] = useState(EMPTY);
  const [applied, setApplied] = useState({ ...EMPTY, page: 0 });
  const [selected, setSelected] = useState(null);
  const input = (name) => (e) => setForm({ ...form, [name]: e.currentTarget.value });
  const set = (name) => (value) => setForm({ ...form, [name]: value });

  const [state] = useLoad(
    () =>
      api.get(credential, project(projectId, '/requests'), {
        ...applied,
        start: localToIso(applied.start),
        end: localToIso(applied.end),
      }),
    [projectId, applied],
  );
  const submit = (e) => {
    e.preventDefault();
    setSelected(null);
    setApplied({ ...form, page: 0 });
  };
  const reset = () => {
    setForm(EMPTY);
    setSelected(null);
    setApplied({ ...EMPTY, page: 0 });
  };
  const go = (page) => setApplied({ ...applied, page });

  return (
    <section aria-labelledby="requests-h">
      <h2 id="requests-h">Request log</h2>
      <form class="grid card filters" onSubmit={submit} aria-label="Request log filters">
        <Field label="From" hint="your local time">
          <input type="datetime-local" step="1" name="start" value={form.start} onInput={input('start')} />
        </Field>
        <Field label="To" hint="your local time">
          <input type="datetime-local" step="1" name="end" value={form.end} onInput={input('end')} />
        </Field>
        <Field label="API key (accessor)">
          <input name="accessor" value={form.accessor} onInput={input('accessor')} placeholder="any" class="mono" />
        </Field>
        <Field label="Request id">
          <input name="request_id" value={form.request_id} onInput={input('request_id')} placeholder="any" class="mono" />
        </Field>
        <Field label="Deployment">
          <Select name="deployment" value={form.deployment} onChange={set('deployment')} options={[['', 'any'], 'hosted', 'beta', 'self-hosted']} />
        </Field>
        <Field label="Endpoint">
          <Select name="endpoint" value={form.endpoint} onChange={set('endpoint')} options={[['', 'any'], 'listen', 'read', 'speak', 'agent']} />
        </Field>
        <Field label="Method">
          <Select name="method" value={form.method} onChange={set('method')} options={[['', 'any'], 'sync', 'async', 'streaming']} />
        </Field>
        <Field label="Status">
          <Select name="status" value={form.status} onChange={set('status')} options={[['', 'any'], 'succeeded', 'failed']} />
        </Field>
        <Field label="Per page">
          <input type="number" name="limit" min="1" max="1000" value={form.limit} onInput={input('limit')} required />
        </Field>
        <div class="actions">
          <button type="submit">Filter</button>
          <button type="button" class="secondary" onClick={reset}>
            Clear
          </button>
        </div>
      </form>
      <Loading state={state}>
        {(data) => (
          <>
            <div class="table-wrap">
              <table data-testid="requests-table" aria-describedby="requests-page">
                <thead>
                  <tr>
                    <th scope="col">Created</th>
                    <th scope="col">Request id</th>
                    <th scope="col">Endpoint</th>
                    <th scope="col">Method</th>
                    <th scope="col">Status</th>
                    <th scope="col">Audio (s)</th>
                    <th scope="col">API key</th>
                  </tr>
                </thead>
                <tbody>
                  {data.requests.map((r) => (
                    <tr key={r.request_id} data-request-id={r.request_id} class={selected === r.request_id ? 'selected' : ''}>
                      <td>{fmt.when(r.created)}</td>
                      <td>
                        <button type="button" class="link mono" onClick={() => setSelected(r.request_id)} aria-label={`Details of request ${r.request_id}`}>
                          {r.request_id}
                        </button>
                      </td>
                      <td>{r.path}</td>
                      <td>{r.method}</td>
                      <td class={r.code >= 400 ? 'bad' : ''}>{r.code}</td>
                      <td>{fmt.number(r.response.details.duration, 2)}</td>
                      <td class="mono">{r.api_key_id ? `${r.api_key_id.slice(0, 8)}…` : '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            {data.requests.length ? null : <p class="muted">No requests match.</p>}
            <nav class="pager" aria-label="Request log pages">
              <button type="button" class="secondary" disabled={data.page <= 0} onClick={() => go(data.page - 1)}>
                Previous page
              </button>
              <span id="requests-page" aria-live="polite">
                Page {data.page + 1}, {data.requests.length} request{data.requests.length === 1 ? '' : 's'}
              </span>
              <button type="button" class="secondary" disabled={data.requests.length < data.limit} onClick={() => go(data.page + 1)}>
                Next page
              </button>
            </nav>
          </>
        )}
      </Loading>
      {selected ? <RequestDetail credential={credential} projectId={projectId} requestId={selected} onClose={() => setSelected(null)} /> : null}
    </section>
  );
}

function RequestDetail({ credential, projectId, requestId, onClose }) {
  const heading = useRef(null);
  const [state] = useLoad(() => api.get(credential, project(projectId, `/requests/${encodeURIComponent(requestId)}`)), [requestId]);
  useEffect(() => heading.current && heading.current.focus(), [requestId]);
  return (
    <section class="detail card" aria-labelledby="detail-h" data-testid="request-detail">
      <div class="toolbar">
        <h3 id="detail-h" tabIndex={-1} ref={heading}>
          Request {requestId}
        </h3>
        <button type="button" class="secondary" onClick={onClose}>
          Close
        </button>
      </div>
      <Loading state={state}>
        {(body) => {
          const r = body.request || body;
          return (
            <>
              <dl class="facts">
                <dt>Created</dt>
                <dd>{fmt.when(r.created)}</dd>
                <dt>Completed</dt>
                <dd>{fmt.when(r.response.completed)}</dd>
                <dt>Path</dt>
                <dd>{r.path}</dd>
                <dt>Status</dt>
                <dd>
                  {r.code}
                  {r.response.message ? ` — ${r.response.message}` : ''}
                </dd>
                <dt>API key</dt>
                <dd class="mono">{r.api_key_id || '—'}</dd>
                <dt>Deployment, method</dt>
                <dd>
                  {r.deployment}, {r.method}
                </dd>
                <dt>Cost</dt>
                <dd>{fmt.usd(r.response.details.usd)}</dd>
              </dl>
              <h4>Stored response</h4>
              <Json value={r.response} label="Stored response JSON" />
            </>
          );
        }}
      </Loading>
    </section>
  );
}
