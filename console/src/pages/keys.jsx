// API keys: list, create (the secret shown once), delete.
import { useState } from 'preact/hooks';

import { api, project } from '../api.js';
import { Check, ErrorBox, Field, Loading, OnceSecret, Select, Status, fmt, localToIso, useAction, useLoad } from '../ui.jsx';

const ROLES = ['member', 'admin', 'owner'];
const TTLS = [
  ['3600', '1 hour'],
  ['86400', '1 day'],
  ['604800', '7 days'],
  ['2592000', '30 days'],
  ['7776000', '90 days'],
];

const words = (text) =>
  text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);

export function KeysPage({ credential, projectId }) {
  const [status, setStatus] = useState('');
  const [state, reload] = useLoad(
    () => api.get(credential, project(projectId, '/keys'), { status }),
    [projectId, status],
  );
  const action = useAction();
  const [created, setCreated] = useState(null);

  const remove = async (entry) => {
    const label = entry.api_key.comment || entry.api_key.api_key_id;
    if (!confirm(`Delete the key “${label}”? Anything using it stops working at once.`)) return;
    const done = await action.run(
      () => api.del(credential, project(projectId, `/keys/${encodeURIComponent(entry.api_key.api_key_id)}`)),
      `Deleted the key “${label}”.`,
    );
    if (done !== undefined) reload();
  };

  return (
    <section aria-labelledby="keys-h">
      <h2 id="keys-h">API keys</h2>
      <CreateKey
        credential={credential}
        projectId={projectId}
        onCreated={(key) => {
          setCreated(key);
          reload();
        }}
      />
      {created ? (
        <OnceSecret
          title="New API key"
          secret={created.key}
          note={`The secret of “${created.comment}” (${created.api_key_id}) is shown this once: copy it now. Only its hash is stored.`}
          onDone={() => setCreated(null)}
        />
      ) : null}
      <div class="toolbar">
        <h3>Keys</h3>
        <span class="inline">
          <label class="label" for="keys-status">
            Show
          </label>
          <Select
            id="keys-status"
            value={status}
            onChange={setStatus}
            options={[
              ['', 'all keys'],
              ['active', 'active keys'],
              ['expired', 'expired keys'],
            ]}
          />
        </span>
      </div>
      <Status action={action} />
      <Loading state={state}>
        {(data) =>
          data.api_keys.length ? (
            <div class="table-wrap">
              <table data-testid="keys-table">
                <thead>
                  <tr>
                    <th scope="col">Comment</th>
                    <th scope="col">Key id</th>
                    <th scope="col">Scopes</th>
                    <th scope="col">Member</th>
                    <th scope="col">Created</th>
                    <th scope="col">Expires</th>
                    <th scope="col">
                      <span class="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {data.api_keys.map((entry) => (
                    <tr key={entry.api_key.api_key_id} data-key-id={entry.api_key.api_key_id}>
                      <td>{entry.api_key.comment}</td>
                      <td class="mono">{entry.api_key.api_key_id}</td>
                      <td>{entry.api_key.scopes.join(', ')}</td>
                      <td>{entry.member.email}</td>
                      <td>{fmt.when(entry.api_key.created)}</td>
                      <td>{fmt.when(entry.api_key.expiration_date) === '—' ? 'never' : fmt.when(entry.api_key.expiration_date)}</td>
                      <td>
                        <button
                          type="button"
                          class="danger small"
                          onClick={() => remove(entry)}
                          aria-label={`Delete key ${entry.api_key.comment || entry.api_key.api_key_id}`}
                        >
                          Delete
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : (
            <p class="muted">No keys to show.</p>
          )
        }
      </Loading>
    </section>
  );
}

function CreateKey({ credential, projectId, onCreated }) {
  const [comment, setComment] = useState('');
  const [roles, setRoles] = useState(['member']);
  const [extra, setExtra] = useState('');
  const [tags, setTags] = useState('');
  const [expiry, setExpiry] = useState('never');
  const [ttl, setTtl] = useState('86400');
  const [date, setDate] = useState('');
  const action = useAction();

  const submit = async (e) => {
    e.preventDefault();
    const body = { comment, scopes: [...roles, ...words(extra)], tags: words(tags) };
    if (expiry === 'ttl') body.time_to_live_in_seconds = Number(ttl);
    if (expiry === 'date') body.expiration_date = localToIso(date);
    const key = await action.run(() => api.post(credential, project(projectId, '/keys'), body));
    if (key) {
      setComment('');
      onCreated(key);
    }
  };
  const toggle = (role, on) => setRoles(on ? [...roles, role] : roles.filter((r) => r !== role));

  return (
    <form class="grid card" onSubmit={submit} aria-labelledby="create-key-h">
      <h3 id="create-key-h" class="wide">
        Create a key
      </h3>
      <Field label="Comment">
        <input name="comment" value={comment} onInput={(e) => setComment(e.currentTarget.value)} required />
      </Field>
      <fieldset class="field">
        <legend class="label">Roles</legend>
        <div class="checks">
          {ROLES.map((role) => (
            <Check key={role} label={role} checked={roles.includes(role)} onChange={(on) => toggle(role, on)} />
          ))}
        </div>
      </fieldset>
      <Field label="Other scopes" hint="permissions such as usage:read, space-separated">
        <input name="scopes" value={extra} onInput={(e) => setExtra(e.currentTarget.value)} />
      </Field>
      <Field label="Tags" hint="space-separated">
        <input name="tags" value={tags} onInput={(e) => setTags(e.currentTarget.value)} />
      </Field>
      <Field label="Expires">
        <Select
          value={expiry}
          onChange={setExpiry}
          options={[
            ['never', 'never'],
            ['ttl', 'after a time to live'],
            ['date', 'on a date'],
          ]}
        />
      </Field>
      {expiry === 'ttl' ? (
        <Field label="Time to live">
          <Select value={ttl} onChange={setTtl} options={TTLS} />
        </Field>
      ) : null}
      {expiry === 'date' ? (
        <Field label="Expiration date" hint="your local time">
          <input type="datetime-local" value={date} onInput={(e) => setDate(e.currentTarget.value)} required />
        </Field>
      ) : null}
      <div class="actions wide">
        <button type="submit" disabled={action.busy}>
          Create key
        </button>
      </div>
      <div class="wide">
        <ErrorBox error={action.error} />
      </div>
    </form>
  );
}
