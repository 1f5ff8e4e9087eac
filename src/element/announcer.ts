/**
 * The polite live region's timing: what a search found is said once typing and the stages have
 * settled, not at each stage of each keystroke (a keyword stage and a semantic one 10–30 ms apart
 * per keystroke read out as a stream of counts), and never the same text twice in a row.
 */

/**
 * How long after the last result stage or keystroke the region speaks. Results come at least
 * DEBOUNCE_MS (120 ms) after the last key, and with the model in, the semantic stage within about
 * 30 ms of the keyword one: 700 ms outlasts a steady typist's pause between keys and both stages,
 * so a word typed is said once (as GOV.UK's accessible-autocomplete, 1,400 ms, and Cloudscape,
 * 2,000 ms, delay theirs), yet speaks before a reader who stopped would reach for the arrows.
 */
export const ANNOUNCE_MS = 700;

export class Announcer {
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** The text the region holds. */
  private said = '';

  constructor(
    private readonly say: (text: string) => void,
    private readonly delayMs = ANNOUNCE_MS,
  ) {}

  /** Say `text` once nothing newer comes for delayMs (a later call starts the wait over); not if the region says it already. */
  later(text: string): void {
    this.cancel();
    this.timer = setTimeout(() => {
      if (text === this.said) return;
      this.said = text;
      this.say(text);
    }, this.delayMs);
  }

  /** A keystroke: what waited was about a query no longer in the box. */
  cancel(): void {
    clearTimeout(this.timer);
  }

  /** The box was emptied: the region too, so the next search is said even if its text was said before. */
  clear(): void {
    this.cancel();
    this.said = '';
    this.say('');
  }
}
