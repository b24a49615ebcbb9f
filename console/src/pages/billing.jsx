// Balances, and the billing breakdown over a range.
import { useState } from 'preact/hooks';

import { api, project } from '../api.js';
import { Check, Field, Loading, Select, fmt, useLoad, utcDay } from '../ui.jsx';

const GROUPINGS = [
  ['line_item', 'line item'],
  ['accessor', 'API key'],
  ['deployment', 'deployment'],
  ['tags', 'tag'],
];

export function BillingPage({ credential, projectId }) {
  const [balances] = useLoad(() => api.get(credential, project(projectId, '/balances')), [projectId]);
  const [form, setForm] = useState({
    start: utcDay(-29),
    end: utcDay(0),
    resolution: 'day',
    grouping: ['line_item'],
    line_item: '',
    accessor: '',
    deployment: '',
    tag: '',
  });
  const [applied, setApplied] = useState(form);
  const input = (name) => (e) => setForm({ ...form, [name]: e.currentTarget.value });
  const set = (name) => (value) => setForm({ ...form, [name]: value });
  const toggle = (g, on) => setForm({ ...form, grouping: on ? [...form.grouping, g] : form.grouping.filter((x) => x !== g) });

  const [report] = useLoad(async () => {
    const [breakdown, fields] = await Promise.all([
      api.get(credential, project(projectId, '/billing/breakdown'), applied),
      api.get(credential, project(projectId, '/billing/fields'), { start: applied.start, end: applied.end }),
    ]);
    return { breakdown, fields };
  }, [projectId, applied]);
  const lineItems = (report.data && report.data.fields.line_items) || {};

  return (
    <section aria-labelledby="billing-h">
      <h2 id="billing-h">Balances</h2>
      <Loading state={balances}>
        {(data) =>
          data.balances.length ? (
            <div class="table-wrap">
              <table data-testid="balances-table">
                <thead>
                  <tr>
                    <th scope="col">Balance</th>
                    <th scope="col">Amount</th>
                    <th scope="col">Units</th>
                    <th scope="col">Purchase order</th>
                  </tr>
                </thead>
                <tbody>
                  {data.balances.map((b) => (
                    <tr key={b.balance_id}>
                      <td class="mono">{b.balance_id}</td>
                      <td>{b.units === 'usd' ? fmt.usd(b.amount) : fmt.number(b.amount, 4)}</td>
                      <td>{b.units}</td>
                      <td class="mono">{b.purchase_order_id || '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : (
            <p class="muted">This project has no balances: it is never refused for lack of credit.</p>
          )
        }
      </Loading>

      <h2>Billing breakdown</h2>
      <form
        class="grid card filters"
        aria-label="Billing filters"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied({ ...form });
        }}
      >
        <Field label="From (UTC)">
          <input type="date" value={form.start} onInput={input('start')} required />
        </Field>
        <Field label="To (UTC)">
          <input type="date" value={form.end} onInput={input('end')} required />
        </Field>
        <Field label="Per">
          <Select value={form.resolution} onChange={set('resolution')} options={['hour', 'day', 'month']} />
        </Field>
        <fieldset class="field">
          <legend class="label">Group by</legend>
          <div class="checks">
            {GROUPINGS.map(([g, text]) => (
              <Check key={g} label={text} checked={form.grouping.includes(g)} onChange={(on) => toggle(g, on)} />
            ))}
          </div>
        </fieldset>
        <Field label="Line item">
          <Select value={form.line_item} onChange={set('line_item')} options={[['', 'any'], ...Object.entries(lineItems)]} />
        </Field>
        <Field label="API key">
          <input value={form.accessor} onInput={input('accessor')} placeholder="any" class="mono" />
        </Field>
        <Field label="Deployment">
          <Select value={form.deployment} onChange={set('deployment')} options={[['', 'any'], 'hosted', 'beta', 'self-hosted']} />
        </Field>
        <Field label="Tag">
          <input value={form.tag} onInput={input('tag')} placeholder="any" />
        </Field>
        <div class="actions">
          <button type="submit">Show billing</button>
        </div>
      </form>
      <Loading state={report}>
        {({ breakdown }) => {
          const total = breakdown.results.reduce((sum, r) => sum + r.dollars, 0);
          const groups = applied.grouping;
          return (
            <>
              <p data-testid="billing-total">
                Total {breakdown.start} to {breakdown.end}: <strong>{fmt.usd(total)}</strong>
              </p>
              <div class="table-wrap">
                <table data-testid="billing-table">
                  <thead>
                    <tr>
                      <th scope="col">Period</th>
                      {groups.map((g) => (
                        <th scope="col" key={g}>
                          {GROUPINGS.find(([x]) => x === g)[1]}
                        </th>
                      ))}
                      <th scope="col">Dollars</th>
                    </tr>
                  </thead>
                  <tbody>
                    {breakdown.results.map((r, i) => (
                      <tr key={i}>
                        <td>{r.grouping.start === r.grouping.end ? r.grouping.start : `${r.grouping.start} – ${r.grouping.end}`}</td>
                        {groups.map((g) => {
                          const v = r.grouping[g];
                          const text = g === 'line_item' && v ? lineItems[v] || v : Array.isArray(v) ? v.join(', ') : v;
                          return <td key={g}>{text || '—'}</td>;
                        })}
                        <td>{fmt.usd(r.dollars)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              {breakdown.results.length ? null : <p class="muted">Nothing billed in this range.</p>}
            </>
          );
        }}
      </Loading>
    </section>
  );
}
