// The control room's siren, made with Web Audio (no sound file): a two-tone "hi-lo" of 960 / 770 Hz switching
// every 0.5 s, the pattern of emergency sirens, loud enough to be heard over a room's noise. It keeps sounding until
// the alarm is silenced or acknowledged. Browsers keep an AudioContext suspended until someone interacts with the
// page; the page shows an "enable sound" button while that is so (state "suspended").

const HI_HZ = 960;
const LO_HZ = 770;
const HALF_PERIOD_S = 0.5;

export class Siren {
  constructor() {
    this.ctx = null;
    this.osc = null;
    this.gain = null;
    this.timer = null;
    this.sounding = false;
    this.started = 0; // how many times it began sounding (tests read it through window.shedwatch.siren)
  }

  context() {
    if (this.ctx === null) {
      const Ctx = window.AudioContext || window.webkitAudioContext;
      this.ctx = Ctx ? new Ctx() : null;
    }
    return this.ctx;
  }

  /** "running", "suspended" (needs a click), "closed", or "none" (no Web Audio). */
  get state() {
    return this.ctx ? this.ctx.state : "none";
  }

  /** Resume the audio context (call from a click). */
  async unlock() {
    const ctx = this.context();
    if (ctx && ctx.state === "suspended") await ctx.resume();
  }

  start() {
    if (this.sounding) return;
    const ctx = this.context();
    this.sounding = true;
    this.started += 1;
    if (!ctx) return;
    if (ctx.state === "suspended") ctx.resume().catch(() => {});
    this.osc = ctx.createOscillator();
    this.gain = ctx.createGain();
    this.osc.type = "square";
    this.gain.gain.value = 0.25;
    this.osc.connect(this.gain).connect(ctx.destination);
    let hi = true;
    const flip = () => {
      this.osc.frequency.setValueAtTime(hi ? HI_HZ : LO_HZ, ctx.currentTime);
      hi = !hi;
    };
    flip();
    this.timer = setInterval(flip, HALF_PERIOD_S * 1000);
    this.osc.start();
  }

  stop() {
    if (!this.sounding) return;
    this.sounding = false;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    if (this.osc) {
      this.osc.stop();
      this.osc.disconnect();
    }
    this.osc = null;
    this.gain = null;
  }

  /** What tests and the status line read. */
  status() {
    return { sounding: this.sounding, started: this.started, oscillator: this.osc !== null, audio: this.state };
  }
}
