// Usage: requests, audio minutes and TTS characters per hour, day or month, split by model, endpoint, key…,
// with the usage API's filters; totals from the usage summary beside them.
import { useMemo, useState } from 'preact/hooks';

import { api, project } from '../api.js';
import { BarChart } from '../chart.jsx';
import { Field, Loading, Select, fmt, useLoad, utcDay } from '../ui.jsx';

const SPLITS = [
  ['', 'nothing'],
  ['models', 'model'],
  ['endpoint', 'endpoint'],
  ['accessor', 'API key'],
  ['method', 'method'],
  ['tags', 'tag'],
  ['deployment', 'deployment'],
];
const MAX_BUCKETS = 2000;

const pad = (n) => String(n).padStart(2, '0');

// Every bucket from `start` to `end` (inclusive dates, UTC), keyed as the API writes `grouping.start`.
export function buckets(start, end, resolution) {
  const out = [];
  const first = new Date(`${start}T00:00:00Z`);
  const last = new Date(`${end}T23:59:59Z`);
  if (Number.isNaN(first.getTime()) || Number.isNaN(last.getTime())) return out;
  if (resolution === 'month') {
    for (let y = first.getUTCFullYear(), m = first.getUTCMonth(); ; m++) {
      const d = new Date(Date.UTC(y, m, 1));
      if (d > last || out.length > MAX_BUCKETS) break;
      const key = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-01`;
      out.push({ key, label: key.slice(0, 7) });
    }
    return out;
  }
  const step = resolution === 'hour' ? 3600000 : 86400000;
  for (let t = first.getTime(); t <= last.getTime() && out.length <= MAX_BUCKETS; t += step) {
    const iso = new Date(t).toISOString();
    if (resolution === 'hour') {
      out.push({ key: `${iso.slice(0, 13)}:00:00Z`, label: `${iso.slice(5, 10)} ${iso.slice(11, 13)}:00` });
    } else {
      out.push({ key: iso.slice(0, 10), label: iso.slice(0, 10) });
    }
  }
  return out;
}

function groupLabel(split, value, names) {
  if (!split) return 'all requests';
  if (value === null || value === undefined || (Array.isArray(value) && !value.length)) return `(no ${split === 'models' ? 'model' : split})`;
  if (split === 'accessor') return names.keys[value] ? `${names.keys[value]} (${value.slice(0, 8)})` : value;
  if (split === 'models') return value.map((id) => names.models[id] || id).join(' + ');
  return Array.isArray(value) ? value.join(', ') : String(value);
}

// The breakdown's results as chart datasets over every bucket of the range: one dataset per group.
export function series(report, split, resolution, names) {
  const slots = buckets(report.start, report.end, resolution);
  const index = new Map(slots.map((b, i) => [b.key, i]));
  const groups = new Map();
  for (const r of report.results) {
    const value = split ? r.grouping[split] : null;
    const id = JSON.stringify(value);
    if (!groups.has(id)) {
      groups.set(id, {
        group: value,
        label: groupLabel(split, value, names),
        requests: slots.map(() => 0),
        minutes: slots.map(() => 0),
        characters: slots.map(() => 0),
      });
    }
    const g = groups.get(id);
    const i = index.get(r.grouping.start);
    if (i === undefined) continue;
    g.requests[i] += r.requests;
    g.minutes[i] = Math.round((g.minutes[i] + r.hours * 60) * 1e4) / 1e4;
    g.characters[i] += r.tts_characters;
  }
  const list = [...groups.values()].sort((a, b) => a.label.localeCompare(b.label));
  const pick = (metric) => list.map((g) => ({ label: g.label, group: g.group, data: g[metric] }));
  return {
    labels: slots.map((b) => b.label),
    requests: pick('requests'),
    minutes: pick('minutes'),
    characters: pick('characters'),
    truncated: slots.length > MAX_BUCKETS,
  };
}

function totals(summary) {
  const t = { requests: 0, minutes: 0, allMinutes: 0, characters: 0, ttsRequests: 0, tokensIn: 0, tokensOut: 0 };
  for (const r of summary.results) {
    t.requests += r.requests;
    t.minutes += r.hours * 60;
    t.allMinutes += r.total_hours * 60;
    t.characters += r.tts.characters;
    t.ttsRequests += r.tts.requests;
    t.tokensIn += r.tokens.in;
    t.tokensOut += r.tokens.out;
  }
  return t;
}

export function UsagePage({ credential, projectId }) {
  const [form, setForm] = useState({
    start: utcDay(-6),
    end: utcDay(0),
    resolution: 'day',
    split: 'models',
    accessor: '',
    endpoint: '',
    method: '',
    deployment: '',
    model: '',
    tag: '',
    feature: '',
  });
  const [applied, setApplied] = useState(form);
  const set = (name) => (value) => setForm({ ...form, [name]: value });
  const input = (name) => (e) => setForm({ ...form, [name]: e.currentTarget.value });

  const [state] = useLoad(async () => {
    const q = applied;
    const filters = {
      start: q.start,
      end: q.end,
      accessor: q.accessor,
      endpoint: q.endpoint,
      method: q.method,
      deployment: q.deployment,
      model: q.model,
      tag: q.tag,
      ...(q.feature ? { [q.feature]: 'true' } : {}),
    };
    const [breakdown, summary, fields, keys, models] = await Promise.all([
      api.get(credential, project(projectId, '/usage/breakdown'), { ...filters, resolution: q.resolution, grouping: q.split }),
      api.get(credential, project(projectId, '/usage'), { ...filters, resolution: q.resolution }),
      api.get(credential, project(projectId, '/usage/fields'), { start: q.start, end: q.end }),
      // Only for naming keys in the legend; a key without keys:read still sees its usage.
      api.get(credential, project(projectId, '/keys')).catch(() => ({ api_keys: [] })),
      // And models and voices by name (usage reports them by UUID).
      api.get(credential, project(projectId, '/models')).catch(() => ({ stt: [], tts: [] })),
    ]);
    return { breakdown, summary, fields, keys, models, query: q };
  }, [projectId, applied]);

  const names = useMemo(() => {
    const out = { keys: {}, models: {} };
    if (!state.data) return out;
    for (const e of state.data.keys.api_keys) out.keys[e.api_key.api_key_id] = e.api_key.comment;
    for (const m of state.data.models.stt) out.models[m.uuid] = m.canonical_name;
    for (const m of state.data.models.tts) out.models[m.uuid] = m.canonical_name;
    for (const m of state.data.fields.models) if (m.name !== m.model_id) out.models[m.model_id] = m.name;
    return out;
  }, [state.data]);
  const plotted = useMemo(
    () => state.data && series(state.data.breakdown, state.data.query.split, state.data.query.resolution, names),
    [state.data, names],
  );

  const submit = (e) => {
    e.preventDefault();
    setApplied({ ...form });
  };
  const fields = state.data && state.data.fields;

  return (
    <section aria-labelledby="usage-h">
      <h2 id="usage-h">Usage</h2>
      <form class="grid card filters" onSubmit={submit} aria-label="Usage filters">
        <Field label="From (UTC)">
          <input type="date" name="start" value={form.start} onInput={input('start')} required />
        </Field>
        <Field label="To (UTC)">
          <input type="date" name="end" value={form.end} onInput={input('end')} required />
        </Field>
        <Field label="Per">
          <Select name="resolution" value={form.resolution} onChange={set('resolution')} options={['hour', 'day', 'month']} />
        </Field>
        <Field label="Split by">
          <Select name="split" value={form.split} onChange={set('split')} options={SPLITS} />
        </Field>
        <Field label="API key">
          <input name="accessor" list="usage-keys" value={form.accessor} onInput={input('accessor')} placeholder="any" />
        </Field>
        <Field label="Endpoint">
          <Select name="endpoint" value={form.endpoint} onChange={set('endpoint')} options={[['', 'any'], 'listen', 'speak', 'read', 'agent']} />
        </Field>
        <Field label="Method">
          <Select name="method" value={form.method} onChange={set('method')} options={[['', 'any'], 'sync', 'async', 'streaming']} />
        </Field>
        <Field label="Deployment">
          <Select name="deployment" value={form.deployment} onChange={set('deployment')} options={[['', 'any'], 'hosted', 'beta', 'self-hosted']} />
        </Field>
        <Field label="Model">
          <input name="model" list="usage-models" value={form.model} onInput={input('model')} placeholder="any" />
        </Field>
        <Field label="Tag">
          <input name="tag" list="usage-tags" value={form.tag} onInput={input('tag')} placeholder="any" />
        </Field>
        <Field label="Feature used">
          <Select
            name="feature"
            value={form.feature}
            onChange={set('feature')}
            options={[['', 'any'], ...((fields && fields.features) || [])]}
          />
        </Field>
        <div class="actions">
          <button type="submit">Show usage</button>
        </div>
        <datalist id="usage-keys">
          {state.data && state.data.keys.api_keys.map((e) => <option key={e.api_key.api_key_id} value={e.api_key.api_key_id} label={e.api_key.comment} />)}
        </datalist>
        <datalist id="usage-models">
          {fields && fields.models.map((m) => <option key={m.model_id} value={m.model_id} label={m.name} />)}
        </datalist>
        <datalist id="usage-tags">{fields && fields.tags.map((t) => <option key={t} value={t} />)}</datalist>
      </form>
      <Loading state={state}>
        {(data) => {
          const t = totals(data.summary);
          return (
            <div class="usage">
              <div class="charts">
                <BarChart testid="usage-requests" title="Requests" labels={plotted.labels} datasets={plotted.requests} />
                <BarChart testid="usage-minutes" title="Audio minutes" labels={plotted.labels} datasets={plotted.minutes} digits={2} />
                <BarChart testid="usage-tts" title="TTS characters" labels={plotted.labels} datasets={plotted.characters} />
                {plotted.truncated ? <p class="muted">Only the first {MAX_BUCKETS} periods are drawn: choose a shorter range.</p> : null}
              </div>
              <aside class="totals" aria-labelledby="totals-h" data-testid="usage-totals">
                <h3 id="totals-h">Totals</h3>
                <p class="muted">
                  {data.summary.start} to {data.summary.end}, successful requests
                </p>
                <dl>
                  <dt>Requests</dt>
                  <dd data-total="requests">{fmt.number(t.requests)}</dd>
                  <dt>Audio minutes</dt>
                  <dd data-total="minutes">{fmt.number(t.minutes, 2)}</dd>
                  <dt>Audio minutes, all channels</dt>
                  <dd data-total="all-minutes">{fmt.number(t.allMinutes, 2)}</dd>
                  <dt>TTS characters</dt>
                  <dd data-total="tts-characters">{fmt.number(t.characters)}</dd>
                  <dt>TTS requests</dt>
                  <dd data-total="tts-requests">{fmt.number(t.ttsRequests)}</dd>
                  <dt>Text tokens in / out</dt>
                  <dd data-total="tokens">
                    {fmt.number(t.tokensIn)} / {fmt.number(t.tokensOut)}
                  </dd>
                </dl>
              </aside>
            </div>
          );
        }}
      </Loading>
    </section>
  );
}
