// Small shared pieces: loading data, running actions, errors, labelled fields, a secret shown once.
import { cloneElement } from 'preact';
import { useCallback, useEffect, useId, useMemo, useRef, useState } from 'preact/hooks';

// Load with `fn` whenever `deps` change; `reload()` loads again. `loading` is true from the very render in
// which `deps` change (or `reload` is called) until that load has answered: data on screen is never
// mistaken for the answer to a newer question.
export function useLoad(fn, deps) {
  const generation = useMemo(() => ({}), deps);
  const [round, setRound] = useState(0);
  const [state, setState] = useState({ data: null, error: null, answers: null });
  useEffect(() => {
    let live = true;
    const answers = { generation, round };
    fn().then(
      (data) => live && setState({ data, error: null, answers }),
      (error) => live && setState({ data: null, error, answers }),
    );
    return () => {
      live = false;
    };
  }, [generation, round]);
  const current = state.answers && state.answers.generation === generation && state.answers.round === round;
  return [{ data: state.data, error: current ? state.error : null, loading: !current }, useCallback(() => setRound((n) => n + 1), [])];
}

// Run a mutation: `busy` while it runs, then its error or its success message.
export function useAction() {
  const [state, setState] = useState({ busy: false, error: null, done: '' });
  const run = useCallback(async (fn, doneMessage = '') => {
    setState({ busy: true, error: null, done: '' });
    try {
      const result = await fn();
      setState({ busy: false, error: null, done: typeof doneMessage === 'function' ? doneMessage(result) : doneMessage });
      return result;
    } catch (error) {
      setState({ busy: false, error, done: '' });
      return undefined;
    }
  }, []);
  const clear = useCallback(() => setState({ busy: false, error: null, done: '' }), []);
  return { ...state, run, clear };
}

export function ErrorBox({ error }) {
  if (!error) return null;
  return (
    <div class="error" role="alert">
      <strong>{error.status ? `${error.status}${error.code ? ` ${error.code}` : ''}: ` : ''}</strong>
      {error.message}
      {error.details ? <span> {error.details}</span> : null}
      {error.requestId ? <span class="muted"> (request {error.requestId})</span> : null}
    </div>
  );
}

export function Status({ action }) {
  return (
    <>
      <ErrorBox error={action.error} />
      {action.done ? (
        <p class="ok" role="status">
          {action.done}
        </p>
      ) : null}
    </>
  );
}

// The data of a `useLoad`, once there is some (kept on screen while a newer load runs: `aria-busy`).
export function Loading({ state, children }) {
  let body;
  if (state.error) body = <ErrorBox error={state.error} />;
  else if (!state.data) body = <p class="muted">Loading…</p>;
  else body = children(state.data);
  return (
    <div class="loaded" aria-busy={state.loading ? 'true' : 'false'}>
      {body}
    </div>
  );
}

// A labelled control: `children` is one input, select or textarea, given an id for the label (and the
// hint as its description), so every control has an accessible name.
export function Field({ label, hint, children, wide = false }) {
  const id = useId();
  const control = cloneElement(children, { id, 'aria-describedby': hint ? `${id}-hint` : undefined });
  return (
    <div class={wide ? 'field wide' : 'field'}>
      <label class="label" for={id}>
        {label}
      </label>
      {control}
      {hint ? (
        <span class="hint" id={`${id}-hint`}>
          {hint}
        </span>
      ) : null}
    </div>
  );
}

export function Check({ label, checked, onChange, name }) {
  return (
    <label class="check">
      <input type="checkbox" name={name} checked={checked} onChange={(e) => onChange(e.currentTarget.checked)} />
      <span>{label}</span>
    </label>
  );
}

export function Select({ value, onChange, options, ...rest }) {
  return (
    <select value={value} onChange={(e) => onChange(e.currentTarget.value)} {...rest}>
      {options.map((o) => {
        const [v, text] = Array.isArray(o) ? o : [o, o];
        return (
          <option key={v} value={v}>
            {text}
          </option>
        );
      })}
    </select>
  );
}

async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

// A secret shown this once (a new key, an invitation token), with a copy button. `onDone` forgets it.
export function OnceSecret({ title, secret, note, onDone }) {
  const id = useId();
  const input = useRef(null);
  const [copied, setCopied] = useState('');
  const heading = useRef(null);
  useEffect(() => heading.current && heading.current.focus(), []);
  const copy = async () => {
    if (await copyText(secret)) {
      setCopied('Copied to the clipboard.');
    } else {
      input.current.select();
      setCopied('Selected: press Ctrl+C (⌘C) to copy.');
    }
  };
  return (
    <section class="once" aria-labelledby={id}>
      <h3 id={id} tabIndex={-1} ref={heading}>
        {title}
      </h3>
      <p>{note}</p>
      <div class="row">
        <label class="field grow">
          <span class="label">{title}</span>
          <input ref={input} class="secret mono" readOnly value={secret} onFocus={(e) => e.currentTarget.select()} />
        </label>
        <button type="button" onClick={copy}>
          Copy
        </button>
        <button type="button" class="secondary" onClick={onDone}>
          Done
        </button>
      </div>
      <p class="muted" role="status">
        {copied}
      </p>
    </section>
  );
}

export function Json({ value, label = 'JSON' }) {
  return (
    <pre class="json" tabIndex={0} aria-label={label}>
      {JSON.stringify(value, null, 2)}
    </pre>
  );
}

export const fmt = {
  when: (iso) => (iso ? iso.replace('T', ' ').replace('Z', ' UTC') : '—'),
  number: (n, digits = 0) =>
    typeof n === 'number' ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 }) : '—',
  usd: (n) => (typeof n === 'number' ? `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 4 })}` : '—'),
};

// Dates for <input type="date"> in UTC, which is how the usage API buckets days.
export function utcDay(offsetDays = 0) {
  const d = new Date(Date.now() + offsetDays * 86400000);
  return d.toISOString().slice(0, 10);
}

// <input type="datetime-local"> is local time; the API wants an instant.
export function localToIso(value) {
  if (!value) return '';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? value : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// WAI-ARIA tabs: one tab stop; arrows, Home and End move between the tabs and open them. Tab `id` has the
// element id `${prefix}tab-${id}` and controls the panel `${prefix}panel-${id}`.
export function Tabs({ label, prefix = '', tabs, current, onChoose }) {
  const onKey = (e) => {
    const i = tabs.findIndex((t) => t.id === current);
    const to = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    const next = tabs[(to + tabs.length) % tabs.length].id;
    onChoose(next);
    document.getElementById(`${prefix}tab-${next}`).focus();
  };
  return (
    <nav class={prefix ? 'tabs-wrap inner' : 'tabs-wrap'} aria-label={label}>
      <div role="tablist" class="tabs" onKeyDown={onKey}>
        {tabs.map((t) => (
          <button
            type="button"
            role="tab"
            id={`${prefix}tab-${t.id}`}
            key={t.id}
            aria-selected={t.id === current ? 'true' : 'false'}
            aria-controls={`${prefix}panel-${t.id}`}
            tabIndex={t.id === current ? 0 : -1}
            onClick={() => onChoose(t.id)}
          >
            {t.title}
          </button>
        ))}
      </div>
    </nav>
  );
}
