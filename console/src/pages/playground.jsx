// The playground: transcribe a file, transcribe the microphone live over the WebSocket, speak a text.
import { useEffect, useRef, useState } from 'preact/hooks';

import { ApiError, api, call, socket } from '../api.js';
import { Check, ErrorBox, Field, Json, Select, Tabs, fmt, useLoad } from '../ui.jsx';

// Deepgram's names, which this server maps to its installed models; the installed ones come from /v1/models.
const STT_NAMES = ['nova-3', 'nova-2', 'enhanced', 'base'];
const TTS_FALLBACK = [{ canonical_name: 'aura-2-thalia-en', name: 'thalia', languages: ['en'] }];
const LANGUAGES = ['en', 'en-US', 'en-GB', 'multi', 'de', 'es', 'fr', 'hi', 'it', 'ja', 'nl', 'pt', 'ru', 'zh'];
const REDACTIONS = ['pci', 'pii', 'ssn', 'numbers'];

function useModels(credential) {
  // Temporary tokens may not list models (the models endpoints take API keys): then Deepgram's usual names.
  const [state] = useLoad(
    () => (credential.scheme === 'bearer' ? Promise.resolve(null) : api.get(credential, '/v1/models')),
    [credential],
  );
  const listed = state.data;
  const stt = [...new Set([...STT_NAMES, ...((listed && listed.stt) || []).map((m) => m.canonical_name)])];
  const tts = (listed && listed.tts && listed.tts.length ? listed.tts : TTS_FALLBACK).slice();
  tts.sort((a, b) => a.canonical_name.localeCompare(b.canonical_name));
  return { stt, tts, error: state.error, fallback: !listed };
}

const PARTS = [
  { id: 'file', title: 'File' },
  { id: 'live', title: 'Microphone' },
  { id: 'speak', title: 'Text to speech' },
];

// Each part stays mounted while another is shown, so a live stream goes on behind the other tabs.
export function PlaygroundPage({ credential }) {
  const models = useModels(credential);
  const [part, setPart] = useState('file');
  const panel = (id, children) => (
    <div id={`play-panel-${id}`} role="tabpanel" aria-labelledby={`play-tab-${id}`} hidden={part !== id}>
      {children}
    </div>
  );
  return (
    <>
      <h2 class="sr-only">Playground</h2>
      <ErrorBox error={models.error} />
      {models.fallback && credential.scheme === 'bearer' ? (
        <p class="muted">Temporary tokens cannot list models, so the usual Deepgram names are offered.</p>
      ) : null}
      <Tabs label="Playground" prefix="play-" tabs={PARTS} current={part} onChoose={setPart} />
      {panel('file', <FileTranscription credential={credential} models={models} />)}
      {panel('live', <LiveTranscription credential={credential} models={models} />)}
      {panel('speak', <Speech credential={credential} models={models} />)}
      <datalist id="languages">
        {LANGUAGES.map((l) => (
          <option key={l} value={l} />
        ))}
      </datalist>
    </>
  );
}

function FileTranscription({ credential, models }) {
  const [file, setFile] = useState(null);
  const [opts, setOpts] = useState({
    model: 'nova-3',
    language: '',
    punctuate: true,
    smart_format: true,
    diarize: false,
    utterances: false,
    paragraphs: false,
    numerals: false,
    filler_words: false,
    profanity_filter: false,
    detect_language: false,
    redact: [],
    extra: '',
  });
  const [result, setResult] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const flag = (name) => (on) => setOpts({ ...opts, [name]: on });

  const submit = async (e) => {
    e.preventDefault();
    if (!file) return;
    setBusy(true);
    setError(null);
    setResult(null);
    const { extra, redact, ...rest } = opts;
    const query = { ...rest, redact };
    for (const [k, v] of new URLSearchParams(extra.trim())) query[k] = query[k] ? [].concat(query[k], v) : v;
    try {
      setResult(
        await call(credential, 'POST', '/v1/listen', { query, body: file, contentType: file.type || 'application/octet-stream' }),
      );
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card" aria-labelledby="file-h">
      <h2 id="file-h">Transcribe a file</h2>
      <form class="grid" onSubmit={submit}>
        <Field label="Audio file" wide>
          <input type="file" name="audio" accept="audio/*,video/*" required onChange={(e) => setFile(e.currentTarget.files[0] || null)} />
        </Field>
        <Field label="Model">
          <Select name="model" value={opts.model} onChange={(v) => setOpts({ ...opts, model: v })} options={models.stt} />
        </Field>
        <Field label="Language" hint="empty: the model's own">
          <input name="language" list="languages" value={opts.language} onInput={(e) => setOpts({ ...opts, language: e.currentTarget.value })} />
        </Field>
        <fieldset class="field wide">
          <legend class="label">Options</legend>
          <div class="checks">
            {['punctuate', 'smart_format', 'diarize', 'utterances', 'paragraphs', 'numerals', 'filler_words', 'profanity_filter', 'detect_language'].map(
              (name) => (
                <Check key={name} name={name} label={name} checked={opts[name]} onChange={flag(name)} />
              ),
            )}
          </div>
        </fieldset>
        <fieldset class="field">
          <legend class="label">Redact</legend>
          <div class="checks">
            {REDACTIONS.map((r) => (
              <Check
                key={r}
                label={r}
                checked={opts.redact.includes(r)}
                onChange={(on) => setOpts({ ...opts, redact: on ? [...opts.redact, r] : opts.redact.filter((x) => x !== r) })}
              />
            ))}
          </div>
        </fieldset>
        <Field label="More parameters" hint="as a query string: keyterm=Opengram&search=hello">
          <input name="extra" value={opts.extra} onInput={(e) => setOpts({ ...opts, extra: e.currentTarget.value })} class="mono" />
        </Field>
        <div class="actions wide">
          <button type="submit" disabled={busy || !file}>
            {busy ? 'Transcribing…' : 'Transcribe'}
          </button>
        </div>
      </form>
      <ErrorBox error={error} />
      {result ? <Transcript result={result} /> : null}
    </section>
  );
}

// Runs of words by one speaker (or one run, without diarization).
function turns(words) {
  const out = [];
  for (const w of words) {
    const last = out[out.length - 1];
    const text = w.punctuated_word || w.word;
    if (last && last.speaker === w.speaker) {
      last.text += ` ${text}`;
      last.end = w.end;
    } else {
      out.push({ speaker: w.speaker, start: w.start, end: w.end, text });
    }
  }
  return out;
}

function Transcript({ result }) {
  const channels = (result.results && result.results.channels) || [];
  return (
    <div class="result" data-testid="file-result">
      <p class="muted">
        Request <span class="mono">{result.metadata.request_id}</span> · {fmt.number(result.metadata.duration, 2)} s of audio
      </p>
      {channels.map((ch, c) => {
        const alt = ch.alternatives[0] || { transcript: '', words: [] };
        const diarized = alt.words.some((w) => w.speaker !== undefined && w.speaker !== null);
        return (
          <div key={c}>
            {channels.length > 1 ? <h3>Channel {c}</h3> : <h3>Transcript</h3>}
            {diarized ? (
              <div class="turns" data-testid="transcript">
                {turns(alt.words).map((t, i) => (
                  <p key={i}>
                    <strong>Speaker {t.speaker}</strong> <span class="muted">{t.start.toFixed(2)}–{t.end.toFixed(2)} s</span>
                    <br />
                    {t.text}
                  </p>
                ))}
              </div>
            ) : (
              <p class="transcript" data-testid="transcript">
                {alt.transcript || <span class="muted">(no speech)</span>}
              </p>
            )}
            <details>
              <summary>Word timings ({alt.words.length} words)</summary>
              <div class="table-wrap tall">
                <table data-testid="words-table">
                  <thead>
                    <tr>
                      <th scope="col">Word</th>
                      <th scope="col">Start (s)</th>
                      <th scope="col">End (s)</th>
                      <th scope="col">Confidence</th>
                      {diarized ? <th scope="col">Speaker</th> : null}
                    </tr>
                  </thead>
                  <tbody>
                    {alt.words.map((w, i) => (
                      <tr key={i}>
                        <td>{w.punctuated_word || w.word}</td>
                        <td>{w.start.toFixed(2)}</td>
                        <td>{w.end.toFixed(2)}</td>
                        <td>{w.confidence.toFixed(2)}</td>
                        {diarized ? <td>{w.speaker}</td> : null}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </details>
          </div>
        );
      })}
      <details>
        <summary>Raw JSON</summary>
        <Json value={result} label="Raw response JSON" />
      </details>
    </div>
  );
}

// The microphone, as linear16 at the audio context's rate, over /v1/listen's WebSocket.
function LiveTranscription({ credential, models }) {
  const [opts, setOpts] = useState({ model: 'nova-3', language: '', interim_results: true, punctuate: true, smart_format: false, diarize: false });
  const [phase, setPhase] = useState('idle'); // idle | starting | live | finishing
  const [finals, setFinals] = useState([]);
  const [interim, setInterim] = useState('');
  const [error, setError] = useState(null);
  const [requestId, setRequestId] = useState('');
  const session = useRef(null);

  const cleanup = () => {
    const s = session.current;
    if (!s) return;
    session.current = null;
    s.stream.getTracks().forEach((t) => t.stop());
    s.context.close().catch(() => {});
  };
  useEffect(() => () => {
    if (session.current) session.current.ws.close();
    cleanup();
  }, []);

  const start = async () => {
    setError(null);
    setFinals([]);
    setInterim('');
    setRequestId('');
    setPhase('starting');
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1 } });
    } catch (err) {
      setError(new ApiError(0, `No microphone: ${err.message}`));
      setPhase('idle');
      return;
    }
    const context = new AudioContext();
    await context.audioWorklet.addModule(`${import.meta.env.BASE_URL}pcm-worklet.js`);
    const source = context.createMediaStreamSource(stream);
    const node = new AudioWorkletNode(context, 'pcm-writer', { channelCount: 1, channelCountMode: 'explicit' });
    const ws = socket(credential, '/v1/listen', {
      ...opts,
      encoding: 'linear16',
      sample_rate: context.sampleRate,
      channels: 1,
    });
    ws.binaryType = 'arraybuffer';
    session.current = { stream, context, source, node, ws };
    let opened = false;
    node.port.onmessage = (event) => {
      if (event.data === 'flushed') {
        if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'CloseStream' }));
      } else if (ws.readyState === WebSocket.OPEN) {
        ws.send(event.data);
      }
    };
    ws.onopen = () => {
      opened = true;
      source.connect(node);
      node.connect(context.destination); // silent: the node writes no output, but is pulled only when connected
      setPhase('live');
    };
    ws.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (message.type === 'Results') {
        const alt = message.channel.alternatives[0];
        if (message.metadata && message.metadata.request_id) setRequestId(message.metadata.request_id);
        if (message.is_final) {
          if (alt.transcript) {
            const speaker = alt.words.length && alt.words[0].speaker !== undefined ? `Speaker ${alt.words[0].speaker}: ` : '';
            setFinals((f) => [...f, speaker + alt.transcript]);
          }
          setInterim('');
        } else {
          setInterim(alt.transcript);
        }
      } else if (message.type === 'Metadata') {
        setRequestId(message.request_id);
      }
    };
    ws.onclose = (event) => {
      if (!opened) {
        setError(new ApiError(0, 'The server refused the stream: check the credential (it may have expired) and the options.'));
      } else if (event.code !== 1000) {
        setError(new ApiError(0, `The stream closed with ${event.code}${event.reason ? ` ${event.reason}` : ''}.`));
      }
      setInterim('');
      setPhase('idle');
      cleanup();
    };
  };

  const stop = () => {
    const s = session.current;
    if (!s) return;
    setPhase('finishing');
    s.source.disconnect();
    s.stream.getTracks().forEach((t) => t.stop());
    s.node.port.postMessage('flush'); // the rest of the audio, then CloseStream: the last results, then Metadata
  };

  const running = phase !== 'idle';
  return (
    <section class="card" aria-labelledby="live-h">
      <h2 id="live-h">Live from the microphone</h2>
      <div class="grid">
        <Field label="Model">
          <Select value={opts.model} onChange={(v) => setOpts({ ...opts, model: v })} options={models.stt} disabled={running} />
        </Field>
        <Field label="Language" hint="empty: the model's own">
          <input list="languages" value={opts.language} disabled={running} onInput={(e) => setOpts({ ...opts, language: e.currentTarget.value })} />
        </Field>
        <fieldset class="field wide" disabled={running}>
          <legend class="label">Options</legend>
          <div class="checks">
            {['interim_results', 'punctuate', 'smart_format', 'diarize'].map((name) => (
              <Check key={name} label={name} checked={opts[name]} onChange={(on) => setOpts({ ...opts, [name]: on })} />
            ))}
          </div>
        </fieldset>
        <div class="actions wide">
          {running ? (
            <button type="button" class="danger" onClick={stop} disabled={phase !== 'live'}>
              Stop
            </button>
          ) : (
            <button type="button" onClick={start}>
              Start listening
            </button>
          )}
          <span role="status" class="muted" data-testid="live-phase">
            {{ idle: '', starting: 'Connecting…', live: 'Listening: speak now.', finishing: 'Finishing…' }[phase]}
          </span>
        </div>
      </div>
      <ErrorBox error={error} />
      <div class="live" data-testid="live-transcript">
        <div aria-live="polite">
          {finals.map((text, i) => (
            <p key={i} class="final">
              {text}
            </p>
          ))}
        </div>
        {interim ? (
          <p class="interim" data-testid="live-interim">
            {interim}
          </p>
        ) : null}
        {!finals.length && !interim ? <p class="muted">The transcript appears here as you speak.</p> : null}
      </div>
      {requestId ? (
        <p class="muted">
          Request <span class="mono">{requestId}</span>
        </p>
      ) : null}
    </section>
  );
}

function Speech({ credential, models }) {
  const [voice, setVoice] = useState('');
  const [text, setText] = useState('Hello! This is Opengram, speaking from your own server.');
  const [encoding, setEncoding] = useState('mp3');
  const [audio, setAudio] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const player = useRef(null);
  const chosen = voice || (models.tts.find((v) => v.canonical_name === 'aura-2-thalia-en') || models.tts[0] || {}).canonical_name;
  useEffect(() => () => audio && URL.revokeObjectURL(audio.url), [audio]);

  const speak = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const query = encoding === 'wav' ? { model: chosen, encoding: 'linear16', container: 'wav' } : { model: chosen, encoding };
      const response = await call(credential, 'POST', '/v1/speak', { query, json: { text }, raw: true });
      const blob = await response.blob();
      setAudio({
        url: URL.createObjectURL(blob),
        bytes: blob.size,
        characters: response.headers.get('dg-char-count'),
        requestId: response.headers.get('dg-request-id'),
      });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => {
    if (audio && player.current) player.current.play().catch(() => {});
  }, [audio]);

  return (
    <section class="card" aria-labelledby="tts-h">
      <h2 id="tts-h">Text to speech</h2>
      <form class="grid" onSubmit={speak}>
        <Field label="Voice">
          <Select
            name="voice"
            value={chosen}
            onChange={setVoice}
            options={models.tts.map((v) => [v.canonical_name, `${v.canonical_name} (${(v.languages || []).join(', ')})`])}
          />
        </Field>
        <Field label="Format">
          <Select value={encoding} onChange={setEncoding} options={[['mp3', 'MP3'], ['wav', 'WAV'], ['opus', 'Ogg Opus'], ['flac', 'FLAC']]} />
        </Field>
        <Field label="Text" wide>
          <textarea name="text" rows={3} maxLength={2000} value={text} onInput={(e) => setText(e.currentTarget.value)} required />
        </Field>
        <div class="actions wide">
          <button type="submit" disabled={busy || !text.trim()}>
            {busy ? 'Speaking…' : 'Speak'}
          </button>
        </div>
      </form>
      <ErrorBox error={error} />
      {audio ? (
        <div class="result" data-testid="tts-result">
          <audio ref={player} controls src={audio.url} aria-label="Synthesised speech" />
          <p class="muted">
            {fmt.number(Number(audio.characters))} characters · {fmt.number(audio.bytes)} bytes · request{' '}
            <span class="mono">{audio.requestId}</span>
          </p>
        </div>
      ) : null}
    </section>
  );
}
