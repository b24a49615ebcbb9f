// The console's frame: sign-in, the project switcher, and keyboard-navigable tabs.
import { useEffect, useState } from 'preact/hooks';

import { api, clearCredential, credentialFor, loadCredential, saveCredential, tokenExpiry } from './api.js';
import { BillingPage } from './pages/billing.jsx';
import { KeysPage } from './pages/keys.jsx';
import { MembersPage } from './pages/members.jsx';
import { PlaygroundPage } from './pages/playground.jsx';
import { ProjectPage } from './pages/project.jsx';
import { RequestsPage } from './pages/requests.jsx';
import { UsagePage } from './pages/usage.jsx';
import { ErrorBox, Field, Tabs, useLoad } from './ui.jsx';

const TABS = [
  { id: 'project', title: 'Project', page: ProjectPage },
  { id: 'keys', title: 'API keys', page: KeysPage },
  { id: 'members', title: 'Members', page: MembersPage },
  { id: 'usage', title: 'Usage', page: UsagePage },
  { id: 'requests', title: 'Request log', page: RequestsPage },
  { id: 'billing', title: 'Billing', page: BillingPage },
  { id: 'playground', title: 'Playground', page: PlaygroundPage, temporary: true },
];

function tabFromHash() {
  const id = location.hash.replace(/^#\/?/, '');
  return TABS.some((t) => t.id === id) ? id : 'project';
}

export function App() {
  const [credential, setCredential] = useState(loadCredential);
  const [me, setMe] = useState(null);
  const signOut = () => {
    clearCredential();
    setCredential(null);
    setMe(null);
  };
  if (!credential || !me) {
    return (
      <SignIn
        stored={credential}
        onSignedIn={(c, who) => {
          saveCredential(c);
          setCredential(c);
          setMe(who);
        }}
        onForget={signOut}
      />
    );
  }
  return <Console credential={credential} me={me} onSignOut={signOut} />;
}

function SignIn({ stored, onSignedIn, onForget }) {
  const [secret, setSecret] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const check = async (credential) => {
    setBusy(true);
    setError(null);
    try {
      // A validity check that works for keys and temporary tokens alike.
      const who = await api.get(credential, '/v1/auth/token');
      onSignedIn(credential, who);
    } catch (e) {
      setError(e);
      if (stored) onForget();
    } finally {
      setBusy(false);
    }
  };
  // A reload of the tab signs in again with the credential kept in sessionStorage.
  useEffect(() => {
    if (stored) check(stored);
  }, []);
  const submit = (e) => {
    e.preventDefault();
    if (secret.trim()) check(credentialFor(secret));
  };
  return (
    <main class="signin">
      <h1>Opengram console</h1>
      <form onSubmit={submit} aria-describedby="signin-note">
        <Field label="API key or temporary token">
          <input
            type="password"
            name="secret"
            autoComplete="off"
            spellcheck={false}
            required
            autoFocus
            value={secret}
            onInput={(e) => setSecret(e.currentTarget.value)}
          />
        </Field>
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <ErrorBox error={error} />
        <p id="signin-note" class="muted">
          The secret stays in this tab (its memory and session storage) and goes to this server in the
          Authorization header only: never in a cookie, a URL or a log. Closing the tab or signing out forgets it.
          Everything shown is what the key may see; the API, not this page, enforces its scopes. A temporary
          token from <code>/v1/auth/grant</code> opens the playground only.
        </p>
      </form>
    </main>
  );
}

function Console({ credential, me, onSignOut }) {
  const temporary = me.temporary || credential.scheme === 'bearer';
  const tabs = temporary ? TABS.filter((t) => t.temporary) : TABS;
  const [tab, setTab] = useState(() => (temporary ? 'playground' : tabFromHash()));
  const [projectId, setProjectId] = useState(me.project_id);
  const [projects, reloadProjects] = useLoad(
    () => (temporary ? Promise.resolve({ projects: [] }) : api.get(credential, '/v1/projects')),
    [credential],
  );
  useEffect(() => {
    const follow = () => !temporary && setTab(tabFromHash());
    addEventListener('hashchange', follow);
    return () => removeEventListener('hashchange', follow);
  }, [temporary]);
  const choose = (id) => {
    setTab(id);
    if (!temporary) history.replaceState(null, '', `#/${id}`);
  };
  const list = (projects.data && projects.data.projects) || [];
  const current = list.find((p) => p.project_id === projectId);
  const expiry = tokenExpiry(credential);
  const Page = tabs.find((t) => t.id === tab).page;
  return (
    <div class="app">
      <header class="top">
        <span class="brand">Opengram</span>
        {temporary ? null : (
          <span class="project-switch">
            <label class="label" for="project-switch">
              Project
            </label>
            <select id="project-switch" value={projectId} onChange={(e) => setProjectId(e.currentTarget.value)} disabled={!list.length}>
              {list.length ? null : <option value={projectId}>{projectId}</option>}
              {list.map((p) => (
                <option key={p.project_id} value={p.project_id}>
                  {p.name}
                </option>
              ))}
            </select>
          </span>
        )}
        <span class="who" title={`Key ${me.api_key_id}`}>
          {temporary ? 'Temporary token' : `Key ${me.api_key_id.slice(0, 8)}…`} · {(me.scopes || []).join(', ')}
          {expiry ? ` · expires ${new Date(expiry).toLocaleTimeString()}` : ''}
        </span>
        <button type="button" class="secondary" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      {temporary ? (
        <p class="notice" role="note">
          Signed in with a temporary token. Temporary tokens act for transcription and speech only: the
          management API refuses them by design, so projects, keys, members, usage and billing need an API key.
        </p>
      ) : null}
      <Tabs label="Console sections" prefix="" tabs={tabs} current={tab} onChoose={choose} />
      <main id={`panel-${tab}`} role="tabpanel" aria-labelledby={`tab-${tab}`} class="panel" tabIndex={-1}>
        <Page
          key={`${tab}:${projectId}`}
          credential={credential}
          me={me}
          projectId={projectId}
          project={current}
          onProjectsChanged={reloadProjects}
          onSignOut={onSignOut}
        />
      </main>
    </div>
  );
}
