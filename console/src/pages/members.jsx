// Members and their roles, and invitations (no mail goes out: the token is shown once, to hand over).
import { useState } from 'preact/hooks';

import { api, project } from '../api.js';
import { Field, Loading, OnceSecret, Select, Status, fmt, useAction, useLoad } from '../ui.jsx';

const ROLES = ['member', 'admin', 'owner'];
const roleOf = (scopes) => [...ROLES].reverse().find((r) => scopes.includes(r)) || 'member';

export function MembersPage({ credential, projectId }) {
  const [members, reloadMembers] = useLoad(() => api.get(credential, project(projectId, '/members')), [projectId]);
  const [invites, reloadInvites] = useLoad(() => api.get(credential, project(projectId, '/invites')), [projectId]);
  const action = useAction();
  const [token, setToken] = useState(null);

  const invite = async (email, scope) => {
    const sent = await action.run(
      () => api.post(credential, project(projectId, '/invites'), { email, scope }),
      `Invitation for ${email} created.`,
    );
    if (sent) {
      setToken({ email, token: sent.token });
      reloadInvites();
    }
    return sent;
  };
  const deleteInvite = async (inv) => {
    if (!confirm(`Delete the invitation for ${inv.email}?`)) return;
    const done = await action.run(
      () => api.del(credential, project(projectId, `/invites/${encodeURIComponent(inv.email)}`)),
      `Deleted the invitation for ${inv.email}.`,
    );
    if (done !== undefined) reloadInvites();
  };
  const setRole = async (m, scope) => {
    const done = await action.run(
      () => api.put(credential, project(projectId, `/members/${encodeURIComponent(m.member_id)}/scopes`), { scope }),
      `${m.email} is now ${scope}.`,
    );
    if (done !== undefined) reloadMembers();
  };
  const remove = async (m) => {
    if (!confirm(`Remove ${m.email} from the project? Their keys here stop working.`)) return;
    const done = await action.run(
      () => api.del(credential, project(projectId, `/members/${encodeURIComponent(m.member_id)}`)),
      `Removed ${m.email}.`,
    );
    if (done !== undefined) reloadMembers();
  };

  return (
    <section aria-labelledby="members-h">
      <h2 id="members-h">Members</h2>
      <Status action={action} />
      <Loading state={members}>
        {(data) => (
          <div class="table-wrap">
            <table data-testid="members-table">
              <thead>
                <tr>
                  <th scope="col">Email</th>
                  <th scope="col">Name</th>
                  <th scope="col">Role</th>
                  <th scope="col">
                    <span class="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.members.map((m) => (
                  <MemberRow key={m.member_id} member={m} onRole={setRole} onRemove={remove} busy={action.busy} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Loading>

      <h2 id="invites-h">Invitations</h2>
      <InviteForm onInvite={invite} busy={action.busy} />
      {token ? (
        <OnceSecret
          title="Invitation token"
          secret={token.token}
          note={`No mail is sent. Hand this token to ${token.email}, who joins with: opengram invites accept TOKEN. It is shown this once.`}
          onDone={() => setToken(null)}
        />
      ) : null}
      <Loading state={invites}>
        {(data) =>
          data.invites.length ? (
            <div class="table-wrap">
              <table data-testid="invites-table">
                <thead>
                  <tr>
                    <th scope="col">Email</th>
                    <th scope="col">Role</th>
                    <th scope="col">Sent</th>
                    <th scope="col">Expires</th>
                    <th scope="col">
                      <span class="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {data.invites.map((inv) => (
                    <tr key={inv.email} data-email={inv.email}>
                      <td>{inv.email}</td>
                      <td>{inv.scope}</td>
                      <td>{fmt.when(inv.created)}</td>
                      <td>{fmt.when(inv.expires)}</td>
                      <td class="cell-actions">
                        <button
                          type="button"
                          class="small"
                          onClick={() => invite(inv.email, inv.scope)}
                          aria-label={`Resend the invitation for ${inv.email}`}
                        >
                          Resend
                        </button>
                        <button
                          type="button"
                          class="danger small"
                          onClick={() => deleteInvite(inv)}
                          aria-label={`Delete the invitation for ${inv.email}`}
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
            <p class="muted">No pending invitations.</p>
          )
        }
      </Loading>
    </section>
  );
}

function MemberRow({ member, onRole, onRemove, busy }) {
  const current = roleOf(member.scopes);
  const [role, setRole] = useState(current);
  const name = [member.first_name, member.last_name].filter(Boolean).join(' ');
  return (
    <tr data-member-id={member.member_id}>
      <td>{member.email}</td>
      <td>{name || '—'}</td>
      <td>
        <Select value={role} onChange={setRole} options={ROLES} aria-label={`Role of ${member.email}`} />
      </td>
      <td class="cell-actions">
        <button
          type="button"
          class="small"
          disabled={busy || role === current}
          onClick={() => onRole(member, role)}
          aria-label={`Save the role of ${member.email}`}
        >
          Save role
        </button>
        <button type="button" class="danger small" disabled={busy} onClick={() => onRemove(member)} aria-label={`Remove ${member.email}`}>
          Remove
        </button>
      </td>
    </tr>
  );
}

function InviteForm({ onInvite, busy }) {
  const [email, setEmail] = useState('');
  const [scope, setScope] = useState('member');
  const submit = async (e) => {
    e.preventDefault();
    if (await onInvite(email.trim(), scope)) setEmail('');
  };
  return (
    <form class="grid card" onSubmit={submit} aria-labelledby="invite-h">
      <h3 id="invite-h" class="wide">
        Invite someone
      </h3>
      <Field label="Email">
        <input type="email" name="email" value={email} onInput={(e) => setEmail(e.currentTarget.value)} required />
      </Field>
      <Field label="Role">
        <Select value={scope} onChange={setScope} options={ROLES} />
      </Field>
      <div class="actions wide">
        <button type="submit" disabled={busy}>
          Send invitation
        </button>
      </div>
    </form>
  );
}
