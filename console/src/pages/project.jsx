// The project: its details, rename, leave or delete (each as the key's scopes allow: the API decides).
import { useState } from 'preact/hooks';

import { api, project } from '../api.js';
import { Field, Loading, Status, useAction, useLoad } from '../ui.jsx';

export function ProjectPage({ credential, me, projectId, onProjectsChanged, onSignOut }) {
  const [state, reload] = useLoad(() => api.get(credential, project(projectId)), [projectId]);
  const action = useAction();
  const [name, setName] = useState(null);
  const [company, setCompany] = useState(null);
  const [gone, setGone] = useState('');

  const rename = async (e, current) => {
    e.preventDefault();
    const body = { name: name ?? current.name, company: company ?? current.company ?? '' };
    if ((await action.run(() => api.patch(credential, project(projectId), body), 'Saved.')) !== undefined) {
      reload();
      onProjectsChanged();
    }
  };
  const leave = async () => {
    if (!confirm('Leave this project? You lose access to it, and this key stops working.')) return;
    const done = await action.run(() => api.del(credential, project(projectId, '/leave')), (r) => r.message);
    if (done !== undefined) setGone('You left the project.');
  };
  const destroy = async (current) => {
    if (!confirm(`Delete the project “${current.name}”? Its keys stop working at once.`)) return;
    const done = await action.run(() => api.del(credential, project(projectId)), (r) => r.message);
    if (done !== undefined) setGone('The project is deleted.');
  };

  if (gone) {
    return (
      <section>
        <h2>Project</h2>
        <p role="status">{gone} This key no longer has a project to manage.</p>
        <button type="button" onClick={onSignOut}>
          Sign out
        </button>
      </section>
    );
  }
  return (
    <section aria-labelledby="project-h">
      <h2 id="project-h">Project</h2>
      <Loading state={state}>
        {(p) => (
          <>
            <dl class="facts">
              <dt>Name</dt>
              <dd data-testid="project-name">{p.name}</dd>
              <dt>Project id</dt>
              <dd class="mono">{p.project_id}</dd>
              <dt>Company</dt>
              <dd>{p.company || '—'}</dd>
              <dt>Signed in with key</dt>
              <dd class="mono">{me.api_key_id}</dd>
              <dt>Key scopes</dt>
              <dd>{(me.scopes || []).join(', ')}</dd>
            </dl>
            <form class="grid" onSubmit={(e) => rename(e, p)}>
              <h3 class="wide">Rename</h3>
              <Field label="Project name">
                <input value={name ?? p.name} onInput={(e) => setName(e.currentTarget.value)} required />
              </Field>
              <Field label="Company">
                <input value={company ?? p.company ?? ''} onInput={(e) => setCompany(e.currentTarget.value)} />
              </Field>
              <div class="actions wide">
                <button type="submit" disabled={action.busy}>
                  Save
                </button>
              </div>
            </form>
            <h3>Leave or delete</h3>
            <div class="actions">
              <button type="button" class="secondary" onClick={leave} disabled={action.busy}>
                Leave project
              </button>
              <button type="button" class="danger" onClick={() => destroy(p)} disabled={action.busy}>
                Delete project
              </button>
            </div>
            <Status action={action} />
          </>
        )}
      </Loading>
    </section>
  );
}
