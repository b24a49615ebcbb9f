// Microphone samples as 16-bit little-endian PCM at the AudioContext's rate, about 50 ms per message,
// for /v1/listen?encoding=linear16&sample_rate=<context rate>. Runs on the audio rendering thread.
// The message 'flush' sends what is buffered, then 'flushed'.
class PcmWriter extends AudioWorkletProcessor {
  constructor() {
    super();
    this.size = Math.max(128, Math.round(sampleRate / 20));
    this.chunk = new Int16Array(this.size);
    this.filled = 0;
    this.port.onmessage = (event) => {
      if (event.data !== 'flush') return;
      if (this.filled > 0) this.port.postMessage(this.chunk.slice(0, this.filled).buffer);
      this.filled = 0;
      this.port.postMessage('flushed');
    };
  }

  process(inputs) {
    const samples = inputs[0] && inputs[0][0];
    if (!samples) return true;
    for (let i = 0; i < samples.length; i++) {
      const s = Math.max(-1, Math.min(1, samples[i]));
      this.chunk[this.filled++] = s < 0 ? s * 0x8000 : s * 0x7fff;
      if (this.filled === this.size) {
        this.port.postMessage(this.chunk.buffer, [this.chunk.buffer]);
        this.chunk = new Int16Array(this.size);
        this.filled = 0;
      }
    }
    return true;
  }
}

registerProcessor('pcm-writer', PcmWriter);
